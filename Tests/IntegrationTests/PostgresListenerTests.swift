import Foundation
import Logging
import Postgres
import Testing

/// The process's one LISTEN session: fan-out to every subscriber, and a lost session reopened
/// with every subscriber told to re-check.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct PostgresListenerTests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Runs a listener on a fresh database for `body`, stopped afterwards.
    static func withListener(
        _ body: (PostgresClient, PostgresListener) async throws -> Void
    ) async throws {
        try await TestDatabase.withFreshDatabase { url in
            try await TestDatabase.withClient(url: url) { client in
                let listener = PostgresListener(client: client, pollInterval: .milliseconds(50), logger: quiet)
                let running = Task { try await listener.run() }
                defer { running.cancel() }
                try await body(client, listener)
                running.cancel()
                _ = try? await running.value
            }
        }
    }

    /// The sessions listening in this database other than `client`'s own.
    static func listeningSessions(_ client: PostgresClient) async throws -> Int {
        try await client.query("""
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN %'
            """)[0].decode(Int.self, at: 0)
    }

    @Test func oneNotifyWakesEverySubscriberOfItsChannelThroughOneSession() async throws {
        try await Self.withListener { client, listener in
            let first = listener.subscribe(["mpshook_a"])
            let second = listener.subscribe(["mpshook_a"])
            let other = listener.subscribe(["mpshook_b"])
            // Live: from here on no NOTIFY on their channels is missed.
            for subscription in [first, second, other] {
                #expect(await subscription.next(within: .seconds(10))?.recheck == true)
            }
            #expect(try await Self.listeningSessions(client) == 1)

            try await client.notify("mpshook_a")
            #expect(await first.next(within: .seconds(10)) == PostgresWakeup(channels: ["mpshook_a"], recheck: false))
            #expect(await second.next(within: .seconds(10)) == PostgresWakeup(channels: ["mpshook_a"], recheck: false))

            // A second channel's NOTIFY wakes its subscriber, and only it: the first two are
            // woken by a later NOTIFY of theirs with nothing else pending.
            try await client.notify("mpshook_b")
            #expect(await other.next(within: .seconds(10)) == PostgresWakeup(channels: ["mpshook_b"], recheck: false))
            try await client.notify("mpshook_a")
            #expect(await first.next(within: .seconds(10)) == PostgresWakeup(channels: ["mpshook_a"], recheck: false))
            #expect(await second.next(within: .seconds(10)) == PostgresWakeup(channels: ["mpshook_a"], recheck: false))
            #expect(try await Self.listeningSessions(client) == 1)

            for subscription in [first, second, other] { subscription.cancel() }
            #expect(listener.subscriberCount == 0)
        }
    }

    @Test func aTerminatedSessionIsReopenedAndEverySubscriberToldToRecheck() async throws {
        try await Self.withListener { client, listener in
            let first = listener.subscribe(["mpshook_a"])
            let second = listener.subscribe(["mpshook_b"])
            #expect(await first.next(within: .seconds(10))?.recheck == true)
            #expect(await second.next(within: .seconds(10))?.recheck == true)
            let ended = try #require(listener.backendPID)

            #expect(try await client.query("SELECT pg_terminate_backend(\(Int(ended))::int)")[0].decode(Bool.self, at: 0))

            // Told to re-check once the session is back (and listening again).
            #expect(await first.next(within: .seconds(10)) == PostgresWakeup(channels: [], recheck: true))
            #expect(await second.next(within: .seconds(10)) == PostgresWakeup(channels: [], recheck: true))
            let reopened = try #require(listener.backendPID)
            #expect(reopened != ended)
            #expect(try await Self.listeningSessions(client) == 1)

            try await client.notify("mpshook_a")
            try await client.notify("mpshook_b")
            #expect(await first.next(within: .seconds(10))?.channels == ["mpshook_a"])
            #expect(await second.next(within: .seconds(10))?.channels == ["mpshook_b"])
        }
    }

    @Test func aSubscriberArrivingLaterGetsTheChannelAddedToTheSameSession() async throws {
        try await Self.withListener { client, listener in
            let early = listener.subscribe(["mpshook_a"])
            #expect(await early.next(within: .seconds(10))?.recheck == true)
            let session = try #require(listener.backendPID)

            let late = listener.subscribe(["mpshook_c"])
            #expect(await late.next(within: .seconds(10))?.recheck == true)
            #expect(listener.backendPID == session)
            try await client.notify("mpshook_c")
            #expect(await late.next(within: .seconds(10))?.channels == ["mpshook_c"])
            #expect(try await Self.listeningSessions(client) == 1)
        }
    }
}
