import API
import Foundation
import Hummingbird
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import Postgres
import Prometheus
import Testing
import TestSupport
import Workflows

@testable import App

/// The HTTP surface driven in-process, against a database address where nothing listens
/// (loopback port 1), so these run without PostgreSQL.
@Suite struct HTTPEndpointTests {
    let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    func withUnreachableDatabase(_ body: (DatabaseReadiness) async throws -> Void) async throws {
        let client = PostgresClient(
            configuration: PostgresConfiguration(url: "postgresql://postgres@127.0.0.1:1/none", connectTimeout: .seconds(2)),
            logger: quiet
        )
        let migrator = try Migrator([Migration(version: 1, name: "0001_a", sql: "SELECT 1;")])
        let readiness = DatabaseReadiness(client: client, migrator: migrator, interval: .seconds(1), logger: quiet)
        do {
            try await body(readiness)
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
    }

    /// A logger at `trace` whose lines the returned logs keep.
    static func capturingLogger() -> (CapturedLogs, Logger) {
        let logs = CapturedLogs()
        var logger = Logger(label: "mpshook", factory: { logs.handler(label: $0) })
        logger.logLevel = .trace
        return (logs, logger)
    }

    @Test func healthzAnswersWhileTheDatabaseIsDown() async throws {
        try await withUnreachableDatabase { readiness in
            let app = Application(router: Server.makeRouter(readiness: readiness, registry: PrometheusCollectorRegistry()), logger: quiet)
            try await app.test(.router) { client in
                let response = try await client.execute(uri: "/healthz", method: .get)
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == #"{"status":"ok"}"#)
            }
        }
    }

    @Test func readyzIsUnavailableBeforeAnyCheckAndWhenTheDatabaseIsUnreachable() async throws {
        try await withUnreachableDatabase { readiness in
            let app = Application(router: Server.makeRouter(readiness: readiness, registry: PrometheusCollectorRegistry()), logger: quiet)
            try await app.test(.router) { client in
                let before = try await client.execute(uri: "/readyz", method: .get)
                #expect(before.status == .serviceUnavailable)
                #expect(String(buffer: before.body).contains("no database check has run yet"))

                await readiness.check()
                let after = try await client.execute(uri: "/readyz", method: .get)
                #expect(after.status == .serviceUnavailable)
                #expect(after.headers[.contentType] == "application/json")
                let body = try JSONDecoder().decode([String: String].self, from: Data(String(buffer: after.body).utf8))
                #expect(body["status"] == "unavailable")
                #expect(body["reason"]?.hasPrefix("database unreachable") == true)
            }
        }
    }

    @Test func metricsAreServedInPrometheusFormat() async throws {
        try await withUnreachableDatabase { readiness in
            let registry = PrometheusCollectorRegistry()
            registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "mpshook", metricName: "test", unitName: "total", helpText: "a test counter")).increment(by: Int64(3))
            let app = Application(router: Server.makeRouter(readiness: readiness, registry: registry), logger: quiet)
            try await app.test(.router) { client in
                let response = try await client.execute(uri: "/metrics", method: .get)
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
                #expect(String(buffer: response.body).contains("mpshook_test_total 3"))
            }
        }
    }

    @Test func requestLogsNeverContainTheQueryString() async throws {
        let (logs, logger) = Self.capturingLogger()
        try await withUnreachableDatabase { readiness in
            let app = Application(router: Server.makeRouter(readiness: readiness, registry: PrometheusCollectorRegistry()), logger: logger)
            try await app.test(.router) { client in
                _ = try await client.execute(uri: "/healthz?token=SECRET-TOKEN-123", method: .get)
                _ = try await client.execute(uri: "/no/such/path?token=SECRET-TOKEN-456", method: .get)
            }
        }
        let lines = logs.all
        #expect(lines.contains { $0.contains("http.path=/healthz") })
        #expect(!lines.contains { $0.contains("SECRET-TOKEN") })
    }

    /// Every answer, an error's too, carries `X-Request-Id`, a new one per request, and the
    /// request's log line the same id. Sent by a peer that is not a trusted proxy, the header is
    /// not believed.
    @Test func everyAnswerCarriesItsRequestIdAsItsLogLinesDo() async throws {
        let (logs, logger) = Self.capturingLogger()
        try await withUnreachableDatabase { readiness in
            let app = Application(router: Server.makeRouter(readiness: readiness, registry: PrometheusCollectorRegistry()), logger: logger)
            let ids = try await app.test(.live) { client in
                var ids: [String] = []
                for uri in ["/healthz", "/no/such/path", "/healthz"] {
                    let response = try await client.execute(uri: uri, method: .get, headers: [.requestId: "chosen-by-caller"])
                    ids.append(try #require(response.headers[.requestId]))
                }
                return ids
            }
            #expect(Set(ids).count == 3 && !ids.contains("chosen-by-caller") && ids.allSatisfy { !$0.isEmpty })
            let requestLines = logs.all.filter { $0.contains(" request ") }
            for id in ids {
                #expect(requestLines.contains { $0.contains("hb.request.id=\(id) ") }, "no request log line with \(id)")
            }
        }
    }

    /// From a trusted proxy, a plain `X-Request-Id` (nginx's `$request_id`) is the request's id,
    /// answered and logged; one with other characters, or longer than 64, is replaced.
    @Test(arguments: [
        ("0f3c9a1e2b4d5c6e7f8091a2b3c4d5e6", true), ("req_1.2:3-A", true), (String(repeating: "a", count: 64), true),
        (String(repeating: "a", count: 65), false), ("two words", false), ("id\u{7F}", false), ("caf\u{E9}", false),
    ])
    func aTrustedProxysRequestIdIsKept(sent: String, kept: Bool) async throws {
        let (logs, logger) = Self.capturingLogger()
        let rule = ClientAddressRule(proxies: try TrustedProxies(parsing: "127.0.0.1, ::1"))
        try await withUnreachableDatabase { readiness in
            let router = Server.makeRouter(readiness: readiness, registry: PrometheusCollectorRegistry(), clientAddress: rule)
            let answered = try await Application(router: router, logger: logger).test(.live) { client in
                var headers = HTTPFields()
                headers.append(HTTPField(name: .requestId, value: sent))
                return try await client.execute(uri: "/healthz", method: .get, headers: headers).headers[.requestId]
            }
            let id = try #require(answered)
            #expect((id == sent) == kept)
            #expect(logs.all.contains { $0.contains(" request ") && $0.contains("hb.request.id=\(id) ") })
        }
    }
}
