import Correlation
import Foundation
import MPS

/// Turns a stored step request into the body to send: the step's own SessionContext, and a
/// TaskNotifyConfig that calls back our NotifyUrl with the step's token (and our NotifyKey).
/// The stored copy never holds the token or the key; they are derived here, at send time.
enum SubmissionRequest {
    static func build(
        stored: String, sessionContext: String, correlation: CorrelationId,
        tokens: CallbackTokens, configuration: DispatchConfiguration
    ) -> Result<BatchProcessMediaRequest, ValidationProblems> {
        var object: [String: JSONValue] = [:]
        if let decoded = try? MPSJSON.decoder.decode(JSONValue.self, from: Data(stored.utf8)), let fields = decoded.objectValue {
            object = fields
        }
        object["SessionContext"] = .string(sessionContext)
        var notify = object["TaskNotifyConfig"]?.objectValue ?? [:]
        notify["NotifyType"] = .string("URL")
        if notify["NotifyMode"] == nil { notify["NotifyMode"] = .string("Finish") }
        notify["NotifyUrl"] = .string(
            configuration.publicBaseURL + configuration.notifyPath + "?token=" + tokens.token(for: correlation)
        )
        if let key = configuration.notifyKey { notify["NotifyKey"] = .string(key) } else { notify["NotifyKey"] = nil }
        object["TaskNotifyConfig"] = .object(notify)
        let bytes = (try? MPSJSON.encoder.encode(JSONValue.object(object))).map(Array.init) ?? []
        return BatchProcessMediaValidator.decode(bytes)
    }
}
