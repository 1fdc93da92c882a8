import App
import Correlation
import Foundation
import Hashing
import Hummingbird
import HummingbirdTesting
import Intake
import Logging
import MPS
import Postgres
import Prometheus
import Store
import Synchronization
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A database that is slow, stopped, locked or gone: statements end within their timeout, the
/// pool replaces what is stuck, and a transient failure never marks a notification `failed`.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct SickDatabaseTests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A client with a short statement timeout and grace, always shut down afterwards.
    static func withClient<Result>(
        url: String, maximumConnections: Int = 1, statementTimeout: Duration? = .seconds(1), grace: Duration = .seconds(1),
        _ body: (PostgresClient) async throws -> Result
    ) async throws -> Result {
        try await TestDatabase.withClient(
            url: url, maximumConnections: maximumConnections, statementTimeout: statementTimeout, statementTimeoutGrace: grace, body
        )
    }

    /// Runs `body` while another session holds `sql`'s locks in an open transaction.
    static func whileLocked<Result>(
        url: String, _ sql: PostgresQuery, _ body: () async throws -> Result
    ) async throws -> Result {
        try await TestDatabase.withClient(url: url, maximumConnections: 1) { holder in
            try await holder.withConnection { connection in
                _ = try await connection.query("BEGIN")
                _ = try await connection.query(sql)
                do {
                    let result = try await body()
                    _ = try await connection.query("ROLLBACK")
                    return result
                } catch {
                    _ = try? await connection.query("ROLLBACK")
                    throw error
                }
            }
        }
    }

    /// Waits until some session of `database` waits for a lock (the statement under test is blocked).
    static func someoneWaitsForALock(_ admin: PostgresClient) async throws -> Bool {
        try await TestDatabase.eventually {
            let rows = try await admin.query(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            return try rows[0].decode(Int.self, at: 0) > 0
        }
    }

    // MARK: Statement timeout and the watchdog

    @Test func aStatementPastTheStatementTimeoutFailsWith57014AndTheConnectionIsReused() async throws {
        try await Self.withClient(url: try TestDatabase.serverURL(), statementTimeout: .milliseconds(500)) { client in
            let before = try await client.query("SELECT pg_backend_pid()")[0].decode(Int32.self, at: 0)
            let started = ContinuousClock.now
            let error = await #expect(throws: PostgresError.self) { _ = try await client.query("SELECT pg_sleep(5)") }
            #expect(error?.sqlState == .queryCanceled)
            #expect(error?.isTransient == true)
            #expect(ContinuousClock.now - started < .seconds(3))
            let after = try await client.query("SELECT pg_backend_pid()")[0].decode(Int32.self, at: 0)
            #expect(after == before)
        }
    }

    /// A backend that stops (SIGSTOP) never answers, so its own statement_timeout cannot fire:
    /// the client gives the statement up after timeout + grace, and the pool opens a new one.
    @Test func aStoppedBackendFailsTheStatementWithinTimeoutAndGraceAndThePoolRecovers() async throws {
        try await Self.withClient(url: try TestDatabase.serverURL(), statementTimeout: .seconds(1), grace: .seconds(1)) { client in
            let stopped = try await client.query("SELECT pg_backend_pid()")[0].decode(Int32.self, at: 0)
            #expect(kill(stopped, SIGSTOP) == 0)
            defer { kill(stopped, SIGCONT) }
            let started = ContinuousClock.now
            // Without the watchdog the statement would wait forever; resume the backend after
            // 15 s so a failing run ends (and fails on the elapsed time) instead of hanging.
            let outcome = await withTaskGroup(of: Result<Int32, PostgresError>?.self) { group in
                group.addTask {
                    do throws(PostgresError) {
                        return .success(try await client.query("SELECT pg_backend_pid()")[0].decode(Int32.self, at: 0))
                    } catch {
                        return .failure(error)
                    }
                }
                group.addTask {
                    try? await Task.sleep(for: .seconds(15))
                    kill(stopped, SIGCONT)
                    return nil
                }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first
            }
            let elapsed = ContinuousClock.now - started
            #expect(elapsed < .seconds(6), "took \(elapsed)")
            guard case .failure(let error)? = outcome else {
                Issue.record("expected the statement to fail, got \(String(describing: outcome))")
                return
            }
            #expect(error.isTransient)
            let replacement = try await client.query("SELECT pg_backend_pid()")[0].decode(Int32.self, at: 0)
            #expect(replacement != stopped)
            #expect(client.statistics.open == 1)
        }
    }

    @Test func cancellingTheAwaitingTaskCancelsTheStatement() async throws {
        try await Self.withClient(url: try TestDatabase.serverURL(), statementTimeout: .seconds(30)) { client in
            let started = ContinuousClock.now
            let error = await withTaskGroup(of: PostgresError?.self) { group in
                group.addTask {
                    do throws(PostgresError) {
                        _ = try await client.query("SELECT pg_sleep(20)")
                        return nil
                    } catch {
                        return error
                    }
                }
                // Cancel only once the statement runs on the server.
                let running = try? await TestDatabase.withClient(url: try TestDatabase.serverURL(), maximumConnections: 1) { admin in
                    try await TestDatabase.eventually {
                        let rows = try await admin.query(
                            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query = 'SELECT pg_sleep(20)'"
                        )
                        return try rows[0].decode(Int.self, at: 0) == 1
                    }
                }
                #expect(running == true)
                group.cancelAll()
                return await group.next() ?? nil
            }
            #expect(error?.isTransient == true)
            #expect(ContinuousClock.now - started < .seconds(5))
            // The connection was not lost: the cancel ended only the statement.
            let one = try await client.query("SELECT 1")[0].decode(Int.self, at: 0)
            #expect(one == 1)
        }
    }

    // MARK: The applier and transient failures

    static let migrator = Result { try Migrator.load(directory: TestDatabase.repositoryRoot.appendingPathComponent("migrations").path) }

    /// A migrated database with one submitted step and one stored notification for it.
    static func withStoredNotification(_ body: (_ url: String, _ stepId: UUID) async throws -> Void) async throws {
        let migrator = try Self.migrator.get()
        try await TestDatabase.withFreshDatabase { url in
            let stepId = try await TestDatabase.withClient(url: url) { client in
                try await migrator.migrate(client, logger: Self.quiet)
                let (correlation, _, stepId) = try await TestDatabase.createStep(client, state: "submitted")
                _ = try await NotificationStore(client: client).insert([
                    ApplierIntegrationTests.notification(correlation.sessionContext, ["SUCCESS"]),
                ])
                return stepId
            }
            try await body(url, stepId)
        }
    }

    static func outcome(_ url: String) async throws -> String {
        try await TestDatabase.withClient(url: url, maximumConnections: 1) { client in
            try await client.query("SELECT outcome FROM notifications")[0].decode(String.self, at: 0)
        }
    }

    /// The step is locked by another session, so applying waits past the statement timeout
    /// (57014): the notification stays `pending`, and is applied once the lock is gone.
    @Test func aTransientApplyFailureKeepsTheNotificationPendingAndItIsAppliedAfterRecovery() async throws {
        try await Self.withStoredNotification { url, stepId in
            try await Self.withClient(url: url, maximumConnections: 2, statementTimeout: .milliseconds(500)) { client in
                let applier = Applier(client: client, pollInterval: .milliseconds(100), logger: Self.quiet)
                try await Self.whileLocked(url: url, "SELECT 1 FROM steps WHERE id = \(stepId) FOR UPDATE") {
                    let error = await #expect(throws: PostgresError.self) { try await applier.applyBatch() }
                    #expect(error?.sqlState == .queryCanceled)
                    let outcome = try await Self.outcome(url)
                    #expect(outcome == "pending")
                }
                // The database is well again: the running applier applies it.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await applier.run() }
                    let applied = try await TestDatabase.eventually { try await Self.outcome(url) == "applied" }
                    #expect(applied)
                    group.cancelAll()
                }
            }
        }
    }

    /// A backend terminated under the applier is a lost connection: still pending, applied later.
    @Test func aTerminatedBackendDuringApplyKeepsTheNotificationPending() async throws {
        try await Self.withStoredNotification { url, stepId in
            try await Self.withClient(url: url, maximumConnections: 1, statementTimeout: .seconds(30)) { client in
                let applier = Applier(client: client, logger: Self.quiet)
                try await TestDatabase.withClient(url: url, maximumConnections: 1) { admin in
                    try await Self.whileLocked(url: url, "SELECT 1 FROM steps WHERE id = \(stepId) FOR UPDATE") {
                        try await withThrowingTaskGroup(of: Void.self) { group in
                            group.addTask {
                                await #expect(throws: PostgresError.self) { try await applier.applyBatch() }
                            }
                            #expect(try await Self.someoneWaitsForALock(admin))
                            _ = try await admin.query("""
                                SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                                WHERE datname = current_database() AND wait_event_type = 'Lock'
                                """)
                            try await group.waitForAll()
                        }
                    }
                }
                #expect(try await Self.outcome(url) == "pending")
                #expect(try await applier.applyBatch() == 1)
                #expect(try await Self.outcome(url) == "applied")
            }
        }
    }

    /// Stopping the applier while it applies (graceful shutdown cancels its task) is routine:
    /// no error-level line.
    @Test func aGracefulStopLogsNoErrorFromTheApplier() async throws {
        try await Self.withStoredNotification { url, stepId in
            let logs = CapturedLogs()
            let logger = Logger(label: "test", factory: { _ in logs.handler() })
            try await Self.withClient(url: url, maximumConnections: 2, statementTimeout: .seconds(5)) { client in
                let applier = Applier(client: client, logger: logger)
                try await TestDatabase.withClient(url: url, maximumConnections: 1) { admin in
                    try await Self.whileLocked(url: url, "SELECT 1 FROM steps WHERE id = \(stepId) FOR UPDATE") {
                        try await withThrowingTaskGroup(of: Void.self) { group in
                            group.addTask { try await applier.run() }
                            // The applier is inside its batch, waiting for the step's lock.
                            #expect(try await Self.someoneWaitsForALock(admin))
                            group.cancelAll()
                            try await group.waitForAll()
                        }
                    }
                }
                #expect(logs.lines.filter { $0.level >= .error }.map(\.message) == [])
                #expect(try await Self.outcome(url) == "pending")
            }
        }
    }
}

extension SickDatabaseTests {
    /// Runs `body` with `/readyz` served over a migrated database and a running readiness
    /// monitor (checking every 100 ms).
    static func withReadiness(
        _ body: @Sendable (_ url: String, _ readiness: DatabaseReadiness, _ http: any TestClientProtocol) async throws -> Void
    ) async throws {
        let migrator = try Self.migrator.get()
        try await TestDatabase.withFreshDatabase { url in
            try await TestDatabase.withClient(url: url) { client in
                try await migrator.migrate(client, logger: Self.quiet)
                let readiness = DatabaseReadiness(client: client, migrator: migrator, interval: .milliseconds(100), logger: Self.quiet)
                let app = Application(router: Server.makeRouter(readiness: readiness, registry: PrometheusCollectorRegistry()), logger: Self.quiet)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await readiness.run() }
                    defer { group.cancelAll() }
                    try await app.test(.router) { http in try await body(url, readiness, http) }
                }
            }
        }
    }

    /// Polls `/readyz` until it answers `status`; returns the last body, or nil when it never did.
    static func readyz(_ http: any TestClientProtocol, becomes status: HTTPResponse.Status, within limit: Duration = .seconds(3)) async throws -> String? {
        let deadline = ContinuousClock.now + limit
        while true {
            let response = try await http.execute(uri: "/readyz", method: .get)
            if response.status == status { return String(buffer: response.body) }
            if ContinuousClock.now >= deadline { return nil }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// While another session holds the notifications table locked, nothing can be stored, so
    /// the replica is not ready; it is again once the lock is gone.
    @Test func readyzIsUnavailableWhileTheNotificationsTableIsLocked() async throws {
        try await Self.withReadiness { url, _, http in
            #expect(try await Self.readyz(http, becomes: .ok) != nil)
            try await Self.whileLocked(url: url, "LOCK TABLE notifications IN ACCESS EXCLUSIVE MODE") {
                let body = try await Self.readyz(http, becomes: .serviceUnavailable)
                #expect(body?.contains("notifications") == true, "\(body ?? "still ready")")
                #expect(body?.contains("\"reason\"") == true)
            }
            #expect(try await Self.readyz(http, becomes: .ok) != nil)
        }
    }

    /// A writer whose commits hang until released, standing in for a stalled database.
    final class HeldWriter: NotificationWriter {
        private let gate = Mutex<[CheckedContinuation<Void, Never>]?>([])

        func release() {
            let waiting = gate.withLock { gate in
                defer { gate = nil }
                return gate ?? []
            }
            for continuation in waiting { continuation.resume() }
        }

        func insert(_ batch: [IncomingNotification]) async throws(PostgresError) -> [Bool] {
            await withCheckedContinuation { continuation in
                let held = gate.withLock { gate -> Bool in
                    gate?.append(continuation)
                    return gate != nil
                }
                if !held { continuation.resume() }
            }
            return batch.map { _ in true }
        }
    }

    /// The door's own commits stalling make the replica not ready, even while the database
    /// answers the readiness check.
    @Test func readyzIsUnavailableWhileTheDoorsCommitsStall() async throws {
        try await Self.withReadiness { _, readiness, http in
            let writer = HeldWriter()
            let committer = GroupCommitter(
                store: writer, linger: .zero, limits: .init(stallAfter: .milliseconds(200)), logger: Self.quiet
            )
            readiness.require { committer.health.reason }
            #expect(try await Self.readyz(http, becomes: .ok) != nil)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await committer.run() }
                group.addTask {
                    let notification = ApplierIntegrationTests.notification(CorrelationId().sessionContext, ["SUCCESS"])
                    _ = try? await committer.submit(notification, timeout: .seconds(10))
                }
                let body = try await Self.readyz(http, becomes: .serviceUnavailable)
                #expect(body?.contains("notification commit") == true, "\(body ?? "still ready")")
                writer.release()
                #expect(try await Self.readyz(http, becomes: .ok) != nil)
                group.cancelAll()
            }
        }
    }
}
