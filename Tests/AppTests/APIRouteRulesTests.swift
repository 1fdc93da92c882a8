import Access
import API
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Postgres
import Prometheus
import Testing
import TestSupport

@testable import App

/// Rules every API route keeps, driven in-process against a database address where nothing
/// listens (loopback port 1), so a request that reaches the database is answered 503.
@Suite struct APIRouteRulesTests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    static let id = "6f1c2a3e-0b4d-4c5e-8f70-112233445566"

    /// One request: method, path, the scope that may make it, and a body it accepts.
    struct Call: Sendable, CustomStringConvertible {
        var method: HTTPRequest.Method
        var path: String
        var scope: APIScope
        var body: String?
        var description: String { "\(method.rawValue) \(path)" }
    }

    /// The routes that took no query parameters without saying so: each with a body it takes,
    /// so only the query can be refused before the database.
    static let calls: [Call] = [
        Call(method: .get, path: "/v1/jobs/\(id)", scope: .read),
        Call(method: .post, path: "/v1/jobs", scope: .write, body: JobsAPIEndpointTests.validBody),
        Call(method: .post, path: "/v1/jobs/\(id)/cancel", scope: .write, body: #"{"reason":"test"}"#),
        Call(method: .post, path: "/v1/keys", scope: .admin, body: #"{"name":"k-1","scope":"read"}"#),
        Call(method: .get, path: "/v1/keys/k-1", scope: .admin),
        Call(method: .post, path: "/v1/keys/k-1/revoke", scope: .admin),
        Call(method: .post, path: "/v1/steps/\(id)/resolve", scope: .admin, body: #"{"taskId":"2600011633-WorkflowTask-1","reason":"test"}"#),
        Call(method: .post, path: "/v1/steps/\(id)/resubmit", scope: .admin, body: #"{"reason":"test"}"#),
        Call(method: .post, path: "/v1/steps/\(id)/abandon", scope: .admin, body: #"{"reason":"test"}"#),
        Call(method: .post, path: "/v1/notifications/1/rematch", scope: .admin, body: #"{"stepId":"\#(id)","reason":"test"}"#),
        Call(method: .post, path: "/v1/notifications/1/reapply", scope: .admin, body: #"{"reason":"test"}"#),
        Call(method: .post, path: "/v1/deliveries/\(id)/redeliver", scope: .admin, body: #"{"reason":"test"}"#),
    ]

    func withApplication(logger: Logger = Self.quiet, storedKeys: Bool = false, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let client = PostgresClient(
            configuration: PostgresConfiguration(url: "postgresql://postgres@127.0.0.1:1/none", connectTimeout: .seconds(2)), logger: Self.quiet
        )
        let migrator = try Migrator([Migration(version: 1, name: "0001_a", sql: "SELECT 1;")])
        let readiness = DatabaseReadiness(client: client, migrator: migrator, interval: .seconds(1), logger: Self.quiet)
        let router = Server.makeRouter(
            readiness: readiness, registry: PrometheusCollectorRegistry(), api: RESTAPI(client: client, keys: storedKeys ? nil : FixedAPIKeys())
        )
        do {
            try await Application(router: router, logger: logger).test(.router, body)
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
    }

    static func execute(_ http: some TestClientProtocol, _ call: Call, query: String = "") async throws -> TestResponse {
        var headers = FixedAPIKeys.bearer(call.scope)
        if call.body != nil { headers[.contentType] = "application/json" }
        return try await http.execute(uri: call.path + query, method: call.method, headers: headers, body: call.body.map { ByteBuffer(string: $0) })
    }

    @Test func anUnknownQueryParameterIsRefusedOnEveryRouteNamingIt() async throws {
        try await withApplication { http in
            for call in Self.calls {
                // Without the parameter the request reaches the database (503 here): the body is good.
                let plain = try await Self.execute(http, call)
                #expect(plain.status == .serviceUnavailable, "\(call)")
                let response = try await Self.execute(http, call, query: "?stat=failed")
                #expect(response.status == .badRequest, "\(call)")
                let problem = try JSONDecoder().decode(ProblemDocument.self, from: Data(String(buffer: response.body).utf8))
                #expect(problem.type == "urn:mpshook:problem:invalid-parameter", "\(call)")
                #expect(problem.errors?.map(\.field) == ["stat"], "\(call)")
            }
        }
    }

    @Test func anOutageOnEveryRouteLogsABoundedNumberOfLines() async throws {
        let logs = CapturedLogs()
        var logger = Logger(label: "mpshook", factory: { logs.handler(label: $0) })
        logger.logLevel = .info  // the service's default LOG_LEVEL
        let rounds = 5
        let started = ContinuousClock.now
        try await withApplication(logger: logger) { http in
            for _ in 0..<rounds {
                for call in Self.calls + [Call(method: .get, path: "/v1/steps", scope: .read), Call(method: .get, path: "/v1/stats", scope: .read)] {
                    let status = try await Self.execute(http, call).status
                    #expect(status == .serviceUnavailable, "\(call)")
                }
            }
        }
        // One line per interval (5 s) for the whole API (another suite's outage may have taken
        // this interval's line: then none); a slow run on busy cores may span two intervals.
        let lines = logs.all.filter { $0.contains("database error") }
        #expect(lines.count <= Self.linesAllowed(since: started), "\(lines.count) lines for \(rounds * (Self.calls.count + 2)) answers of 503:\n\(lines.prefix(6).joined(separator: "\n"))")
    }

    @Test func anOutageLogsABoundedNumberOfLinesWhenKeysAreCheckedInTheDatabase() async throws {
        let logs = CapturedLogs()
        var logger = Logger(label: "mpshook", factory: { logs.handler(label: $0) })
        logger.logLevel = .info
        let requests = 30
        let started = ContinuousClock.now
        try await withApplication(logger: logger, storedKeys: true) { http in
            for _ in 0..<requests {
                let status = try await http.execute(
                    uri: "/v1/steps", method: .get, headers: [.authorization: "Bearer mpsk_0123456789ab_\(String(repeating: "A", count: 43))"]
                ).status
                #expect(status == .serviceUnavailable)
            }
        }
        let lines = logs.all.filter { $0.contains("database error") }
        #expect(lines.count <= Self.linesAllowed(since: started), "\(lines.count) lines for \(requests) answers of 503:\n\(lines.prefix(6).joined(separator: "\n"))")
    }

    /// The most lines the 5-second throttle lets through from `started` to now: one per interval
    /// begun (the requests are many more).
    static func linesAllowed(since started: ContinuousClock.Instant) -> Int {
        1 + Int((ContinuousClock.now - started).components.seconds / 5)
    }
}
