import Foundation
import Postgres
import Testing

/// The leader lock: one session holds it at a time; when that session dies, another takes over.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct PostgresLeaderLockTests {
    static let key: Int64 = 0x7465_7374_6C6F_636B

    /// `tryAcquire`, with an untyped throw for `#expect`.
    static func take(_ lock: PostgresLeaderLock) async throws -> Bool {
        try await lock.tryAcquire()
    }

    @Test func twoHoldersCannotBothLead() async throws {
        try await TestDatabase.withFreshDatabase { (url: String) async throws in
            try await TestDatabase.withClient(url: url) { (first: PostgresClient) async throws in
                try await TestDatabase.withClient(url: url) { (second: PostgresClient) async throws in
                    let a = PostgresLeaderLock(client: first, key: Self.key)
                    let b = PostgresLeaderLock(client: second, key: Self.key)
                    #expect(try await Self.take(a))
                    #expect(try await Self.take(b) == false)
                    #expect(await a.check())
                    #expect(await b.check() == false)
                    // Holding is confirmed, not taken twice: the other still cannot lead.
                    #expect(try await Self.take(a))
                    #expect(try await Self.take(b) == false)

                    await a.release()
                    #expect(await a.isHeld == false)
                    #expect(try await Self.take(b))
                    #expect(try await Self.take(a) == false)
                    await b.release()
                }
            }
        }
    }

    @Test func whenTheHoldersConnectionDiesTheOtherTakesOverAndTheLossIsReported() async throws {
        try await TestDatabase.withFreshDatabase { (url: String) async throws in
            try await TestDatabase.withClient(url: url) { (first: PostgresClient) async throws in
                try await TestDatabase.withClient(url: url) { (second: PostgresClient) async throws in
                    let a = PostgresLeaderLock(client: first, key: Self.key)
                    let b = PostgresLeaderLock(client: second, key: Self.key)
                    #expect(try await Self.take(a))
                    #expect(try await Self.take(b) == false)
                    let pid = try #require(await a.holderBackendPID)

                    _ = try await second.query("SELECT pg_terminate_backend(\(pid))")
                    let tookOver = try await TestDatabase.eventually(within: .seconds(30)) { try await Self.take(b) }
                    #expect(tookOver)
                    // The old holder learns it lost the lock at its next check, and cannot take it back.
                    #expect(await a.check() == false)
                    #expect(await a.isHeld == false)
                    #expect(try await Self.take(a) == false)
                    #expect(await b.check())
                    await b.release()
                    #expect(try await Self.take(a))
                    await a.release()
                }
            }
        }
    }

    @Test func aLockIsPerKey() async throws {
        try await TestDatabase.withFreshDatabase { (url: String) async throws in
            try await TestDatabase.withClient(url: url) { (client: PostgresClient) async throws in
                let a = PostgresLeaderLock(client: client, key: Self.key)
                let other = PostgresLeaderLock(client: client, key: Self.key + 1)
                #expect(try await Self.take(a))
                #expect(try await Self.take(other))
                #expect(await a.check())
                #expect(await other.check())
                await a.release()
                await other.release()
            }
        }
    }
}
