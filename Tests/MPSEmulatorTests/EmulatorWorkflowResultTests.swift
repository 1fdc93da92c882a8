import Foundation
import MPS
import MPSTransport
@testable import MPSEmulator
import Testing

/// What chained-workflow tests read from the emulator's results: one subtitle per translation
/// language, the detected source language, and inputs that fail on purpose (once, always, or
/// unless the source language is `auto`).
@Suite struct EmulatorWorkflowResultTests {
    static let fast = EmulatorConfiguration(processingTime: .milliseconds(50))

    /// A `RawParameter` object as JSON text.
    static func raw(source: String, targets: String? = nil, format: String = "vtt") -> String {
        guard let targets else {
            return #"{"SubtitleType":0,"VideoSrcLanguage":"\#(source)","SubtitleFormat":"\#(format)","TranslateSwitch":"OFF"}"#
        }
        return #"{"SubtitleType":2,"VideoSrcLanguage":"\#(source)","SubtitleFormat":"\#(format)","TranslateSwitch":"ON","TranslateDstLanguage":"\#(targets)"}"#
    }

    @Test func severalTranslationLanguagesGiveOneSubtitleResultPerLanguage() async throws {
        let receiver = CallbackReceiver()
        try await receiver.run { url in
            try await withEmulatorAndClient(configuration: Self.fast) { _, client in
                let json = requestJSON(urls: ["https://media.example/v/a.mp4"], notifyUrl: url, raw: Self.raw(source: "en", targets: "ja/ko"))
                _ = try await client.batchProcessMedia(try request(json))
                let body = try #require(try await receiver.waitFor(1).first)
                let notification = try MPSJSON.decoder.decode(JSONValue.self, from: Data(body))
                let output = try #require(notification["BatchTaskEvent"]?["SmartSubtitlesTaskResult"]?["Outputs"]?.arrayValue?.first)
                let trans = try #require(output["TransTextTask"])
                let results = try #require(trans["SubtitleResults"]?.arrayValue)
                #expect(results == [
                    Self.subtitleResult(source: "en", target: "ja", path: "/subtitles/a_smartsubtitle_0_ja.vtt"),
                    Self.subtitleResult(source: "en", target: "ko", path: "/subtitles/a_smartsubtitle_0_ko.vtt"),
                ])
                // The task's own path is the first language's.
                #expect(trans["Path"]?.stringValue == "/subtitles/a_smartsubtitle_0_ja.vtt")
                #expect(trans["SubtitlePath"]?.stringValue == "https://subs-1250000000.cos.ap-guangzhou.myqcloud.com/subtitles/a_smartsubtitle_0_ja.vtt")
            }
        }
    }

    @Test func oneTranslationLanguageKeepsSubtitleResultsEmptyAndTheDefaultPath() async throws {
        try await withEmulatorAndClient(configuration: Self.fast) { _, client in
            let outputs = try await Self.finishedOutputs(client, requestJSON(urls: ["https://media.example/v/a.mp4"], raw: Self.raw(source: "en", targets: "ja")))
            let trans = try #require(outputs.first?["TransTextTask"])
            #expect(trans["SubtitleResults"] == .array([]))
            #expect(trans["Path"]?.stringValue == "/subtitles/a_smartsubtitle_0.vtt")
        }
    }

    @Test(arguments: [
        ("https://media.example/v/a.mp4?lang=ja", "ja"),
        ("https://media.example/v/lang-ko/a.mp4", "ko"),
        ("https://media.example/v/a.mp4?x=1&lang=zh-TW&y=2", "zh-TW"),
        ("https://media.example/v/a.mp4", "en"),
    ])
    func autoSourceLanguageReportsTheLanguageMarkedInTheURLElseEnglish(url: String, detected: String) async throws {
        try await withEmulatorAndClient(configuration: Self.fast) { _, client in
            let recognised = try await Self.finishedOutputs(client, requestJSON(urls: [url], raw: Self.raw(source: "auto")))
            #expect(recognised.first?["AsrFullTextTask"]?["SubtitleInfo"]?["Language"]?.stringValue == detected)
            let translated = try await Self.finishedOutputs(client, requestJSON(urls: [url], raw: Self.raw(source: "auto", targets: "fr/de")))
            let results = translated.first?["TransTextTask"]?["SubtitleResults"]?.arrayValue ?? []
            #expect(results.count == 2)
            #expect(results.allSatisfy { $0["TransSrc"]?.stringValue == detected })
        }
    }

    @Test func explicitSourceLanguageIsReportedWhateverTheURLSays() async throws {
        try await withEmulatorAndClient(configuration: Self.fast) { _, client in
            let outputs = try await Self.finishedOutputs(
                client, requestJSON(urls: ["https://media.example/v/a.mp4?lang=ja"], raw: Self.raw(source: "ko", targets: "en/zh"))
            )
            let results = outputs.first?["TransTextTask"]?["SubtitleResults"]?.arrayValue ?? []
            #expect(results.map { $0["TransSrc"]?.stringValue } == ["ko", "ko"])
        }
    }

    @Test func flakyInputsFailTheFirstTimeOnlyAndFailInputsAlways() async throws {
        try await withEmulatorAndClient(configuration: Self.fast) { _, client in
            let json = requestJSON(urls: [
                "https://media.example/v/flaky-1.mp4", "https://media.example/v/fail.mp4", "https://media.example/v/ok.mp4",
            ])
            let first = try await Self.finishedOutputs(client, json)
            #expect(first.map { $0["Status"]?.stringValue } == ["FAIL", "FAIL", "SUCCESS"])
            #expect(first[0]["ErrCodeExt"]?.stringValue == "SourceFileError")
            for _ in 0..<2 {
                let again = try await Self.finishedOutputs(client, json)
                #expect(again.map { $0["Status"]?.stringValue } == ["SUCCESS", "FAIL", "SUCCESS"])
            }
            // Tracked by URL: another flaky URL fails its own first time.
            let other = try await Self.finishedOutputs(client, requestJSON(urls: ["https://media.example/v/flaky-2.mp4"]))
            #expect(other.map { $0["Status"]?.stringValue } == ["FAIL"])
        }
    }

    @Test func failUnlessAutoInputsSucceedOnlyWithAnAutoSourceLanguage() async throws {
        try await withEmulatorAndClient(configuration: Self.fast) { _, client in
            let url = "https://media.example/v/fail-unless-auto.mp4"
            for _ in 0..<2 {
                let explicit = try await Self.finishedOutputs(client, requestJSON(urls: [url], raw: Self.raw(source: "en", targets: "ja")))
                #expect(explicit.first?["Status"]?.stringValue == "FAIL")
                #expect(explicit.first?["ErrCodeExt"]?.stringValue == "SourceFileError")
            }
            let auto = try await Self.finishedOutputs(client, requestJSON(urls: [url], raw: Self.raw(source: "auto", targets: "ja")))
            #expect(auto.first?["Status"]?.stringValue == "SUCCESS")
        }
    }

    @Test(arguments: [
        ("https://media.example/v/a.mp4?lang=ja", "ja"),
        ("https://media.example/lang-ko/a.mp4?lang=ja", "ko"),  // the first marker
        ("https://media.example/v/a_lang-fr.mp4", "fr"),
        ("https://media.example/slang-words/a.mp4", "en"),      // inside a word: no marker
        ("https://media.example/v/a.mp4?lang=", "en"),           // empty: no language
        ("https://media.example/golang=x/lang=de", "de"),
    ])
    func detectionReadsTheFirstLangMarker(url: String, detected: String) {
        #expect(EmulatedTask.detectedLanguage(url: url) == detected)
    }

    @Test func aLanguagesFileIsTheDefaultPathWithTheLanguageBeforeTheExtension() {
        #expect(EmulatedTask.path("/out/a_smartsubtitle_0.vtt", language: "ja") == "/out/a_smartsubtitle_0_ja.vtt")
        #expect(EmulatedTask.path("/out.d/a_smartsubtitle_0", language: "ko") == "/out.d/a_smartsubtitle_0_ko")
    }

    // MARK: Helpers

    static func subtitleResult(source: String, target: String, path: String) -> JSONValue {
        .object([
            "Status": .string("Success"), "TransSrc": .string(source), "TransDst": .string(target), "Path": .string(path),
            "SubtitleEmbedPath": .string(""), "SubtitleFileId": .string(""),
        ])
    }

    /// Submits `json`, polls `DescribeBatchTaskDetail` until the task is `FINISH` (bounded), and
    /// returns its outputs.
    static func finishedOutputs(_ client: MPSClient, _ json: String, within limit: Duration = .seconds(60)) async throws -> [JSONValue] {
        let created: JSONValue = try await client.call("BatchProcessMedia", body: Array(json.utf8))
        let taskId = try #require(created["TaskId"]?.stringValue)
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            let detail: JSONValue = try await client.call("DescribeBatchTaskDetail", body: Array(#"{"TaskId":"\#(taskId)"}"#.utf8))
            if detail["Status"]?.stringValue == "FINISH" {
                return detail["BatchTaskResult"]?["SmartSubtitlesTaskResult"]?["Outputs"]?.arrayValue ?? []
            }
            // Well under the emulator's 20 describes per second.
            try await Task.sleep(for: .milliseconds(60))
        }
        throw SupportError(description: "task \(taskId) did not finish within \(limit)")
    }
}
