import App
import Curl
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOPosix
import Postgres
import Prometheus
import TestSupport
import Testing

/// The service against a real database: readiness, and the `mpshook` binary itself.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct ServiceTests {
    let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    static var repositoryMigrations: String {
        TestDatabase.repositoryRoot.appendingPathComponent("migrations").path
    }

    @Test func readyzIsReadyOnlyWhenMigrationsAreCurrent() async throws {
        let migrator = try Migrator.load(directory: Self.repositoryMigrations)
        try await TestDatabase.withFreshDatabase { url in
            try await TestDatabase.withClient(url: url) { client in
                let readiness = DatabaseReadiness(client: client, migrator: migrator, interval: .seconds(1), logger: quiet)
                let app = Application(
                    router: Server.makeRouter(readiness: readiness, registry: PrometheusCollectorRegistry()), logger: quiet
                )
                try await app.test(.router) { http in
                    await readiness.check()
                    let pending = try await http.execute(uri: "/readyz", method: .get)
                    #expect(pending.status == .serviceUnavailable)
                    #expect(String(buffer: pending.body).contains("pending migration"))

                    try await migrator.migrate(client, logger: quiet)
                    await readiness.check()
                    let ready = try await http.execute(uri: "/readyz", method: .get)
                    #expect(ready.status == .ok)
                    #expect(String(buffer: ready.body) == #"{"status":"ready"}"#)
                }
            }
        }
    }

    /// Stops and restarts a PostgreSQL cluster of its own (scripts/pg.sh) under a running
    /// readiness monitor: not ready while it is down, ready again after, no restart.
    @Test func readinessFollowsTheDatabaseGoingAwayAndComingBack() async throws {
        _ = try TestDatabase.serverURL()
        // A free port, not a fixed one: the fault suite's cluster (55434) may start right after.
        let port = String(try #require(freeLoopbackPort()))
        // A cluster left running on another port by a run that crashed would be taken for this one.
        _ = try await Scripts.pg("reset", "readiness", port)
        let server = try await Scripts.pg("start", "readiness", port)
        do {
            try await checkReadinessAcrossARestart(server: server, port: port)
        } catch {
            _ = try? await Scripts.pg("reset", "readiness", port)
            throw error
        }
        _ = try await Scripts.pg("reset", "readiness", port)
    }

    private func checkReadinessAcrossARestart(server: String, port: String) async throws {
        let migrator = try Migrator.load(directory: Self.repositoryMigrations)
        try await TestDatabase.withClient(url: server) { client in
            try await migrator.migrate(client, logger: quiet)
            let readiness = DatabaseReadiness(client: client, migrator: migrator, interval: .seconds(1), logger: quiet)
            await readiness.check()
            #expect(readiness.state == .ready)

            _ = try await Scripts.pg("stop", "readiness", port)
            await readiness.check()
            guard case .notReady(let reason) = readiness.state else {
                Issue.record("still ready with the database stopped")
                return
            }
            #expect(reason.hasPrefix("database unreachable"))

            _ = try await Scripts.pg("start", "readiness", port)
            await readiness.check()
            #expect(readiness.state == .ready)
        }
    }

    @Test func serveRefusesPendingMigrationsWithOneLine() async throws {
        try await TestDatabase.withFreshDatabase { url in
            let result = try await MPSHook.run(["serve"], database: url)
            #expect(result.status == 1)
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1)
            let names = try Migrator.load(directory: Self.repositoryMigrations).migrations.map(\.name)
            #expect(result.stderr.contains("\(names.count) pending migration(s) (\(names.joined(separator: ", ")))"))
            #expect(result.stderr.contains("--migrate"))
        }
    }

    @Test func wrongDatabaseURLFailsQuicklyWithOneLine() async throws {
        for command in [["serve"], ["migrate"]] {
            let started = ContinuousClock.now
            let result = try await MPSHook.run(
                command, database: "postgresql://mpshook:hunter2@127.0.0.1:1/nowhere"
            )
            #expect(result.status != 0)
            // No retrying: refused at once. The bound is slack for the parallel pass, where
            // starting the debug binary alone has taken seconds (10.4 s seen under load).
            #expect(ContinuousClock.now - started < .seconds(20))
            #expect(result.stderr.split(separator: "\n").count == 1)
            #expect(result.stderr.contains("cannot use the database"))
            #expect(!result.stderr.contains("hunter2"))
        }
    }

    @Test func twoMigrateProcessesAtOnceApplyEachFileOnce() async throws {
        try await TestDatabase.withFreshDatabase { url in
            async let first = MPSHook.run(["migrate"], database: url)
            async let second = MPSHook.run(["migrate"], database: url)
            let results = try await [first, second]
            #expect(results.allSatisfy { $0.status == 0 })
            let outputs = results.map(\.stdout).sorted()
            let names = try Migrator.load(directory: Self.repositoryMigrations).migrations.map(\.name)
            #expect(outputs[0].hasPrefix("applied \(names.count) migration(s): \(names.joined(separator: ", "))"))
            #expect(outputs[1].hasPrefix("nothing to do"))
            try await TestDatabase.withClient(url: url) { client in
                let rows = try await client.query("SELECT count(*), count(DISTINCT version) FROM mpshook_migrations")
                let (count, distinct) = try rows[0].decode((Int, Int).self)
                #expect(count == names.count)
                #expect(distinct == names.count)
            }
        }
    }

    /// Starts `mpshook serve` and returns it with the port it listens on (read from its log).
    private func startService(database: String) async throws -> (ChildProcess, Int) {
        let service = try MPSHook.start(["serve"], database: database)
        var address: String?
        _ = try await TestDatabase.eventually(within: .seconds(20)) {
            address = service.standardError.split(separator: "\n").first { $0.contains("\"http.address\"") }.map(String.init)
            return address != nil || !service.isRunning
        }
        guard let listening = address,
            let port = listening.split(separator: ":").last.flatMap({ Int($0.prefix { $0.isNumber }) })
        else {
            service.signal(SIGKILL)
            throw ChildProcess.Failure(description: "no listening line; log: \(service.standardError)")
        }
        return (service, port)
    }

    @Test func aSecondServerOnTheSamePortFailsWithOneLine() async throws {
        try await TestDatabase.withFreshDatabase { url in
            #expect(try await MPSHook.run(["migrate"], database: url).status == 0)
            let (first, port) = try await startService(database: url)
            defer {
                first.signal(SIGKILL)
                first.removeFiles()
            }
            let second = try await MPSHook.run(["serve"], database: url, port: port)
            #expect(second.status == 1)
            let lines = second.stderr.split(separator: "\n").filter { $0.hasPrefix("mpshook:") }
            #expect(lines == ["mpshook: cannot listen on 127.0.0.1:\(port): the address is in use (another mpshook or program holds it; set MPSHOOK_HTTP_PORT)"])
            #expect(first.isRunning)
        }
    }

    @Test func serveAnswersThenStopsGracefullyOnSIGTERM() async throws {
        try await TestDatabase.withFreshDatabase { url in
            let migrated = try await MPSHook.run(["migrate"], database: url)
            #expect(migrated.status == 0)
            let (service, port) = try await startService(database: url)
            defer {
                service.signal(SIGKILL)
                service.removeFiles()
            }

            let threadPool = NIOThreadPool(numberOfThreads: 2)
            threadPool.start()
            let http = CurlClient(threadPool: threadPool)
            let ready = try await TestDatabase.eventually {
                (try? await http.execute(Curl.HTTPRequest(url: "http://127.0.0.1:\(port)/readyz")))?.status == 200
            }
            let health = try? await http.execute(Curl.HTTPRequest(url: "http://127.0.0.1:\(port)/healthz"))
            try await threadPool.shutdownGracefully()
            #expect(ready)
            #expect(health?.status == 200)

            service.signal(SIGTERM)
            let status = try await service.waitForExit(within: .seconds(15))
            #expect(status == 0)
            #expect(service.standardError.contains("\"message\":\"stopped\""))
        }
    }
}

/// The repository's scripts, run as a user would.
enum Scripts {
    static func pg(_ arguments: String...) async throws -> String {
        let script = TestDatabase.repositoryRoot.appendingPathComponent("scripts/pg.sh").path
        return try await ChildProcess.run([script] + arguments).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// The built `mpshook` executable, run as a user would.
enum MPSHook {
    struct Result: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static var binary: String {
        ProcessInfo.processInfo.environment["MPSHOOK_TEST_BINARY"]
            ?? TestDatabase.repositoryRoot.appendingPathComponent(".build/debug/mpshook").path
    }

    static func environment(database: String) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["MPSHOOK_DATABASE_URL"] = database
        environment["MPSHOOK_HTTP_PORT"] = "0"
        // A database that is down refuses at once (the tests of that use port 1); this bounds a
        // busy test cluster's accept, which has taken more than 3 s at the parallel pass's peak.
        environment["MPSHOOK_DATABASE_CONNECT_TIMEOUT"] = "20"
        environment["MPSHOOK_MIGRATIONS_DIR"] = TestDatabase.repositoryRoot.appendingPathComponent("migrations").path
        environment["LOG_FORMAT"] = "json"
        return environment
    }

    static func start(_ arguments: [String], database: String, port: Int = 0) throws -> ChildProcess {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ChildProcess.Failure(description: "\(binary) is missing: build with `swift build` (scripts/test.sh does)")
        }
        var environment = environment(database: database)
        environment["MPSHOOK_HTTP_PORT"] = String(port)
        return try ChildProcess([binary] + arguments, environment: environment)
    }

    static func run(_ arguments: [String], database: String, port: Int = 0) async throws -> Result {
        let child = try start(arguments, database: database, port: port)
        defer { child.removeFiles() }
        // A hang detector, not a speed bound: a migrate alone takes a third of a second.
        guard let status = try await child.waitForExit(within: .seconds(120)) else {
            child.signal(SIGKILL)
            throw ChildProcess.Failure(description: "mpshook \(arguments.joined(separator: " ")) did not exit within 120 s")
        }
        return Result(status: status, stdout: child.standardOutput, stderr: child.standardError)
    }
}

@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct NotificationsCommandTests {
    @Test func reapplyRequeuesFailedNotifications() async throws {
        try await TestDatabase.withFreshDatabase { url in
            #expect(try await MPSHook.run(["migrate"], database: url).status == 0)
            try await TestDatabase.withClient(url: url) { client in
                _ = try await client.query("""
                    INSERT INTO notifications (content_hash, event_type, body, outcome, apply_error)
                    VALUES ('\\x01', 'BatchTask', '{}', 'failed', 'boom'), ('\\x02', 'BatchTask', '{}', 'applied', NULL)
                    """)
            }
            let result = try await MPSHook.run(["notifications", "reapply", "--failed"], database: url)
            #expect(result.status == 0)
            #expect(result.stdout.contains("requeued 1 notification(s)"))
            try await TestDatabase.withClient(url: url) { client in
                let rows = try await client.query("SELECT outcome FROM notifications ORDER BY id")
                #expect(try rows.map { try $0.decode(String.self, at: 0) } == ["pending", "applied"])
            }
            let usage = try await MPSHook.run(["notifications", "reapply"], database: url)
            #expect(usage.status != 0)
        }
    }
}
