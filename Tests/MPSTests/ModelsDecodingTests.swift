import Foundation
import MPS
import Testing

/// Fixture files of the model and validation tests (`Tests/MPSTests/Fixtures`).
enum ModelsFixtures {
    static func data(_ name: String) throws -> Data {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"))
        return try Data(contentsOf: url)
    }

    static func json(_ name: String) throws -> JSONValue {
        try MPSJSON.decoder().decode(JSONValue.self, from: self.data(name))
    }

    /// The object inside an API response's `{"Response": …}`.
    static func response<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
        try MPSJSON.decoder().decode(Envelope<T>.self, from: self.data(name)).response
    }

    private struct Envelope<T: Decodable>: Decodable {
        let response: T
        enum CodingKeys: String, CodingKey { case response = "Response" }
    }
}

@Suite struct ModelsDecodingTests {
    @Test func successNotification() throws {
        let notification = try MPSNotification.decode(from: ModelsFixtures.data("notification-success"))
        #expect(notification.eventType == "BatchTask")
        #expect(notification.sessionContext == "job-42")
        #expect(notification.sessionId == "")
        #expect(notification.timestamp == 1_700_000_645)
        #expect(notification.sign == "07bc9e65362e16c2078bf4b8e93f9a03")
        #expect(notification.workflowTaskEvent == nil)
        #expect(notification.scheduleTaskEvent == nil)

        let event = try #require(notification.batchTaskEvent)
        let input = try #require(event.inputInfos?.first)
        #expect(input.type == "URL")
        #expect(input.urlInputInfo?.url == "https://example.com/videos/demo.mp4")
        #expect(input.cosInputInfo?.bucket == "")
        #expect(input.s3InputInfo == nil)

        let metadata = try #require(event.metadatas?.first)
        #expect(metadata.size == 12_025_270)
        #expect(metadata.duration == 55.455)
        #expect(metadata.videoStreamSet?.first?.codec == "h264")
        #expect(metadata.videoStreamSet?.first?.hdrType == "sdr")
        #expect(metadata.audioStreamSet?.first?.samplingRate == 44100)
        #expect(metadata.audioStreamSet?.first?.loudness == 0)

        let result = try #require(event.smartSubtitlesTaskResult)
        #expect(result.input?.definition == 0)
        #expect(result.input?.rawParameter?.subtitleType == 2)
        #expect(result.input?.rawParameter?.translateDstLanguage == "zh")
        #expect(result.input?.rawParameter?.asrHotWordsConfigure == nil)

        let output = try #require(result.outputs?.first)
        #expect(output.status == .success)
        #expect(output.status?.isTerminal == true)
        #expect(output.progress == 100)
        #expect(output.errCodeExt == "")
        #expect(output.message == "SUCCESS")
        #expect(output.asrFullTextTask == nil)
        let text = try #require(output.transTextTask)
        #expect(
            text.subtitlePath
                == "https://subs-1250000000.cos.ap-guangzhou.myqcloud.com/subtitles/demo_smartsubtitle_0.vtt"
        )
        #expect(text.path == "/subtitles/demo_smartsubtitle_0.vtt")
        #expect(text.outputStorage?.cosOutputStorage?.bucket == "subs-1250000000")
        #expect(text.segmentSet?.map(\.text) == ["Hello there.", "Welcome to the demo."])
        #expect(text.segmentSet?.first?.trans == "你好。")
        #expect(text.segmentSet?.first?.startTimeOffset == 1.774)
        #expect(text.segmentSet?.first?.wordlist == [])
        #expect(text.subtitleResults == [])
    }

    @Test func failureNotification() throws {
        let notification = try MPSNotification.decode(from: ModelsFixtures.data("notification-failure"))
        #expect(notification.sessionContext == "job-43")
        #expect(notification.timestamp == 1_700_004_245)
        #expect(notification.sign == "473877e5bc97e1631f3ccde66bb189c7")
        let event = try #require(notification.batchTaskEvent)
        #expect(event.metadatas == [])
        let output = try #require(event.smartSubtitlesTaskResult?.outputs?.first)
        #expect(output.status == .fail)
        #expect(output.errCodeExt == "SourceFileError")
        #expect(output.message == "source file error")
        #expect(output.progress == 0)
        #expect(output.transTextTask == nil)
        #expect(output.asrFullTextTask == nil)
        #expect(notification.outputStatuses == [.fail])
        #expect(event.smartSubtitlesTaskResult?.input?.rawParameter?.translateSwitch == "OFF")
        #expect(event.smartSubtitlesTaskResult?.input?.rawParameter?.targetLanguageCodes == [])
    }

    @Test func unknownFieldsAndNewValuesAreTolerated() throws {
        let notification = try MPSNotification.decode(from: ModelsFixtures.data("notification-extra-fields"))
        #expect(notification.sessionContext == "job-45")
        // A Timestamp sent as a numeric string still decodes.
        #expect(notification.timestamp == 1_700_000_645)
        #expect(notification.requestId == "3e0c9a2d-1111-2222-3333-444455556666")
        let event = try #require(notification.batchTaskEvent)
        #expect(event.metadatas == nil)
        let raw = try #require(event.smartSubtitlesTaskResult?.input?.rawParameter)
        // Codes and formats the strict request types would refuse decode in the echo.
        #expect(raw.videoSrcLanguage == "xx-NEW")
        #expect(raw.subtitleFormat == "ass")
        #expect(raw.targetLanguageCodes == ["en", "ja", "qq"])
        #expect(raw.asrHotWordsConfigure?.libraryId == "hwd-2670a776bb5eccccc324")
        #expect(raw.speakerLabel == 1)
        let output = try #require(event.smartSubtitlesTaskResult?.outputs?.first)
        #expect(output.status == .unknown("PARTIAL_SUCCESS"))
        #expect(output.status?.isTerminal == false)
        let segment = try #require(output.transTextTask?.segmentSet?.first)
        #expect(segment.text == "Good morning.")
        #expect(segment.speakerId == "speaker_0")
        #expect(segment.wordlist?.first?.word == "Good")
        #expect(segment.wordlist?.first?.end == 0.5)
        let results = try #require(output.transTextTask?.subtitleResults)
        #expect(results.map(\.status) == ["Success", "Error"])
        #expect(results.first?.transDst == "ja")
        #expect(results.first?.path == "/subtitles/demo_ja.vtt")
    }

    @Test func responseWrappedNotification() throws {
        let notification = try MPSNotification.decode(from: ModelsFixtures.data("notification-wrapped"))
        #expect(notification.eventType == "BatchTask")
        #expect(notification.sessionContext == "job-46")
        #expect(notification.timestamp == 1_700_001_000)
        #expect(notification.sign == "0123456789abcdef0123456789abcdef")
        let output = try #require(notification.batchTaskEvent?.smartSubtitlesTaskResult?.outputs?.first)
        #expect(output.status == .success)
        #expect(output.transTextTask == nil)
        let asr = try #require(output.asrFullTextTask)
        #expect(
            asr.subtitlePath
                == "https://subs-1250000000.cos.ap-guangzhou.myqcloud.com/subtitles/talk_smartsubtitle_0.vtt"
        )
        #expect(asr.path == "/subtitles/talk_smartsubtitle_0.vtt")
        #expect(asr.segmentSet?.first?.text == "Thanks for watching.")
        #expect(asr.segmentSet?.first?.wordlist == nil)
        #expect(asr.subtitleInfo?.language == "en")
        #expect(asr.subtitleInfo?.status == "Success")
        #expect(asr.outputStorage?.type == "COS")
    }

    @Test func describeFinished() throws {
        let response = try ModelsFixtures.response(DescribeBatchTaskDetailResponse.self, "describe-finish")
        #expect(response.status == .finish)
        #expect(response.taskType == "BatchTask")
        #expect(response.taskId == "24000030-BatchTask-e6fefa34fc497449c1a043b9a594c7det20")
        #expect(response.createTime == "2025-05-17T07:15:11Z")
        #expect(response.finishTime == "2025-05-17T07:15:36Z")
        #expect(response.tasksPriority == 0)
        #expect(response.sessionId == "qwer123")
        #expect(response.sessionContext == "asdzxcs")
        #expect(response.extInfo == "")
        #expect(response.requestId == "7d2b6f9e-3c1a-4a8e-9b55-0c1d2e3f4a5b")
        #expect(response.taskNotifyConfig?.notifyMode == "Finish")
        #expect(response.taskNotifyConfig?.notifyKey == "")
        #expect(response.taskNotifyConfig?.awsSQS == nil)

        let result = try #require(response.batchTaskResult)
        #expect(result.metadatas?.first?.audioStreamSet?.first?.loudness == nil)
        #expect(result.metadatas?.first?.videoStreamSet?.first?.fps == 25)
        let output = try #require(result.smartSubtitlesTaskResult?.outputs?.first)
        #expect(output.status == .success)
        #expect(output.errCodeExt == "")
        #expect(
            output.transTextTask?.subtitlePath == "http://tetst-xxxx-125xxxxx.cos.ap-xxxxx.myqcloud.com/output/3529.vtt"
        )
        #expect(output.transTextTask?.segmentSet?.first?.text == "大家好")
        #expect(output.transTextTask?.segmentSet?.first?.trans == "Hello everyone")
        #expect(output.transTextTask?.path == nil)
        #expect(output.transTextTask?.outputStorage == nil)
        #expect(output.transTextTask?.subtitleResults == nil)
    }

    @Test func describeProcessing() throws {
        let response = try ModelsFixtures.response(DescribeBatchTaskDetailResponse.self, "describe-processing")
        #expect(response.status == .processing)
        #expect(response.finishTime == "")
        #expect(response.taskNotifyConfig == nil)
        #expect(response.sessionContext == "job-44")
        let output = try #require(response.batchTaskResult?.smartSubtitlesTaskResult?.outputs?.first)
        #expect(output.status == .processing)
        #expect(output.progress == 40)
        #expect(output.message == "")
        #expect(output.transTextTask == nil)
    }

    @Test func batchProcessMediaResponse() throws {
        let response = try ModelsFixtures.response(BatchProcessMediaResponse.self, "response-official-example")
        #expect(response.taskId == "24000030-BatchTask-e6fefa34fc497449c1a043b9a594c7det20")
        #expect(response.requestId == "b30891cd-cdc7-47db-94d3-4dbb85641dad")
    }

    @Test(arguments: [
        ("{\"Status\": \"FINISH\"}", BatchTaskStatus.finish),
        ("{\"Status\": \"PAUSED\"}", BatchTaskStatus.unknown("PAUSED")),
    ])
    func taskStatusIsTolerant(body: String, expected: BatchTaskStatus) throws {
        let response = try MPSJSON.decoder().decode(DescribeBatchTaskDetailResponse.self, from: Data(body.utf8))
        #expect(response.status == expected)
        #expect(response.status?.rawValue == expected.rawValue)
    }

    @Test func mistypedAndNullLeavesBecomeNil() throws {
        let body = """
            {"EventType": "BatchTask", "Timestamp": null, "Sign": 5, "SessionContext": null,
             "BatchTaskEvent": {"Metadatas": [{"Fps": 29.97, "Size": "big", "Width": 1920}],
                                "SmartSubtitlesTaskResult": {"Outputs": [{"Status": 3, "Progress": 50}]}}}
            """
        let notification = try MPSNotification.decode(from: Array(body.utf8))
        #expect(notification.timestamp == nil)
        #expect(notification.sign == nil)
        #expect(notification.sessionContext == nil)
        let metadata = try #require(notification.batchTaskEvent?.metadatas?.first)
        #expect(metadata.size == nil)
        #expect(metadata.width == 1920)
        let output = try #require(notification.batchTaskEvent?.smartSubtitlesTaskResult?.outputs?.first)
        #expect(output.status == nil)
        #expect(output.progress == 50)
    }

    @Test(arguments: ["", "[]", "{}", "{\"EventType\": 5}", "{\"Response\": {}}", "not json"])
    func notificationWithoutEventTypeFails(body: String) {
        #expect(throws: DecodingError.self) {
            try MPSNotification.decode(from: Array(body.utf8))
        }
    }

    @Test func notificationDescriptionHidesSign() throws {
        let notification = try MPSNotification.decode(from: ModelsFixtures.data("notification-success"))
        #expect(!notification.description.contains("07bc9e65"))
        #expect(!String(reflecting: notification).contains("07bc9e65"))
        #expect(notification.description.contains("job-42"))
    }

    @Test func notificationRoundTrips() throws {
        let notification = try MPSNotification.decode(from: ModelsFixtures.data("notification-success"))
        let bytes = try MPSJSON.encoder().encode(notification)
        #expect(try MPSNotification.decode(from: bytes) == notification)
    }

    @Test func jsonValueKeepsBooleansAndNumbersApart() throws {
        let value = try MPSJSON.decoder().decode(
            JSONValue.self,
            from: Data(#"[1, true, 0, false, 1.5, "x", null, {"a": []}]"#.utf8)
        )
        #expect(value == [1, true, 0, false, 1.5, "x", nil, ["a": []]])
        #expect(value.arrayValue?[0].intValue == 1)
        #expect(value.arrayValue?[4].intValue == nil)
        #expect(value.arrayValue?[7]["a"] == [])
        let encoded = try MPSJSON.encoder().encode(value)
        #expect(try MPSJSON.decoder().decode(JSONValue.self, from: encoded) == value)
    }
}
