import Correlation
import Foundation
public import Hummingbird
import Logging
import Metrics
import MPS
import NIOCore
public import Store
public import Intake
import Workflows

/// The door's 401, rendered once (a generic type cannot hold a stored static): a flood of bad
/// callbacks costs no JSON encoding each.
private let callbackNotAuthenticated = APIProblem.callbackNotAuthenticated.response

/// The NotifyUrl door: checks each MPS callback (size, UTF-8 JSON, the URL token for the step
/// named in `SessionContext`, then `Sign` and expiry when a NotifyKey is set), stores it raw
/// through the group commit, and answers 200 only after that commit.
///
/// Answers: 200 stored or duplicate; 400 malformed (problem+json); 401 when a check fails, one
/// constant problem+json for every check (the reason goes to metrics, never to the caller or a
/// log line with the token); 413 too large; 503 when the database did not commit in time (MPS
/// retries).
public struct IntakeController<Context: RemoteAddressRequestContext>: Sendable {
    /// Where a checked notification goes before it is answered.
    public enum Storage: Sendable {
        /// The product: a shared batch per commit (``GroupCommitter``).
        case groupCommit(GroupCommitter)
        /// Benchmark baseline only: one INSERT and commit per request.
        case insertPerRequest(NotificationStore)
        /// Benchmark baseline only: checked, then answered without storing anything.
        case discard
    }

    let configuration: IntakeConfiguration
    let storage: Storage
    /// Who sent a callback: the peer, or the client a trusted proxy forwarded it for.
    private let clientAddress: ClientAddressRule
    /// One "answered 503" line per 5 s at most: an outage must not flood the logs.
    private let unavailableLog = LogThrottle(interval: .seconds(5))

    public init(configuration: IntakeConfiguration, committer: GroupCommitter) {
        self.init(configuration: configuration, storage: .groupCommit(committer))
    }

    public init(configuration: IntakeConfiguration, storage: Storage) {
        self.configuration = configuration
        self.storage = storage
        self.clientAddress = configuration.clientAddress
    }

    /// Mounts `POST` at `path` (default `/mps/notify`).
    public func endpoints(path: String = "/mps/notify") -> RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.post(RouterPath(path)) { request, context in
            try await self.receive(request, context: context)
        }
        return routes
    }

    func receive(_ request: Request, context: Context) async throws -> Response {
        let started = ContinuousClock.now
        let (response, answer) = await answer(request, context: context)
        answer.record(since: started)
        return response
    }

    /// The answer to one callback, and which of the door's answers it is (for the metrics).
    private func answer(_ request: Request, context: Context) async -> (Response, IntakeMetrics.Answer) {
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > configuration.maximumBodySize {
            return (APIProblem.tooLarge(limit: configuration.maximumBodySize).response, .rejected("too_large"))
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: configuration.maximumBodySize)
        } catch {
            return (APIProblem.tooLarge(limit: configuration.maximumBodySize).response, .rejected("too_large"))
        }
        let bytes = Array(buffer: buffer)
        guard let body = String(validating: bytes, as: UTF8.self) else {
            return (APIProblem(.badRequest, .invalidNotification, "the body is not valid UTF-8").response, .rejected("not_utf8"))
        }
        // The strict read below refuses what PostgreSQL would (a raw or escaped NUL) and a BOM,
        // so one request never fails a whole batch.
        let envelope: NotificationEnvelope
        let fingerprint: [UInt8]
        switch NotificationVerifier.read(bytes) {
        case .success(let read):
            (envelope, fingerprint) = read
        case .failure(let rejection):
            return (APIProblem(.badRequest, .invalidNotification, rejection.description).response, .rejected(rejection.reason))
        }
        let correlation = CorrelationId(sessionContext: envelope.sessionContext)
        guard let token = request.uri.queryParameters.get("token"), configuration.tokens.verify(token, for: correlation) else {
            return (callbackNotAuthenticated, .rejected("token"))
        }
        if case .failure(let rejection) = configuration.verifier.check(envelope, now: Int64(Date().timeIntervalSince1970)) {
            return (callbackNotAuthenticated, .rejected(rejection.reason))
        }
        let notification = IncomingNotification(
            contentHash: fingerprint,
            correlationId: correlation?.uuid,
            sessionContext: envelope.sessionContext,
            eventType: envelope.eventType,
            body: body,
            headers: Self.safeHeaders(request.headers, token: token),
            sourceAddress: clientAddress.client(request.headers, peer: context.remoteAddress)?.description,
            receivedAt: Date()
        )
        do {
            let outcome = try await store(notification)
            return (
                Self.json(.ok, outcome == .stored ? #"{"status":"stored"}"# : #"{"status":"duplicate"}"#),
                outcome == .stored ? .stored : .duplicate
            )
        } catch {
            if let suppressed = unavailableLog.admit() {
                context.logger.warning("notification not stored; answered 503", metadata: [
                    "error": "\(Self.describe(error))", "log.suppressed": "\(suppressed)",
                ])
            }
            return (
                APIProblem(.serviceUnavailable, .unavailable, "the notification could not be stored now; retry", headers: [.retryAfter: "1"]).response,
                .unavailable
            )
        }
    }

    private func store(_ notification: IncomingNotification) async throws -> GroupCommitter.Outcome {
        switch storage {
        case .groupCommit(let committer):
            return try await committer.submit(notification, timeout: configuration.storeTimeout)
        case .insertPerRequest(let store):
            return try await store.insert([notification]).first == true ? .stored : .duplicate
        case .discard:
            return .stored
        }
    }

    /// Header names (lower-cased) and values as a JSON object, without credentials and without
    /// any value that holds the token or its MAC in any encoding (a proxy may copy the original
    /// URL into a header, percent-encoded or not): such a value is left out, not redacted.
    static func safeHeaders(_ headers: HTTPFields, token: String) -> String {
        let search = TokenSearch(token: token)
        var kept: [(name: String, value: String)] = []
        for field in headers {
            let name = field.name.canonicalName
            if CredentialHeaders.names.contains(name) { continue }
            if search.isFound(in: field.value) { continue }
            if let index = kept.firstIndex(where: { $0.name == name }) {
                kept[index].value += ", " + field.value
            } else {
                kept.append((name, field.value))
            }
        }
        kept.sort { $0.name < $1.name }
        var json = "{"
        for (index, field) in kept.enumerated() {
            if index > 0 { json += "," }
            Self.appendJSONString(field.name, to: &json)
            json += ":"
            Self.appendJSONString(field.value, to: &json)
        }
        return json + "}"
    }

    /// Appends `text` as a JSON string literal (quotes, backslashes and control characters escaped).
    static func appendJSONString(_ text: String, to json: inout String) {
        json += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": json += "\\\""
            case "\\": json += "\\\\"
            case "\n": json += "\\n"
            case "\r": json += "\\r"
            case "\t": json += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                json += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: json.unicodeScalars.append(scalar)
            }
        }
        json += "\""
    }

    static func describe(_ error: any Error) -> String {
        if error is GroupCommitter.Timeout { return "the store did not commit within the timeout" }
        return "\(error)"
    }

    static func json(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}

/// Request headers never stored: they carry credentials.
enum CredentialHeaders {
    static let names: Set<String> = ["authorization", "proxy-authorization", "cookie", "set-cookie", "x-tc-token"]
}

/// The door's answers: counted by outcome (stored, duplicate, rejected by reason, 503) and
/// timed (request received to answer ready) by outcome. Every series is made once, on first use
/// (after the metrics system is bootstrapped), so a request only looks a counter up in a table
/// built up front: no label string is made and no lock taken beyond the metric's own.
public enum IntakeMetrics {
    static let stored = Counter(label: "mpshook_intake_stored_total", dimensions: [("outcome", "stored")])
    static let duplicate = Counter(label: "mpshook_intake_stored_total", dimensions: [("outcome", "duplicate")])
    static let unavailable = Counter(label: "mpshook_intake_unavailable_total")
    /// Every reason a callback is refused: too large, not UTF-8, a failed token check, and every
    /// ``NotificationRejection/reasons``.
    static let reasons = ["too_large", "not_utf8", "token"] + NotificationRejection.reasons
    static let rejections: [String: Counter] = Dictionary(
        uniqueKeysWithValues: reasons.map { reason in
            (reason, Counter(label: "mpshook_intake_rejected_total", dimensions: [("reason", reason)]))
        }
    )
    static let durations: [Answer.Kind: Metrics.Timer] = Dictionary(
        uniqueKeysWithValues: Answer.Kind.allCases.map { kind in
            (kind, Metrics.Timer(label: "mpshook_intake_duration_seconds", dimensions: [("outcome", kind.rawValue)], preferredDisplayUnit: .seconds))
        }
    )

    /// From half a millisecond (an answer from memory) to the store timeout's range.
    public static let durationBuckets: [String: [Duration]] = [
        "mpshook_intake_duration_seconds": [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500),
            .seconds(5), .seconds(10),
        ],
    ]

    /// Makes every series now, so each is scraped (at zero) before its first event.
    public static func prepare() {
        _ = (stored, duplicate, unavailable, rejections, durations)
    }

    /// One of the door's answers.
    enum Answer {
        case stored, duplicate, unavailable
        /// Refused, with a reason from ``IntakeMetrics/reasons``.
        case rejected(String)

        /// The answer's `outcome` label on the latency histogram.
        enum Kind: String, CaseIterable {
            case stored, duplicate, rejected, unavailable
        }

        var kind: Kind {
            switch self {
            case .stored: .stored
            case .duplicate: .duplicate
            case .unavailable: .unavailable
            case .rejected: .rejected
            }
        }

        /// Counts the answer and times it from `started`.
        func record(since started: ContinuousClock.Instant) {
            switch self {
            case .stored: IntakeMetrics.stored.increment()
            case .duplicate: IntakeMetrics.duplicate.increment()
            case .unavailable: IntakeMetrics.unavailable.increment()
            case .rejected(let reason): IntakeMetrics.rejections[reason]?.increment()
            }
            IntakeMetrics.durations[kind]?.recordNanoseconds(Int64((ContinuousClock.now - started) / .nanoseconds(1)))
        }
    }
}
