import Foundation
public import MPS

/// The one builder of the `BatchProcessMedia` request a step sends.
///
/// Two stages, because secrets must never be stored: ``stored(template:inputURLs:)`` is what the
/// step row keeps (the rendered template with its `InputInfo`, no `SessionContext`, no
/// `NotifyUrl` token, no `NotifyKey`), and ``sendable(stored:sessionContext:notify:)`` adds those
/// at send time and runs the result through the MPS validator. Job creation, workflow validation
/// and the dispatcher all go through the same two functions, so what is checked is what is sent.
public enum StepRequest {
    /// Where MPS reports, added at send time.
    public struct NotifyTarget: Sendable, Hashable {
        /// The full NotifyUrl, token included.
        public var url: String
        public var key: String?

        public init(url: String, key: String?) {
            self.url = url
            self.key = key
        }

        /// A target with the shape of the real one, for checking a request before anything is sent.
        public static let placeholder = NotifyTarget(url: "https://mpshook.invalid/mps/notify?token=placeholder", key: nil)
    }

    /// `TaskNotifyConfig` members mpshook sets (or, for the queue targets, never uses).
    public static let ownedNotifyMembers = ["NotifyUrl", "NotifyKey", "CmqModel", "CmqRegion", "TopicName", "QueueName", "AwsSQS"]

    /// The request a step row keeps: `template` (already rendered) with `InputInfo` made from
    /// `inputURLs` when given (nil keeps the template's own `InputInfo`).
    public static func stored(template: [String: JSONValue], inputURLs: [String]?) -> [String: JSONValue] {
        var request = template
        if let inputURLs {
            request["InputInfo"] = .array(inputURLs.map { ["Type": "URL", "UrlInputInfo": ["Url": .string($0)]] })
        }
        request.removeValue(forKey: "SessionContext")
        if case .object(var notify) = request["TaskNotifyConfig"] {
            for name in ownedNotifyMembers { notify.removeValue(forKey: name) }
            request["TaskNotifyConfig"] = .object(notify)
        }
        return request
    }

    /// The body to send: `stored` with the step's `SessionContext` and a `TaskNotifyConfig` that
    /// calls `notify` (`NotifyType` `URL`; `NotifyMode` `Finish` unless the step chose one),
    /// checked by the MPS validator.
    public static func sendable(
        stored: [String: JSONValue], sessionContext: String, notify: NotifyTarget
    ) -> Result<BatchProcessMediaRequest, ValidationProblems> {
        BatchProcessMediaValidator.decode(Array(sendableJSON(stored: stored, sessionContext: sessionContext, notify: notify).utf8))
    }

    /// The JSON text ``sendable(stored:sessionContext:notify:)`` validates (compact, sorted keys).
    public static func sendableJSON(stored: [String: JSONValue], sessionContext: String, notify: NotifyTarget) -> String {
        var object = stored
        object["SessionContext"] = .string(sessionContext)
        switch object["TaskNotifyConfig"] {
        case nil, .some(.object):
            var config = object["TaskNotifyConfig"]?.objectValue ?? [:]
            config["NotifyType"] = "URL"
            if config["NotifyMode"] == nil { config["NotifyMode"] = "Finish" }
            config["NotifyUrl"] = .string(notify.url)
            config["NotifyKey"] = notify.key.map(JSONValue.string)
            object["TaskNotifyConfig"] = .object(config)
        default:
            break  // not an object: left for the validator to report
        }
        return encode(.object(object)) ?? "{}"
    }

    /// Reads a stored request (JSON text); an unreadable one reads as an empty object, which the
    /// validator then refuses (never sent).
    public static func decode(_ text: String) -> [String: JSONValue] {
        (try? MPSJSON.decoder.decode(JSONValue.self, from: Data(text.utf8)))?.objectValue ?? [:]
    }

    /// Compact JSON with sorted keys, as every stored body is written.
    public static func encode(_ value: JSONValue) -> String? {
        (try? MPSJSON.encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) }
    }
}
