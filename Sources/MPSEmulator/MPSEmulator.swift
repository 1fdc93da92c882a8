public import Curl
public import Foundation
import Hashing
public import Logging
import MPS
import MPSTransport
import Redacting
public import ServiceLifecycle
import Synchronization

/// A stand-in for Tencent Cloud MPS that speaks its real wire format: TC3-signed API 3.0
/// requests in (`BatchProcessMedia`, `DescribeBatchTaskDetail`), real error shapes and
/// notification JSON out, callbacks POSTed to each task's `NotifyUrl` with the `Curl` module.
///
/// Run it as a `Service` (it delivers callbacks from `run()`); serve it over HTTP with
/// ``EmulatorServer``. Every call and callback is recorded for tests to count.
public final class MPSEmulator: Service, Sendable {
    public let configuration: EmulatorConfiguration
    private let authenticator: RequestAuthenticator
    private let batchLimiter: RateLimiter
    private let describeLimiter: RateLimiter
    private let http: CurlClient
    private let logger: Logger
    private let state: Mutex<State>
    private let shuttingDown = Atomic<Bool>(false)
    private let hangsReleased = Atomic<Bool>(false)

    private struct State: ~Copyable {
        var tasks: [String: EmulatedTask] = [:]
        var taskOrder: [String] = []
        var calls: [RecordedCall] = []
        var callbacks: [RecordedCallback] = []
        var pending: [Delivery] = []
        /// Tasks with a delivery in flight: a task's notifications go out one at a time, in order.
        var inFlight: Set<String> = []
        var faults: EmulatorFaults
        var random: SplitMix64
        /// `flaky` URLs that already ran once: they fail only their first time.
        var ranFlaky: Set<String> = []
    }

    struct Delivery: Sendable {
        var taskId: String
        var stage: EmulatedTask.Stage
        var due: ContinuousClock.Instant
        var attempt: Int
        var isDuplicate: Bool
    }

    /// - Parameter http: sends the callbacks; the caller owns its thread pool.
    public init(configuration: EmulatorConfiguration = EmulatorConfiguration(), http: CurlClient, logger: Logger = Logger(label: "mps-emulator")) {
        self.configuration = configuration
        self.authenticator = RequestAuthenticator(keys: configuration.keys)
        self.batchLimiter = RateLimiter(limit: configuration.rateLimit)
        self.describeLimiter = RateLimiter(limit: configuration.rateLimit)
        self.http = http
        self.logger = logger
        self.state = Mutex(State(faults: configuration.faults, random: SplitMix64(seed: configuration.seed)))
    }

    // MARK: Inspection and control

    /// Every API call received, in order.
    public var calls: [RecordedCall] { state.withLock { $0.calls } }
    /// Every callback delivery and decision, in order.
    public var callbacks: [RecordedCallback] { state.withLock { $0.callbacks } }
    /// The faults now in force.
    public var faults: EmulatorFaults {
        get { state.withLock { $0.faults } }
        set { state.withLock { $0.faults = newValue } }
    }
    /// Callbacks still scheduled.
    public var pendingCallbacks: Int { state.withLock { $0.pending.count } }

    /// Forgets tasks, records and pending callbacks; keeps configuration, faults, and which
    /// `flaky` URLs already ran (they fail only the first time in this process).
    public func reset() {
        state.withLock { state in
            state.tasks = [:]
            state.taskOrder = []
            state.calls = []
            state.callbacks = []
            state.pending = []
        }
    }

    // MARK: The API

    /// An API answer: always HTTP 200 and `application/json`, as Tencent Cloud API 3.0 answers.
    public struct Answer: Sendable {
        public var status: Int
        public var body: [UInt8]
    }

    /// Handles one API request: `POST /` with a JSON body, or `GET /?…` with the parameters in
    /// the query string (`query`, raw as received: the TC3 signature covers it byte for byte).
    /// Headers have lower-cased names.
    ///
    /// GET serves `DescribeBatchTaskDetail`, whose one parameter is a plain string. GET for
    /// `BatchProcessMedia` is answered `UnsupportedOperation`: its nested parameters arrive
    /// flattened into strings (`InputInfo.0.Type=URL`), whose JSON types would have to be guessed
    /// back, and mpshook never sends it; the real API accepts it (up to 32 KB).
    public func handle(
        method: String = "POST", query: String = "", headers: [String: String], body: [UInt8],
        arrivedAt: Date = Date(), arrivedInstant: ContinuousClock.Instant = .now
    ) async -> Answer {
        let requestId = UUID().uuidString.lowercased()
        let received = arrivedAt.timeIntervalSince1970
        let action = headers["x-tc-action"] ?? ""
        let now = Int64(Date().timeIntervalSince1970)
        let authenticated = authenticator.authenticate(
            method: method, query: query, authorization: headers["authorization"], timestamp: headers["x-tc-timestamp"],
            host: headers["host"], contentType: headers["content-type"], body: body, now: now
        )
        if case .failure(let failure) = authenticated {
            return refuse(action: action, requestId: requestId, code: failure.code, message: failure.message)
        }
        guard headers["x-tc-version"] == MPSClient.apiVersion else {
            return refuse(action: action, requestId: requestId, code: "NoSuchVersion", message: "The API version `\(headers["x-tc-version"] ?? "")` does not exist.")
        }
        if method == "GET" {
            return get(action: action, query: query, requestId: requestId, arrivedInstant: arrivedInstant)
        }
        guard headers["content-type"]?.lowercased().hasPrefix("application/json") == true else {
            return refuse(action: action, requestId: requestId, code: "InvalidParameter", message: "Content-Type must be application/json.")
        }
        switch action {
        case "BatchProcessMedia":
            guard batchLimiter.admit(now: arrivedInstant) else {
                return refuse(action: action, requestId: requestId, code: "RequestLimitExceeded", message: "Your current request frequency exceeds the limit of \(configuration.rateLimit) per second.", receivedAt: received)
            }
            return await batchProcessMedia(body: body, requestId: requestId, receivedAt: received)
        case "DescribeBatchTaskDetail":
            guard describeLimiter.admit(now: arrivedInstant) else {
                return refuse(action: action, requestId: requestId, code: "RequestLimitExceeded", message: "Your current request frequency exceeds the limit.")
            }
            guard let json = try? MPSJSON.decoder.decode(JSONValue.self, from: Data(body)), let request = json.objectValue else {
                return refuse(action: action, requestId: requestId, code: "InvalidParameter", message: "The request body is not a JSON object.")
            }
            return describeBatchTaskDetail(request, requestId: requestId)
        default:
            return refuse(action: action, requestId: requestId, code: "InvalidAction", message: "The action `\(action)` does not exist.")
        }
    }

    /// A signed GET: the parameters are the query's, as strings.
    private func get(action: String, query: String, requestId: String, arrivedInstant: ContinuousClock.Instant) -> Answer {
        switch action {
        case "DescribeBatchTaskDetail":
            guard let parameters = Self.parameters(query) else {
                return refuse(action: action, requestId: requestId, code: "InvalidParameter", message: "The query string is malformed.")
            }
            guard describeLimiter.admit(now: arrivedInstant) else {
                return refuse(action: action, requestId: requestId, code: "RequestLimitExceeded", message: "Your current request frequency exceeds the limit.")
            }
            return describeBatchTaskDetail(parameters.mapValues(JSONValue.string), requestId: requestId)
        case "BatchProcessMedia":
            return refuse(
                action: action, requestId: requestId, code: "UnsupportedOperation",
                message: "The emulator accepts BatchProcessMedia only as POST with a JSON body."
            )
        default:
            return refuse(action: action, requestId: requestId, code: "InvalidAction", message: "The action `\(action)` does not exist.")
        }
    }

    /// `a=1&b=x+y%2F` → `["a": "1", "b": "x y/"]` (form encoding, as the SDKs' `urlencode` writes
    /// it); `nil` when an escape is malformed.
    static func parameters(_ query: String) -> [String: String]? {
        var parameters: [String: String] = [:]
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decoded(_ text: Substring) -> String? {
                text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            }
            guard let name = decoded(parts[0]), let value = decoded(parts.count > 1 ? parts[1] : "") else { return nil }
            parameters[name] = value
        }
        return parameters
    }

    private func batchProcessMedia(body: [UInt8], requestId: String, receivedAt: Double) async -> Answer {
        let action = "BatchProcessMedia"
        guard let json = try? MPSJSON.decoder.decode(JSONValue.self, from: Data(body)), let given = json.objectValue else {
            return refuse(action: action, requestId: requestId, code: "InvalidParameter", message: "The request body is not a JSON object.")
        }
        let context = given["SessionContext"]?.stringValue
        // A gateway in front of MPS that cannot reach it: the request never got further.
        let badGateway = state.withLock { state -> Bool in
            guard state.faults.badGateway > 0 else { return false }
            state.faults.badGateway -= 1
            state.calls.append(RecordedCall(
                action: action, requestId: requestId, errorCode: "HTTP 502", taskId: nil, sessionContext: context, receivedAt: receivedAt
            ))
            return true
        }
        if badGateway {
            return Answer(status: 502, body: Array("<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>\n".utf8))
        }
        if let problem = BatchProcessMediaValidator.validate(json).first {
            return refuse(action: action, requestId: requestId, code: problem.errorCode, message: "\(problem.field): \(problem.message)", sessionContext: context)
        }
        // As MPS reads it: an optional member given as null is absent (and is not echoed back).
        let request = BatchProcessMediaValidator.droppingNulls(json).objectValue ?? given
        let taskId = "24000030-BatchTask-" + Hex.encode(SecureRandom.bytes(count: 16))
        let (fault, task) = state.withLock { state -> (Fault, EmulatedTask) in
            let inputs = request["InputInfo"]?.arrayValue ?? []
            let sourceLanguage = request["SmartSubtitlesTask"]?["RawParameter"]?["VideoSrcLanguage"]?.stringValue
            // The URL markers of EmulatorConfiguration.failureShare, most specific first.
            let failing = inputs.map { input -> Bool in
                let url = input["UrlInputInfo"]?["Url"]?.stringValue ?? ""
                if url.contains("fail-unless-auto") { return sourceLanguage != "auto" }
                if url.contains("flaky") { return state.ranFlaky.insert(url).inserted }
                if url.contains("fail") { return true }
                return state.random.nextUnit() < configuration.failureShare
            }
            let notifyConfig = request["TaskNotifyConfig"]
            var notify: EmulatedTask.Notify?
            if notifyConfig?["NotifyType"]?.stringValue == "URL", let url = notifyConfig?["NotifyUrl"]?.stringValue {
                notify = EmulatedTask.Notify(
                    mode: notifyConfig?["NotifyMode"]?.stringValue ?? "Finish", url: url,
                    key: notifyConfig?["NotifyKey"]?.stringValue ?? ""
                )
            }
            let task = EmulatedTask(
                taskId: taskId, request: request, createdAt: Date(), started: .now,
                processingTime: configuration.processingTime, failing: failing, notify: notify,
                sessionContext: context ?? "", priority: request["TasksPriority"]?.intValue ?? 0
            )
            state.tasks[taskId] = task
            state.taskOrder.append(taskId)
            schedule(task, in: &state)
            var fault = Fault.none
            if state.faults.hangAfterCreate > 0 {
                state.faults.hangAfterCreate -= 1
                fault = .hang
            } else if state.faults.internalErrorAfterCreate > 0 {
                state.faults.internalErrorAfterCreate -= 1
                fault = .internalError
            }
            state.calls.append(RecordedCall(
                action: action, requestId: requestId, errorCode: fault == .internalError ? "InternalError" : nil,
                taskId: taskId, sessionContext: context, receivedAt: receivedAt
            ))
            return (fault, task)
        }
        logger.debug("task created", metadata: ["mps.task_id": "\(task.taskId)", "mps.fault": "\(fault)"])
        switch fault {
        case .hang:
            while !shuttingDown.load(ordering: .relaxed), !hangsReleased.load(ordering: .relaxed), !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(100))
            }
            return answer(.object(["Error": .object(["Code": .string("InternalError"), "Message": .string("shutting down")]), "RequestId": .string(requestId)]))
        case .internalError:
            return answer(.object([
                "Error": .object(["Code": .string("InternalError"), "Message": .string("Internal error.")]),
                "RequestId": .string(requestId),
            ]))
        case .none:
            return answer(.object(["TaskId": .string(taskId), "RequestId": .string(requestId)]))
        }
    }

    private enum Fault: Equatable { case none, hang, internalError }

    private func describeBatchTaskDetail(_ request: [String: JSONValue], requestId: String) -> Answer {
        let action = "DescribeBatchTaskDetail"
        for key in request.keys.sorted() where key != "TaskId" {
            return refuse(action: action, requestId: requestId, code: "UnknownParameter", message: "The parameter `\(key)` is not recognized.")
        }
        guard let taskId = request["TaskId"]?.stringValue, !taskId.isEmpty else {
            return refuse(action: action, requestId: requestId, code: "MissingParameter", message: "The request is missing a required parameter `TaskId`.")
        }
        let task = state.withLock { state in
            state.calls.append(RecordedCall(
                action: action, requestId: requestId, errorCode: state.tasks[taskId] == nil ? "InvalidParameterValue.TaskId" : nil,
                taskId: taskId, sessionContext: state.tasks[taskId]?.sessionContext, receivedAt: Date().timeIntervalSince1970
            ))
            return state.tasks[taskId]
        }
        guard let task else {
            return answer(.object([
                "Error": .object(["Code": .string("InvalidParameterValue.TaskId"), "Message": .string("Task ID does not exist.")]),
                "RequestId": .string(requestId),
            ]))
        }
        return answer(task.detail(at: .now, requestId: requestId))
    }

    private func refuse(
        action: String, requestId: String, code: String, message: String, sessionContext: String? = nil,
        receivedAt: Double = Date().timeIntervalSince1970
    ) -> Answer {
        state.withLock { state in
            state.calls.append(RecordedCall(
                action: action, requestId: requestId, errorCode: code, taskId: nil, sessionContext: sessionContext,
                receivedAt: receivedAt
            ))
        }
        return answer(.object([
            "Error": .object(["Code": .string(code), "Message": .string(message)]),
            "RequestId": .string(requestId),
        ]))
    }

    private func answer(_ response: JSONValue) -> Answer {
        let body = (try? MPSJSON.encoder.encode(JSONValue.object(["Response": response]))).map(Array.init) ?? []
        return Answer(status: 200, body: body)
    }

    // MARK: Callbacks

    private func schedule(_ task: EmulatedTask, in state: inout State) {
        let offsets = task.notificationOffsets()
        let delay = Duration.milliseconds(state.faults.callbackDelayMilliseconds)
        let reorder = state.faults.reorder && offsets.count > 1
        for (index, (stage, offset)) in offsets.enumerated() {
            // Reordered: every notification waits for the last one, then goes out newest first,
            // far enough apart that they also arrive in that order.
            let due = reorder
                ? task.started + task.processingTime + delay + .milliseconds(150 * (offsets.count - 1 - index))
                : task.started + offset + delay
            state.pending.append(Delivery(taskId: task.taskId, stage: stage, due: due, attempt: 1, isDuplicate: false))
        }
    }

    /// Delivers callbacks as they fall due, until graceful shutdown.
    public func run() async throws {
        await withDiscardingTaskGroup { group in
            await withGracefulShutdownHandler {
                while !shuttingDown.load(ordering: .relaxed), !Task.isCancelled {
                    let now = ContinuousClock.now
                    let due = state.withLock { state -> [Delivery] in
                        if state.faults.holdCallbacks { return [] }
                        var ready: [Delivery] = []
                        var remaining: [Delivery] = []
                        for delivery in state.pending.sorted(by: { $0.due < $1.due }) {
                            if delivery.due <= now, !state.inFlight.contains(delivery.taskId) {
                                state.inFlight.insert(delivery.taskId)
                                ready.append(delivery)
                            } else {
                                remaining.append(delivery)
                            }
                        }
                        state.pending = remaining
                        return ready
                    }
                    for delivery in due {
                        group.addTask { await self.deliver(delivery) }
                    }
                    try? await Task.sleep(for: .milliseconds(5))
                }
            } onGracefulShutdown: {
                self.shuttingDown.store(true, ordering: .relaxed)
            }
        }
    }

    /// Releases calls held by the accept-then-hang fault (they answer `InternalError`), so a
    /// server waiting for in-flight requests can shut down.
    public func releaseHungCalls() {
        hangsReleased.store(true, ordering: .relaxed)
    }

    private func deliver(_ delivery: Delivery) async {
        defer { _ = state.withLock { $0.inFlight.remove(delivery.taskId) } }
        let decided = state.withLock { state -> (task: EmulatedTask, decision: Decision)? in
            guard let task = state.tasks[delivery.taskId] else { return nil }
            if delivery.attempt == 1, !delivery.isDuplicate {
                if state.random.nextUnit() < state.faults.dropShare { return (task, .drop) }
                if state.random.nextUnit() < state.faults.duplicateShare {
                    var copy = delivery
                    copy.isDuplicate = true
                    // A later resend, signed again: its Timestamp and Sign differ from the first.
                    copy.due = .now + .milliseconds(1100)
                    state.pending.append(copy)
                }
            }
            return (task, .send)
        }
        guard let (task, decision) = decided.map({ ($0.task, $0.decision) }), let notify = task.notify else { return }

        let timestamp = Int64(Date().timeIntervalSince1970) + configuration.notificationLifetime
        let notification = task.notification(at: delivery.stage, timestamp: timestamp)
        var record = RecordedCallback(
            taskId: task.taskId, sessionContext: task.sessionContext, url: Redaction.url(notify.url),
            statuses: task.statuses(at: delivery.stage), outcome: "dropped", attempt: delivery.attempt, httpStatus: nil,
            timestamp: timestamp, sign: notification["Sign"]?.stringValue ?? "", sentAt: Date().timeIntervalSince1970
        )
        guard decision == .send else {
            state.withLock { $0.callbacks.append(record) }
            return
        }
        guard !configuration.loopbackCallbacksOnly || Self.isLoopback(notify.url) else {
            record.outcome = "refused"
            state.withLock { $0.callbacks.append(record) }
            logger.info("callback not sent: NotifyUrl is not a loopback address", metadata: ["mps.task_id": "\(task.taskId)"])
            return
        }
        let body = (try? MPSJSON.encoder.encode(notification)).map(Array.init) ?? []
        var succeeded = false
        do {
            let response = try await http.execute(
                HTTPRequest(method: "POST", url: notify.url, headers: [("Content-Type", "application/json")], body: body),
                configuration: CurlConfiguration(connectTimeout: configuration.callbackTimeout, totalTimeout: configuration.callbackTimeout, maxResponseBytes: 1 << 16)
            )
            record.answeredAt = Date().timeIntervalSince1970
            record.httpStatus = response.status
            succeeded = (200..<300).contains(response.status)
        } catch {
            logger.debug("callback failed", metadata: ["mps.task_id": "\(task.taskId)", "error": "\(error)"])
        }
        record.outcome = succeeded ? (delivery.isDuplicate ? "duplicate" : "sent") : "failed"
        state.withLock { state in
            state.callbacks.append(record)
            if !succeeded, delivery.attempt <= configuration.callbackRetries {
                var retry = delivery
                retry.attempt += 1
                retry.due = .now + configuration.callbackRetryDelay
                state.pending.append(retry)
            }
        }
    }

    private enum Decision { case send, drop }

    /// True for `http(s)://` URLs whose host is 127.0.0.0/8, `localhost` or `[::1]`.
    static func isLoopback(_ url: String) -> Bool {
        guard let schemeEnd = url.range(of: "://") else { return false }
        let rest = url[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.contains("@") else { return false }
        if authority.hasPrefix("[") { return authority.hasPrefix("[::1]") }
        let host = authority.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
        if host == "localhost" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}

/// A small, seedable generator so emulator runs repeat exactly.
struct SplitMix64: Sendable {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in [0, 1).
    mutating func nextUnit() -> Double {
        Double(next() >> 11) / Double(1 << 53)
    }
}
