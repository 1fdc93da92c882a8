import Foundation
import Hashing
import Logging
import MPSEmulator
import Postgres
import StepDispatch
import Testing
import TestSupport

/// Acceptance 2: three `mpshook serve` processes; the reconciler's leader is killed with SIGKILL,
/// and another process leads within the configured leader check interval.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct ReconcilerLeaderTests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    static let checkInterval = 1.0

    /// The OS process id of the replica holding the reconciler's lock (its session is named
    /// `mpshook.reconciler.<pid>`), or nil when none does.
    static func leader(_ client: PostgresClient) async throws -> Int32? {
        let key = Reconciler.lockKey
        let rows = try await client.query("""
            SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database() AND l.classid = \(Int64(UInt32(truncatingIfNeeded: key >> 32)))::oid
                AND l.objid = \(Int64(UInt32(truncatingIfNeeded: key)))::oid AND l.objsubid = 1
            """)
        guard let name = try rows.first?.decode(String.self, at: 0) else { return nil }
        return name.split(separator: ".").last.flatMap { Int32($0) }
    }

    @Test func anotherReplicaLeadsWithinTheCheckIntervalAfterTheLeaderIsKilled() async throws {
        let migrator = try Migrator.load(directory: TestDatabase.repositoryRoot.appendingPathComponent("migrations").path)
        let callbackKeys = "lead:" + Base64URL.encode(SecureRandom.bytes(count: 32))
        try await TestDatabase.withFreshDatabase { url in
            try await TestDatabase.withClient(url: url) { client in
                try await migrator.migrate(client, logger: Self.quiet)
                try await EmulatorServer.withRunningEmulator(configuration: EmulatorConfiguration()) { running in
                    var replicas: [ChildProcess] = []
                    defer { for replica in replicas { replica.signal(SIGKILL); replica.removeFiles() } }
                    for _ in 0..<3 {
                        let port = try #require(freeLoopbackPort())
                        var environment = MPSHook.environment(database: url)
                        environment["MPSHOOK_HTTP_PORT"] = String(port)
                        environment["MPSHOOK_PUBLIC_BASE_URL"] = "http://127.0.0.1:\(port)"
                        environment["MPSHOOK_CALLBACK_KEYS"] = callbackKeys
                        environment["MPSHOOK_MPS_ENDPOINT"] = running.endpoint
                        environment["TENCENTCLOUD_SECRET_ID"] = EmulatorConfiguration.defaultSecretId
                        environment["TENCENTCLOUD_SECRET_KEY"] = EmulatorConfiguration.defaultSecretKey
                        environment["MPSHOOK_RECONCILE_LEADER_CHECK_INTERVAL"] = String(Self.checkInterval)
                        replicas.append(try ChildProcess([MPSHook.binary, "serve"], environment: environment))
                    }
                    let pids = Set(replicas.map(\.pid))
                    // Every replica is up (each holds a session: the leader's lock, or a follower's try).
                    let up = try await TestDatabase.eventually(within: .seconds(30)) {
                        try await client.query("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'mpshook.reconciler.%'")[0]
                            .decode(Int.self, at: 0) == 3
                    }
                    #expect(up, "replicas: \(replicas.map { $0.standardError.suffix(500) })")
                    var first: Int32?
                    _ = try await TestDatabase.eventually(within: .seconds(10)) {
                        first = try await Self.leader(client)
                        return first != nil
                    }
                    let leader = try #require(first)
                    #expect(pids.contains(leader))
                    let killed = try #require(replicas.first { $0.pid == leader })

                    killed.signal(SIGKILL)
                    let killedAt = ContinuousClock.now
                    var next: Int32?
                    let tookOver = try await TestDatabase.eventually(within: .seconds(10)) {
                        next = try await Self.leader(client)
                        return next != nil && next != leader
                    }
                    let takeover = ContinuousClock.now - killedAt
                    #expect(tookOver)
                    #expect(next.map { pids.contains($0) } == true)
                    _ = try await killed.waitForExit(within: .seconds(5))
                    print("reconciler acceptance 2: leader \(leader) killed, \(next.map(String.init) ?? "none") leads after \(takeover) (check interval \(Self.checkInterval) s)")
                    // Within the interval, plus what the server and a busy machine take to notice.
                    #expect(takeover < .milliseconds(Int64(Self.checkInterval * 1000) + 500), "took \(takeover)")
                }
            }
        }
    }
}
