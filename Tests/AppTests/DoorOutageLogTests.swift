import API
import Correlation
import Foundation
import Hummingbird
import HummingbirdTesting
import Intake
import Logging
import MPS
import NIOCore
import Postgres
import Prometheus
import Testing
import TestSupport

@testable import App

/// What an outage costs in log lines: a burst of 503s from the door, with the database
/// unreachable (loopback port 1), logs a bounded number of lines, not two per request.
@Suite struct DoorOutageLogTests {
    static let keyId = CallbackTokens.KeyId("k1")!
    static let notifyKey = "door-log-notify-key"

    static func body(context: String) -> String {
        let expiry = Int64(Date().timeIntervalSince1970) + 600
        let sign = NotificationVerifier.sign(timestamp: expiry, notifyKey: notifyKey)
        return #"{"EventType":"BatchTask","BatchTaskEvent":{"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"SUCCESS","Progress":100}]}},"SessionId":"","SessionContext":"\#(context)","Timestamp":\#(expiry),"Sign":"\#(sign)"}"#
    }

    @Test func aBurstOf503sLogsABoundedNumberOfLines() async throws {
        let logs = CapturedLogs()
        var logger = Logger(label: "mpshook", factory: { logs.handler(label: $0) })
        logger.logLevel = .info  // the service's default LOG_LEVEL
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let client = PostgresClient(
            configuration: PostgresConfiguration(url: "postgresql://postgres@127.0.0.1:1/none", connectTimeout: .seconds(2)), logger: quiet
        )
        let tokens = try CallbackTokens(keys: [Self.keyId: Array(repeating: 7, count: 32)], current: Self.keyId)
        let committer = GroupCommitter(client: client, linger: .zero, logger: quiet)
        let door = IntakeController<APIRequestContext>(
            configuration: IntakeConfiguration(tokens: tokens, verifier: NotificationVerifier(notifyKey: Self.notifyKey), storeTimeout: .seconds(2)),
            committer: committer
        )
        let migrator = try Migrator([Migration(version: 1, name: "0001_a", sql: "SELECT 1;")])
        let readiness = DatabaseReadiness(client: client, migrator: migrator, interval: .seconds(1), logger: quiet)
        let app = Application(
            router: Server.makeRouter(readiness: readiness, registry: PrometheusCollectorRegistry(), intake: [(door, "/mps/notify")]),
            logger: logger
        )
        let requests = 50
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await committer.run() }
            try await app.test(.router) { http in
                for _ in 0..<requests {
                    let correlation = CorrelationId()
                    let response = try await http.execute(
                        uri: "/mps/notify?token=\(tokens.token(for: correlation))", method: .post,
                        headers: [.contentType: "application/json"], body: ByteBuffer(string: Self.body(context: correlation.sessionContext))
                    )
                    #expect(response.status == .serviceUnavailable)
                    #expect(response.headers[.contentType] == "application/problem+json")
                }
            }
            group.cancelAll()
        }
        await client.shutdown()
        let lines = logs.all
        #expect(lines.count <= 2, "\(lines.count) lines for \(requests) answers of 503:\n\(lines.prefix(6).joined(separator: "\n"))")
        #expect(lines.first?.contains("notification not stored; answered 503") == true)
    }
}
