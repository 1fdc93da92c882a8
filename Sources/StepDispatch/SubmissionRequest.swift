import Correlation
import MPS
import Workflows

/// The body a claimed step sends: its stored request with its SessionContext, and a
/// TaskNotifyConfig that calls back our NotifyUrl with the step's token (and our NotifyKey),
/// built by the one builder (`StepRequest`). The stored copy never holds the token or the key;
/// they are derived here, at send time.
enum SubmissionRequest {
    static func build(
        stored: String, sessionContext: String, correlation: CorrelationId,
        tokens: CallbackTokens, configuration: DispatchConfiguration
    ) -> Result<BatchProcessMediaRequest, ValidationProblems> {
        let notify = StepRequest.NotifyTarget(
            url: configuration.publicBaseURL + configuration.notifyPath + "?token=" + tokens.token(for: correlation),
            key: configuration.notifyKey
        )
        return StepRequest.sendable(stored: StepRequest.decode(stored), sessionContext: sessionContext, notify: notify)
    }
}
