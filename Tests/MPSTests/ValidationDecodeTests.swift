import Foundation
import MPS
import Testing

@Suite struct ValidationDecodeTests {
    @Test func everyProblemIsReported() throws {
        let body = """
            {
              "InputInfo": [
                {"Type": "URL", "UrlInputInfo": {"Url": "ftp://example.com/a.mp4"}},
                {"Type": "FTP"},
                {"UrlInputInfo": {}}
              ],
              "OutputDir": "output",
              "SmartSubtitlesTask": {
                "Definition": -3,
                "RawParameter": {
                  "SubtitleType": 1, "VideoSrcLanguage": "xx", "SubtitleFormat": "ass",
                  "TranslateSwitch": "OFF", "TranslateDstLanguage": "en/en", "SpeakerLabel": 1
                }
              },
              "TaskNotifyConfig": {"NotifyUrl": "https://hooks.example.com/n?token=t"},
              "TasksPriority": 20,
              "SessionContext": "\(String(repeating: "x", count: 1200))",
              "SkipMetaData": 1,
              "TaskMode": "Fast"
            }
            """
        let result = BatchProcessMediaValidator.decode(Array(body.utf8))
        guard case .failure(let problems) = result else {
            Issue.record("the body should be refused")
            return
        }
        let reported = Set(problems.map { "\($0.field) \($0.errorCode)" })
        let expected: Set<String> = [
            "InputInfo[0].UrlInputInfo.Url InvalidParameter.InvalidUrl",
            "InputInfo[1].Type InvalidParameterValue.InputInfo",
            "InputInfo[2].Type MissingParameter",
            "InputInfo[2].UrlInputInfo.Url MissingParameter",
            "OutputStorage MissingParameter",
            "OutputDir InvalidParameterValue",
            "SmartSubtitlesTask.Definition InvalidParameterValue.Definition",
            "SmartSubtitlesTask.RawParameter.SubtitleType InvalidParameterValue.SubtitleType",
            "SmartSubtitlesTask.RawParameter.VideoSrcLanguage InvalidParameterValue.VideoSrcLanguage",
            "SmartSubtitlesTask.RawParameter.SubtitleFormat InvalidParameterValue.SubtitleFormat",
            "SmartSubtitlesTask.RawParameter.TranslateDstLanguage InvalidParameterValue.TranslateDstLanguage",
            "SmartSubtitlesTask.RawParameter.SpeakerLabel InvalidParameterValue",
            "TaskNotifyConfig.NotifyType MissingParameter",
            "TasksPriority InvalidParameterValue",
            "SessionContext InvalidParameterValue.SessionContextTooLong",
            "SkipMetaData UnknownParameter",
            "TaskMode InvalidParameterValue",
        ]
        #expect(reported == expected)
        // TranslateDstLanguage breaks two rules (duplicate code, switch OFF): both are listed.
        #expect(problems.filter { $0.field.hasSuffix("TranslateDstLanguage") }.count == 2)
        #expect(problems.count == expected.count + 1)
        #expect(problems.description.contains("SkipMateData"))
    }

    @Test func validBodyDecodesToTheTypedRequest() throws {
        let request = try BatchProcessMediaValidator.decode(ModelsFixtures.data("request-reference-6-5")).get()
        #expect(request.inputInfo.first?.urlInputInfo?.url == "https://example.com/videos/demo.mp4")
        #expect(request.smartSubtitlesTask?.definition == 0)
        #expect(request.smartSubtitlesTask?.rawParameter?.videoSrcLanguage == .en)
        #expect(request.smartSubtitlesTask?.rawParameter?.translateDstLanguage?.wireValue == "zh")
        #expect(request.taskNotifyConfig?.notifyMode == .finish)
        #expect(request.taskNotifyConfig?.notifyKey == "example-notify-key")
        #expect(request.tasksPriority == .default)
        #expect(request.sessionContext?.value == "job-42")
    }

    @Test(arguments: [
        ("", "not valid JSON"),
        ("{", "not valid JSON"),
        ("[1, 2]", "must be a JSON object, not array"),
        ("\"InputInfo\"", "must be a JSON object, not string"),
        ("null", "must be a JSON object, not null"),
    ])
    func bodyThatIsNotAnObject(body: String, phrase: String) {
        guard case .failure(let problems) = BatchProcessMediaValidator.decode(Array(body.utf8)) else {
            Issue.record("\(body) should be refused")
            return
        }
        #expect(problems.count == 1)
        #expect(problems.first?.field == "")
        #expect(problems.first?.errorCode == "InvalidParameter")
        #expect(problems.first?.message.contains(phrase) == true)
    }

    @Test func typedRequestCrossFieldRules() throws {
        var request = BatchProcessMediaRequest(
            inputInfo: [.url("https://example.com/a.mp4")],
            smartSubtitlesTask: SmartSubtitlesTaskInput(
                definition: 0,
                rawParameter: RawSmartSubtitleParameter(
                    subtitleType: .translation,
                    videoSrcLanguage: .en,
                    speakerLabel: 1
                )
            ),
            taskNotifyConfig: TaskNotifyConfig(notifyUrl: "https://hooks.example.com/n")
        )
        let fields = BatchProcessMediaValidator.validate(request).map(\.field)
        #expect(
            fields == [
                "OutputStorage",
                "TaskNotifyConfig.NotifyType",
                "SmartSubtitlesTask.RawParameter.SubtitleType",
                "SmartSubtitlesTask.RawParameter.TranslateDstLanguage",
                "SmartSubtitlesTask.RawParameter.SpeakerLabel",
            ]
        )

        request.outputStorage = .cos(bucket: "subs-125", region: "ap-guangzhou")
        request.taskNotifyConfig = .url("https://hooks.example.com/n", key: "k")
        request.smartSubtitlesTask?.rawParameter = RawSmartSubtitleParameter(
            subtitleType: .translation,
            videoSrcLanguage: .en,
            subtitleFormat: .srt,
            translateSwitch: .on,
            translateDstLanguage: try TargetLanguages("ja/zh-TW"),
            speakerMode: 1,
            speakerLabel: 1
        )
        #expect(BatchProcessMediaValidator.validate(request) == [])
    }

    @Test func typedOCRRequestNeedsOCRLanguage() throws {
        let request = BatchProcessMediaRequest(
            inputInfo: [.url("https://example.com/a.mp4")],
            outputStorage: .cos(bucket: "subs-125", region: "ap-guangzhou"),
            smartSubtitlesTask: SmartSubtitlesTaskInput(
                rawParameter: RawSmartSubtitleParameter(
                    subtitleType: .source,
                    videoSrcLanguage: .en,
                    subtitleFormat: .vtt,
                    processType: .ocr
                )
            )
        )
        let problems = BatchProcessMediaValidator.validate(request)
        #expect(problems.map(\.errorCode) == ["InvalidParameterValue.VideoSrcLanguage"])
        #expect(problems.first?.message.contains("zh_en") == true)
    }

    @Test func suggestionsForNearMisses() throws {
        let cases: [(String, String)] = [
            ("SkipMetaData", "SkipMateData"),
            ("sessioncontext", "SessionContext"),
            ("TaskPriority", "TasksPriority"),
            ("OutputDirectory", "OutputDir"),
        ]
        for (wrong, right) in cases {
            let problems = BatchProcessMediaValidator.validate(try ValidationBodies.edited([(wrong, 1)]))
            let problem = problems.first { $0.field == wrong }
            #expect(problem?.errorCode == "UnknownParameter")
            if wrong == "OutputDirectory" {
                // Too far from any member for a guess.
                #expect(problem?.message.contains("did you mean") == false)
            } else {
                #expect(problem?.message.contains("did you mean \"\(right)\"?") == true, "\(wrong)")
            }
        }
    }

    @Test func integerTooLargeForItsFieldIsATypeProblem() throws {
        // 1e30 is integral but fits no 64-bit integer: refused before typed decoding could fail on it.
        let body = try ValidationBodies.edited([("InputInfo[1]", ["Type": "VOD", "VODInputInfo": ["SubAppId": 1e30]])])
        let problems = BatchProcessMediaValidator.validate(body)
        #expect(problems.map(\.field) == ["InputInfo[1].VODInputInfo.SubAppId"])
        #expect(problems.first?.errorCode == "InvalidParameter")
        guard case .failure(let failure) = BatchProcessMediaValidator.decode(try MPSJSON.encoder.encode(body)) else {
            Issue.record("the body should be refused")
            return
        }
        #expect(failure.problems == problems)
    }
}
