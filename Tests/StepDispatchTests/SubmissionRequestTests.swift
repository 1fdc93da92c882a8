import Correlation
import Foundation
import MPS
import Testing

@testable import StepDispatch

@Suite struct SubmissionRequestTests {
    static let key = CallbackTokens.KeyId("k1")!
    static let tokens = try! CallbackTokens(keys: [key: Array(repeating: 7, count: 32)], current: key)
    static let configuration = DispatchConfiguration(publicBaseURL: "https://hooks.example.com/", notifyKey: "notify-key-1")
    static let stored = #"{"InputInfo":[{"Type":"URL","UrlInputInfo":{"Url":"https://e.com/a.mp4"}}],"OutputStorage":{"Type":"COS","CosOutputStorage":{"Bucket":"b-125","Region":"ap-guangzhou"}},"SmartSubtitlesTask":{"Definition":0,"RawParameter":{"SubtitleType":0,"VideoSrcLanguage":"en","SubtitleFormat":"vtt"}},"TaskNotifyConfig":{"NotifyType":"URL","NotifyMode":"Change"}}"#

    @Test func addsTheStepsTokenKeyAndSessionContextAtSendTime() throws {
        let correlation = CorrelationId()
        let request = try SubmissionRequest.build(
            stored: Self.stored, sessionContext: correlation.sessionContext, correlation: correlation,
            tokens: Self.tokens, configuration: Self.configuration
        ).get()
        #expect(request.sessionContext?.value == correlation.sessionContext)
        let notify = try #require(request.taskNotifyConfig)
        #expect(notify.notifyUrl == "https://hooks.example.com/mps/notify?token=" + Self.tokens.token(for: correlation))
        #expect(notify.notifyKey == "notify-key-1")
        #expect(notify.notifyMode == .change)
        #expect(notify.notifyType == .url)
    }

    @Test func aStoredRequestWithoutNotifySettingsGetsFinishModeCallbacks() throws {
        let correlation = CorrelationId()
        let withoutNotify = Self.stored.replacingOccurrences(of: #","TaskNotifyConfig":{"NotifyType":"URL","NotifyMode":"Change"}"#, with: "")
        let request = try SubmissionRequest.build(
            stored: withoutNotify, sessionContext: correlation.sessionContext, correlation: correlation,
            tokens: Self.tokens, configuration: DispatchConfiguration(publicBaseURL: "http://127.0.0.1:8080")
        ).get()
        #expect(request.taskNotifyConfig?.notifyMode == .finish)
        #expect(request.taskNotifyConfig?.notifyKey == nil)
        #expect(request.taskNotifyConfig?.notifyUrl?.hasPrefix("http://127.0.0.1:8080/mps/notify?token=k1.") == true)
    }

    @Test func anInvalidStoredRequestIsReportedNotSent() {
        let correlation = CorrelationId()
        let result = SubmissionRequest.build(
            stored: #"{"InputInfo":[]}"#, sessionContext: correlation.sessionContext, correlation: correlation,
            tokens: Self.tokens, configuration: Self.configuration
        )
        guard case .failure(let problems) = result else {
            Issue.record("an empty InputInfo must be refused")
            return
        }
        #expect(!problems.isEmpty)
    }

    @Test func backoffDoublesWithJitterAndIsCapped() throws {
        let configuration = DispatchConfiguration(publicBaseURL: "http://x", initialBackoff: .seconds(1), maximumBackoff: .seconds(8))
        // Jitter keeps each delay within 50–100 % of the doubled, capped base.
        for (attempt, base) in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (10, 8.0)] {
            let delay = Dispatcher.backoff(attempt: attempt, configuration: configuration)
            let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
            #expect(seconds >= base * 0.5 && seconds <= base, "attempt \(attempt): \(seconds)")
        }
    }
}
