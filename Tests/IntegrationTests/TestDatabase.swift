import Correlation
import Foundation
import Logging
import Postgres
import Store
import Testing

/// The PostgreSQL the test command started. Database suites are enabled when a URL is given
/// *or* when the database is required (`MPSHOOK_TEST_REQUIRE_DATABASE=1`, set by
/// scripts/test.sh): then a missing URL fails the tests instead of skipping them.
enum TestDatabase {
    static let environment = ProcessInfo.processInfo.environment
    static let url = environment["MPSHOOK_TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static let isRequired = environment["MPSHOOK_TEST_REQUIRE_DATABASE"] == "1"
    static let isEnabled = url != nil || isRequired
    static let skipReason: Comment =
        "needs PostgreSQL: run scripts/test.sh (make test), or set MPSHOOK_TEST_DATABASE_URL"

    /// The repository root, for scripts and migration files.
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func serverURL() throws -> String {
        try #require(url, "MPSHOOK_TEST_DATABASE_URL is not set but the database is required: PostgreSQL did not start")
    }

    /// `url` with its database name replaced.
    static func url(_ serverURL: String, database: String) -> String {
        var components = URLComponents(string: serverURL) ?? URLComponents()
        components.path = "/" + database
        return components.string ?? serverURL
    }

    /// Runs `body` against a new, empty database that is dropped afterwards.
    static func withFreshDatabase<Result>(_ body: (String) async throws -> Result) async throws -> Result {
        let server = try serverURL()
        let name = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        // No statement timeout for CREATE and DROP DATABASE: either may wait on a checkpoint,
        // which at the peak of the parallel pass takes as long as it takes.
        try await withClient(url: server, maximumConnections: 1, statementTimeout: nil) { admin in
            _ = try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        }
        do {
            let result = try await body(url(server, database: name))
            try await drop(name, server: server)
            return result
        } catch {
            try? await drop(name, server: server)
            throw error
        }
    }

    /// Runs `body` with a client on a new database with every repository migration applied
    /// (dropped afterwards).
    static func withMigratedDatabase<Result>(
        maximumConnections: Int = 4, _ body: (PostgresClient) async throws -> Result
    ) async throws -> Result {
        let migrator = try Migrator.load(directory: repositoryRoot.appendingPathComponent("migrations").path)
        return try await withFreshDatabase { url in
            try await withClient(url: url, maximumConnections: maximumConnections) { client in
                try await migrator.migrate(client, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
                return try await body(client)
            }
        }
    }

    private static func drop(_ name: String, server: String) async throws {
        try await withClient(url: server, maximumConnections: 1, statementTimeout: nil) { admin in
            _ = try await admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))
        }
    }

    /// Runs `body` with a client that is always shut down afterwards.
    static func withClient<Result>(
        url: String,
        maximumConnections: Int = 4,
        checkoutTimeout: Duration = .seconds(5),
        statementTimeout: Duration? = .seconds(30),
        statementTimeoutGrace: Duration = .seconds(5),
        _ body: (PostgresClient) async throws -> Result
    ) async throws -> Result {
        let client = PostgresClient(
            configuration: PostgresConfiguration(
                // Generous: at the peak of the parallel pass (hundreds of tests creating databases
                // on 2 cores) the test cluster has taken more than 5 s to accept a connection.
                url: url, maximumConnections: maximumConnections, connectTimeout: .seconds(20),
                checkoutTimeout: checkoutTimeout, statementTimeout: statementTimeout, statementTimeoutGrace: statementTimeoutGrace
            ),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        do {
            let result = try await body(client)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }

    /// Polls `condition` until it holds, up to `limit`; for states the server reaches
    /// asynchronously (a terminated backend disappearing). Returns whether it held.
    static func eventually(
        within limit: Duration = .seconds(60), _ condition: () async throws -> Bool
    ) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }

    /// Creates a job with one step over `inputs` inputs (`https://e.com/a.mp4`, `b.mp4`, …); with
    /// `state`, the step is moved there with TaskId `t-1`, as the dispatcher leaves it. A step
    /// `dueIn` seconds ahead is left alone that long by a running dispatcher.
    static func createStep(
        _ client: PostgresClient, inputs: Int = 1, state: String? = nil, dueIn: Int = 0
    ) async throws -> (correlation: CorrelationId, jobId: UUID, stepId: UUID) {
        let correlation = CorrelationId()
        let urls = (0..<inputs).map { "https://e.com/\(Character(UnicodeScalar(UInt8(97 + $0 % 26)))).mp4" }
        let job = NewJob(steps: [NewStep(
            correlationId: correlation.uuid, sessionContext: correlation.sessionContext, request: JSONBText("{}"), inputURLs: urls,
            delaySeconds: dueIn
        )])
        _ = try await JobStore(client: client).create(job)
        if let state {
            _ = try await client.query("UPDATE steps SET state = \(state), task_id = 't-1' WHERE id = \(job.steps[0].id)")
        }
        return (correlation, job.id, job.steps[0].id)
    }
}
