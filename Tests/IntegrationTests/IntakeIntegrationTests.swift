import API
import Correlation
import Foundation
import Hashing
import Hummingbird
import HTTPTypes
import HummingbirdTesting
import Intake
import Logging
import MPS
import NIOCore
import Postgres
import Store
import Testing
import Workflows

/// The NotifyUrl door against a real PostgreSQL, driven in-process.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct IntakeIntegrationTests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    static let keyId = CallbackTokens.KeyId("k1")!
    static let notifyKey = "intake-notify-key"
    static let staticToken = String(repeating: "s", count: 40)
    static let tokens = try! CallbackTokens(keys: [keyId: Array(repeating: 9, count: 32)], current: keyId, staticTokens: [staticToken])

    /// A notification body for `context`, signed with `key`, expiring at `expiry`.
    static func body(
        context: String, eventType: String = "BatchTask", status: String = "SUCCESS",
        expiry: Int64 = Int64(Date().timeIntervalSince1970) + 600, key: String = notifyKey
    ) -> String {
        let sign = NotificationVerifier.sign(timestamp: expiry, notifyKey: key)
        return #"{"EventType":"\#(eventType)","BatchTaskEvent":{"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"\#(status)","Progress":100}]}},"SessionId":"","SessionContext":"\#(context)","Timestamp":\#(expiry),"Sign":"\#(sign)"}"#
    }

    /// Runs `body` with the door mounted on a router over a migrated database (or `databaseURL`).
    /// Its store timeout is long unless a test is about it: beside 800 tests in the parallel pass
    /// a commit has taken over 5 s, and a 503 then is the door working, not what these check.
    func withDoor(
        databaseURL: String? = nil, storeTimeout: Duration = .seconds(60), testing: TestingSetup = .router,
        trustedProxies: TrustedProxies = .none,
        _ body: @escaping @Sendable (any TestClientProtocol, PostgresClient?) async throws -> Void
    ) async throws {
        let run: (String, Bool) async throws -> Void = { url, migrated in
            try await TestDatabase.withClient(url: url, maximumConnections: 4) { client in
                if !migrated {
                    let migrator = try Migrator.load(directory: TestDatabase.repositoryRoot.appendingPathComponent("migrations").path)
                    try await migrator.migrate(client, logger: Self.quiet)
                }
                let committer = GroupCommitter(client: client, logger: Self.quiet)
                let configuration = IntakeConfiguration(
                    tokens: Self.tokens, verifier: NotificationVerifier(notifyKey: Self.notifyKey),
                    maximumBodySize: 64 * 1024, storeTimeout: storeTimeout, trustedProxies: trustedProxies
                )
                let router = Router(context: APIRequestContext.self)
                router.addRoutes(IntakeController<APIRequestContext>(configuration: configuration, committer: committer).endpoints())
                let app = Application(router: router, logger: Self.quiet)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await committer.run() }
                    do {
                        try await app.test(testing) { http in try await body(http, migrated ? nil : client) }
                    } catch {
                        group.cancelAll()
                        throw error
                    }
                    group.cancelAll()
                }
            }
        }
        if let databaseURL {
            try await run(databaseURL, true)
        } else {
            try await TestDatabase.withFreshDatabase { url in try await run(url, false) }
        }
    }

    static func post(_ http: any TestClientProtocol, token: String?, body: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        let uri = token.map { "/mps/notify?token=\($0)" } ?? "/mps/notify"
        var fields = headers
        fields[.contentType] = "application/json"
        return try await http.execute(uri: uri, method: .post, headers: fields, body: ByteBuffer(string: body))
    }

    static func rows(_ client: PostgresClient?) async throws -> Int {
        guard let client else { return 0 }
        return try await client.query("SELECT count(*) FROM notifications")[0].decode(Int.self, at: 0)
    }

    @Test func aValidCallbackIsStoredThenAcknowledgedAndADuplicateIsANoOp() async throws {
        try await withDoor { http, client in
            let correlation = CorrelationId()
            let token = Self.tokens.token(for: correlation)
            let body = Self.body(context: correlation.sessionContext)
            var headers = HTTPFields()
            headers[HTTPField.Name("X-Forwarded-For")!] = "203.0.113.9, 10.0.0.2"
            headers[HTTPField.Name("X-Original-URI")!] = "/mps/notify?token=\(token)"
            let first = try await Self.post(http, token: token, body: body, headers: headers)
            #expect(first.status == .ok)
            #expect(String(buffer: first.body) == #"{"status":"stored"}"#)
            let again = try await Self.post(http, token: token, body: body)
            #expect(again.status == .ok)
            #expect(String(buffer: again.body) == #"{"status":"duplicate"}"#)
            let client = try #require(client)
            let rows = try await client.query("SELECT correlation_id, event_type, body, headers::text, source_address, outcome FROM notifications")
            #expect(rows.count == 1)
            let (stored, eventType, storedBody, storedHeaders, source, outcome) = try rows[0].decode((UUID?, String, String, String, String?, String).self)
            #expect(stored == correlation.uuid)
            #expect(eventType == "BatchTask")
            #expect(storedBody == body)
            #expect(!storedHeaders.contains(token))
            // In-process there is no peer to trust, so the forwarding header is not believed.
            #expect(source == nil)
            #expect(outcome == "pending")
        }
    }

    /// A forwarding header from a peer that is not a configured proxy is the caller's own say:
    /// the stored address is the TCP peer's (here the test client's loopback address).
    @Test func aForwardedForHeaderFromAnUntrustedPeerIsNotBelieved() async throws {
        try await withDoor(testing: .live) { http, client in
            let correlation = CorrelationId()
            var headers = HTTPFields()
            headers[HTTPField.Name("X-Forwarded-For")!] = "198.51.100.7"
            let response = try await Self.post(
                http, token: Self.tokens.token(for: correlation), body: Self.body(context: correlation.sessionContext), headers: headers
            )
            #expect(response.status == .ok)
            let rows = try await #require(client).query("SELECT source_address FROM notifications")
            #expect(try rows.map { try $0.decode(String?.self, at: 0) } == ["127.0.0.1"])
        }
    }

    /// From a configured proxy, the header is believed: the right-most hop that is not a proxy's.
    @Test func aTrustedProxysForwardedForHeaderGivesTheClientAddress() async throws {
        try await withDoor(testing: .live, trustedProxies: try TrustedProxies(parsing: "127.0.0.0/8, 10.0.0.0/8")) { http, client in
            let correlation = CorrelationId()
            var headers = HTTPFields()
            headers[HTTPField.Name("X-Forwarded-For")!] = "192.0.2.1, 203.0.113.9, 10.0.0.2"
            let response = try await Self.post(
                http, token: Self.tokens.token(for: correlation), body: Self.body(context: correlation.sessionContext), headers: headers
            )
            #expect(response.status == .ok)
            let rows = try await #require(client).query("SELECT source_address FROM notifications")
            #expect(try rows.map { try $0.decode(String?.self, at: 0) } == ["203.0.113.9"])
        }
    }

    @Test func aResendSignedAgainWithANewExpiryIsADuplicateButNewContentIsNot() async throws {
        try await withDoor { http, client in
            let correlation = CorrelationId()
            let token = Self.tokens.token(for: correlation)
            let expiry = Int64(Date().timeIntervalSince1970) + 600
            let first = try await Self.post(http, token: token, body: Self.body(context: correlation.sessionContext, expiry: expiry))
            #expect(String(buffer: first.body) == #"{"status":"stored"}"#)
            let resigned = try await Self.post(http, token: token, body: Self.body(context: correlation.sessionContext, expiry: expiry + 1))
            #expect(resigned.status == .ok)
            #expect(String(buffer: resigned.body) == #"{"status":"duplicate"}"#)
            let changed = try await Self.post(http, token: token, body: Self.body(context: correlation.sessionContext, status: "FAIL", expiry: expiry + 1))
            #expect(String(buffer: changed.body) == #"{"status":"stored"}"#)
            #expect(try await Self.rows(client) == 2)
        }
    }

    @Test func badTokensGetOneConstant401ProblemAndNothingIsStored() async throws {
        try await withDoor { http, client in
            let mine = CorrelationId()
            let body = Self.body(context: mine.sessionContext)
            let cases: [String?] = [
                nil,  // missing
                "",
                "k1.not-the-right-mac",
                Self.tokens.token(for: CorrelationId()),  // another step's token
                "zz." + Self.tokens.token(for: mine).split(separator: ".")[1],  // unknown key id
            ]
            for token in cases {
                let response = try await Self.post(http, token: token, body: body)
                #expect(response.status == .unauthorized, "token \(String(describing: token))")
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect(String(buffer: response.body) == String(buffer: Self.notAuthenticatedBody))
            }
            #expect(try await Self.rows(client) == 0)
        }
    }

    /// The door's one 401 body: a problem document naming no check.
    static let notAuthenticatedBody = ByteBuffer(
        string: #"{"detail":"the callback could not be authenticated for its SessionContext","status":401,"title":"Unauthorized","type":"urn:mpshook:problem:callback-not-authenticated"}"#
    )

    @Test func badSignOrExpiredTimestampGets401() async throws {
        try await withDoor { http, client in
            let correlation = CorrelationId()
            let token = Self.tokens.token(for: correlation)
            let wrongKey = try await Self.post(http, token: token, body: Self.body(context: correlation.sessionContext, key: "other-key"))
            #expect(wrongKey.status == .unauthorized)
            // The same answer as a bad token's: which check failed is not told.
            #expect(String(buffer: wrongKey.body) == String(buffer: Self.notAuthenticatedBody))
            let expired = try await Self.post(
                http, token: token,
                body: Self.body(context: correlation.sessionContext, expiry: Int64(Date().timeIntervalSince1970) - 3600)
            )
            #expect(expired.status == .unauthorized)
            #expect(String(buffer: expired.body) == String(buffer: Self.notAuthenticatedBody))
            #expect(try await Self.rows(client) == 0)
        }
    }

    @Test func malformedBodiesGet400ProblemJSONAndOversizedOnes413() async throws {
        try await withDoor { http, client in
            let correlation = CorrelationId()
            let token = Self.tokens.token(for: correlation)
            for body in ["not json", "", "[1]", #"{"EventType":"BatchTask"}"#, "\u{FEFF}" + Self.body(context: correlation.sessionContext),
                         Self.body(context: correlation.sessionContext).replacingOccurrences(of: "SUCCESS", with: "S\\u0000")] {
                let response = try await Self.post(http, token: token, body: body)
                #expect(response.status == .badRequest, "\(body.prefix(40))")
                #expect(response.headers[.contentType] == "application/problem+json")
            }
            var invalidUTF8 = ByteBuffer(string: #"{"EventType":"BatchTask","SessionContext":""#)
            invalidUTF8.writeBytes([0xC3, 0x28])
            invalidUTF8.writeString(#""}"#)
            let badBytes = try await http.execute(uri: "/mps/notify?token=\(token)", method: .post, headers: [.contentType: "application/json"], body: invalidUTF8)
            #expect(badBytes.status == .badRequest)
            let huge = String(repeating: "x", count: 70 * 1024)
            let tooLarge = try await Self.post(http, token: token, body: #"{"EventType":"BatchTask","SessionContext":"\#(huge)"}"#)
            #expect(tooLarge.status == .contentTooLarge)
            #expect(try await Self.rows(client) == 0)
        }
    }

    @Test func aForeignSessionContextNeedsAStaticToken() async throws {
        try await withDoor { http, client in
            let body = Self.body(context: "created-outside-mpshook-42")
            let guessed = try await Self.post(http, token: Self.tokens.token(for: CorrelationId()), body: body)
            #expect(guessed.status == .unauthorized)
            let withStatic = try await Self.post(http, token: Self.staticToken, body: body)
            #expect(withStatic.status == .ok)
            let client = try #require(client)
            let rows = try await client.query("SELECT correlation_id, session_context FROM notifications")
            let (correlation, context) = try rows[0].decode((UUID?, String?).self)
            #expect(correlation == nil)
            #expect(context == "created-outside-mpshook-42")
        }
    }

    @Test func anotherEventTypeIsStoredForTheRecord() async throws {
        try await withDoor { http, client in
            let correlation = CorrelationId()
            let response = try await Self.post(
                http, token: Self.tokens.token(for: correlation),
                body: Self.body(context: correlation.sessionContext, eventType: "WorkflowTask")
            )
            #expect(response.status == .ok)
            let client = try #require(client)
            let rows = try await client.query("SELECT event_type FROM notifications")
            #expect(try rows[0].decode(String.self, at: 0) == "WorkflowTask")
        }
    }

    @Test func theSameNotificationTenTimesAtOnceIsStoredOnce() async throws {
        try await withDoor { http, client in
            let correlation = CorrelationId()
            let token = Self.tokens.token(for: correlation)
            let body = Self.body(context: correlation.sessionContext)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<10 {
                    group.addTask { try await Self.post(http, token: token, body: body).status }
                }
                var all: [HTTPResponse.Status] = []
                for try await status in group { all.append(status) }
                return all
            }
            #expect(statuses.count == 10)
            #expect(statuses.allSatisfy { $0 == .ok })
            #expect(try await Self.rows(client) == 1)
        }
    }

    @Test func manyDistinctNotificationsShareCommitsAndAllAreStored() async throws {
        try await withDoor { http, client in
            let count = 200
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<count {
                    group.addTask {
                        let correlation = CorrelationId()
                        return try await Self.post(http, token: Self.tokens.token(for: correlation), body: Self.body(context: correlation.sessionContext)).status
                    }
                }
                var all: [HTTPResponse.Status] = []
                for try await status in group { all.append(status) }
                return all
            }
            #expect(statuses.filter { $0 == .ok }.count == count)
            #expect(try await Self.rows(client) == count)
        }
    }

    @Test func aDatabaseThatIsDownGets503NeverA200() async throws {
        // Nothing listens on loopback port 1: every store attempt fails at once.
        try await withDoor(databaseURL: "postgresql://postgres@127.0.0.1:1/none", storeTimeout: .seconds(2)) { http, _ in
            let correlation = CorrelationId()
            let started = ContinuousClock.now
            let response = try await Self.post(http, token: Self.tokens.token(for: correlation), body: Self.body(context: correlation.sessionContext))
            #expect(response.status == .serviceUnavailable)
            #expect(response.headers[.contentType] == "application/problem+json")
            // Bounded by the store timeout (2 s), not the pool's endless reconnecting; the slack
            // is for the parallel pass, where this has taken 10 s on 2 shared cores.
            #expect(ContinuousClock.now - started < .seconds(30))
        }
    }

    /// One bad row in a shared batch fails only its own request: the batch is retried row by row.
    @Test func aBadRowFailsOnlyItsOwnRequestInASharedBatch() async throws {
        let migrator = try Migrator.load(directory: TestDatabase.repositoryRoot.appendingPathComponent("migrations").path)
        try await TestDatabase.withFreshDatabase { url in
            try await TestDatabase.withClient(url: url, maximumConnections: 4) { client in
                try await migrator.migrate(client, logger: Self.quiet)
                // A long linger and a batch of 8 make the eight submissions share one batch.
                let committer = GroupCommitter(client: client, batchSize: 8, linger: .milliseconds(300), writers: 1, logger: Self.quiet)
                let results = await withTaskGroup(of: Void.self) { group -> [Bool] in
                    group.addTask { try? await committer.run() }
                    let results = await withTaskGroup(of: Bool.self) { submissions in
                        for index in 0..<8 {
                            submissions.addTask {
                                let body = Self.body(context: CorrelationId().sessionContext)
                                // Not JSON: the ::jsonb cast refuses it, failing the whole batch once.
                                let headers = index == 3 ? "not json" : "{}"
                                let notification = IncomingNotification(
                                    contentHash: Array(SHA256.hash(Array(body.utf8))), correlationId: nil, sessionContext: nil,
                                    eventType: "BatchTask", body: body, headers: headers
                                )
                                return (try? await committer.submit(notification, timeout: .seconds(60))) == .stored
                            }
                        }
                        var stored: [Bool] = []
                        for await result in submissions { stored.append(result) }
                        return stored
                    }
                    group.cancelAll()
                    return results
                }
                #expect(results.filter { $0 }.count == 7)
                #expect(try await Self.rows(client) == 7)
            }
        }
    }
}

/// Issue 8: hostile bodies and tokens at the door.
extension IntakeIntegrationTests {
    /// A submitted step with one input, as the dispatcher leaves it.
    static func submittedStep(_ client: PostgresClient) async throws -> (correlation: CorrelationId, step: UUID) {
        let (correlation, _, stepId) = try await TestDatabase.createStep(client, state: "submitted")
        return (correlation, stepId)
    }

    static func output(_ client: PostgresClient, step: UUID) async throws -> (status: String, path: String?) {
        try await client.query("SELECT status, subtitle_path FROM outputs WHERE step_id = \(step)")[0].decode((String, String?).self)
    }

    /// A validly signed `Timestamp` of `Int64.max` used to overflow the expiry check and end the
    /// process; it is refused like any failed check.
    @Test func aTimestampNearInt64MaxGetsThe401AndNothingIsStored() async throws {
        try await withDoor { http, client in
            let correlation = CorrelationId()
            let token = Self.tokens.token(for: correlation)
            for expiry in [Int64.max, Int64.max - 1, Int64.max - 60] {
                let response = try await Self.post(http, token: token, body: Self.body(context: correlation.sessionContext, expiry: expiry))
                #expect(response.status == .unauthorized, "\(expiry)")
                #expect(String(buffer: response.body) == String(buffer: Self.notAuthenticatedBody))
            }
            #expect(try await Self.rows(client) == 0)
        }
    }

    /// Whoever holds a static token must not move an mpshook step (a real step was moved to FAIL so).
    @Test func aStaticTokenForAStepsSessionContextGets401AndNothingIsStored() async throws {
        try await withDoor { http, client in
            let client = try #require(client)
            let (correlation, step) = try await Self.submittedStep(client)
            let response = try await Self.post(http, token: Self.staticToken, body: Self.body(context: correlation.sessionContext, status: "FAIL"))
            #expect(response.status == .unauthorized)
            #expect(String(buffer: response.body) == String(buffer: Self.notAuthenticatedBody))
            #expect(try await Self.rows(client) == 0)
            #expect(try await Self.output(client, step: step).status == "WAITING")
        }
    }

    /// The attack of issue 8 through the real door and applier: a verified envelope saying
    /// PROCESSING, and beside it an escaped `Response` wrapper carrying an unverified SUCCESS.
    /// The door refuses it (400) and the step's output does not change.
    @Test func anEscapedResponseWrapperIsRefusedAndTheStepsOutputDoesNotChange() async throws {
        try await withDoor { http, client in
            let client = try #require(client)
            let (correlation, step) = try await Self.submittedStep(client)
            let token = Self.tokens.token(for: correlation)
            let context = correlation.sessionContext
            let genuine = try await Self.post(http, token: token, body: Self.body(context: context, status: "PROCESSING"))
            #expect(genuine.status == .ok)
            let applier = Applier(client: client, logger: Self.quiet)
            try await applier.applyBatch()
            let before = try await Self.output(client, step: step)
            #expect(before.status == "PROCESSING")

            let expiry = Int64(Date().timeIntervalSince1970) + 600
            let sign = NotificationVerifier.sign(timestamp: expiry, notifyKey: Self.notifyKey)
            let evil = #"{"EventType":"BatchTask","SessionContext":"\#(context)","BatchTaskEvent":{"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"SUCCESS","Progress":100,"AsrFullTextTask":{"Path":"/EVIL/injected.vtt","SubtitlePath":"https://evil.example/injected.vtt"}}]}}}"#
            let attack = #"{"EventType":"BatchTask","BatchTaskEvent":{"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"PROCESSING","Progress":50}]}},"SessionId":"","SessionContext":"\#(context)","Timestamp":\#(expiry),"Sign":"\#(sign)","Respons\u0065":\#(evil)}"#
            let response = try await Self.post(http, token: token, body: attack)
            #expect(response.status == .badRequest)
            #expect(response.headers[.contentType] == "application/problem+json")
            try await applier.applyBatch()
            let after = try await Self.output(client, step: step)
            #expect(after.status == before.status)
            #expect(after.path == before.path)
            #expect(try await Self.rows(client) == 1)
        }
    }
}
