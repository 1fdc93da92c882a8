import Correlation
import Foundation
import API
import MPS
import Postgres
import Store
import Testing

@testable import StepDispatch

/// What the jobs API accepts is what the dispatcher can send: the stored request, completed at
/// send time, passes the same validator.
@Suite struct JobRequestDispatchTests {
    static let body = #"""
        {"inputUrls":["https://e.com/a.mp4","https://e.com/b.mp4"],
         "request":{"OutputStorage":{"Type":"COS","CosOutputStorage":{"Bucket":"b-1250000000","Region":"ap-guangzhou"}},
                    "SmartSubtitlesTask":{"Definition":0,"RawParameter":{"SubtitleType":0,"VideoSrcLanguage":"en","SubtitleFormat":"vtt"}}NOTIFY}}
        """#

    @Test(arguments: ["", #","TaskNotifyConfig":{"NotifyMode":"Change"}"#, #","TaskNotifyConfig":{}"#])
    func anAcceptedBodyIsSentByTheDispatcher(_ notify: String) throws {
        let key = try #require(CallbackTokens.KeyId("k1"))
        let tokens = try CallbackTokens(keys: [key: Array(repeating: 7, count: 32)], current: key)
        let parsed = try JobRequest.parse(Array(Self.body.replacingOccurrences(of: "NOTIFY", with: notify).utf8)).get()
        let correlation = CorrelationId()
        let step = parsed.makeJob(correlation: correlation).steps[0]
        let sent = try SubmissionRequest.build(
            stored: step.request.text, sessionContext: step.sessionContext, correlation: correlation, tokens: tokens,
            configuration: DispatchConfiguration(publicBaseURL: "https://hooks.example.com", notifyKey: "nk")
        ).get()
        #expect(sent.inputInfo.map { $0.urlInputInfo?.url } == ["https://e.com/a.mp4", "https://e.com/b.mp4"])
        #expect(sent.sessionContext?.value == correlation.sessionContext)
        #expect(sent.taskNotifyConfig?.notifyType == .url)
        #expect(sent.taskNotifyConfig?.notifyMode == (notify.contains("Change") ? .change : .finish))
    }
}
