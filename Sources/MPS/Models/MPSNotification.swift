import Foundation

/// The body MPS POSTs to `NotifyUrl` (the `ParseNotification` output). For `BatchProcessMedia`
/// expect `eventType` `BatchTask` with `batchTaskEvent` set.
///
/// Only `EventType` is required; every other field is optional and decoded leniently (`null`,
/// missing or mistyped → `nil`), and unknown fields are ignored. `timestamp` is the *expiry* of
/// the signature, not the send time. `description` never shows `sign`.
public struct MPSNotification: Sendable, Hashable, Codable, CustomStringConvertible, CustomDebugStringConvertible {
    /// `BatchTask`, `WorkflowTask`, `EditMediaTask`, `ScheduleTask`, `ExtractBlindWatermark`, …
    public var eventType: String
    public var batchTaskEvent: BatchSubTaskResult?
    /// Kept raw: mpshook only submits batch tasks.
    public var workflowTaskEvent: JSONValue?
    public var editMediaTaskEvent: JSONValue?
    public var scheduleTaskEvent: JSONValue?
    public var extractBlindWatermarkTask: JSONValue?
    /// Always empty for batch tasks (`BatchProcessMedia` has no `SessionId`).
    public var sessionId: String?
    /// The request's `SessionContext`: how a callback finds its task.
    public var sessionContext: String?
    /// UNIX seconds after which the notification must be refused (accepted as a number or a numeric string).
    public var timestamp: Int64?
    /// `lowercase hex MD5(decimal Timestamp + NotifyKey)`.
    public var sign: String?
    public var requestId: String?

    enum CodingKeys: String, CodingKey {
        case eventType = "EventType"
        case batchTaskEvent = "BatchTaskEvent"
        case workflowTaskEvent = "WorkflowTaskEvent"
        case editMediaTaskEvent = "EditMediaTaskEvent"
        case scheduleTaskEvent = "ScheduleTaskEvent"
        case extractBlindWatermarkTask = "ExtractBlindWatermarkTask"
        case sessionId = "SessionId"
        case sessionContext = "SessionContext"
        case timestamp = "Timestamp"
        case sign = "Sign"
        case requestId = "RequestId"
    }

    public init(
        eventType: String,
        batchTaskEvent: BatchSubTaskResult? = nil,
        workflowTaskEvent: JSONValue? = nil,
        editMediaTaskEvent: JSONValue? = nil,
        scheduleTaskEvent: JSONValue? = nil,
        extractBlindWatermarkTask: JSONValue? = nil,
        sessionId: String? = nil,
        sessionContext: String? = nil,
        timestamp: Int64? = nil,
        sign: String? = nil,
        requestId: String? = nil
    ) {
        self.eventType = eventType
        self.batchTaskEvent = batchTaskEvent
        self.workflowTaskEvent = workflowTaskEvent
        self.editMediaTaskEvent = editMediaTaskEvent
        self.scheduleTaskEvent = scheduleTaskEvent
        self.extractBlindWatermarkTask = extractBlindWatermarkTask
        self.sessionId = sessionId
        self.sessionContext = sessionContext
        self.timestamp = timestamp
        self.sign = sign
        self.requestId = requestId
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.eventType = try container.decode(String.self, forKey: .eventType)
        self.batchTaskEvent = container.lenient(.batchTaskEvent)
        self.workflowTaskEvent = container.lenient(.workflowTaskEvent)
        self.editMediaTaskEvent = container.lenient(.editMediaTaskEvent)
        self.scheduleTaskEvent = container.lenient(.scheduleTaskEvent)
        self.extractBlindWatermarkTask = container.lenient(.extractBlindWatermarkTask)
        self.sessionId = container.lenient(.sessionId)
        self.sessionContext = container.lenient(.sessionContext)
        if let number: Int64 = container.lenient(.timestamp) {
            self.timestamp = number
        } else if let text: String = container.lenient(.timestamp) {
            self.timestamp = Int64(text)
        } else {
            self.timestamp = nil
        }
        self.sign = container.lenient(.sign)
        self.requestId = container.lenient(.requestId)
    }

    /// Decodes a callback body: the bare `ParseNotification` output, or the same wrapped as
    /// `{"Response": {…}}`. Throws `DecodingError` when the body is not a JSON object or has no
    /// string `EventType`.
    public static func decode(from bytes: some Sequence<UInt8>) throws -> MPSNotification {
        try MPSJSON.decoder().decode(Body.self, from: Data(bytes)).notification
    }

    /// The callback body, bare or wrapped in `Response`.
    private struct Body: Decodable {
        let notification: MPSNotification

        private enum Keys: String, CodingKey {
            case eventType = "EventType"
            case response = "Response"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            if !container.contains(.eventType), container.contains(.response) {
                self.notification = try container.decode(MPSNotification.self, forKey: .response)
            } else {
                self.notification = try MPSNotification(from: decoder)
            }
        }
    }

    /// The outputs' statuses, in order (empty when the body carries no batch result).
    public var outputStatuses: [OutputStatus?] {
        (self.batchTaskEvent?.smartSubtitlesTaskResult?.outputs ?? []).map(\.status)
    }

    public var description: String {
        MPSRedaction.describe(
            "MPSNotification",
            [
                ("EventType", self.eventType),
                ("SessionContext", self.sessionContext),
                ("Timestamp", self.timestamp.map { String($0) }),
                ("Sign", self.sign.map { MPSRedaction.secret($0) }),
                ("Outputs", self.batchTaskEvent.map { _ in "\(self.outputStatuses.map { $0?.rawValue ?? "nil" })" }),
            ]
        )
    }

    public var debugDescription: String { self.description }
}
