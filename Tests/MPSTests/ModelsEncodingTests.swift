import Foundation
import Hashing
import MPS
import Testing

@Suite struct ModelsEncodingTests {
    private func encoded(_ value: some Encodable) throws -> String {
        String(decoding: try MPSJSON.encoder().encode(value), as: UTF8.self)
    }

    @Test(arguments: ["request-official-example", "request-reference-6-5"])
    func officialBodiesDecodeValidateAndReEncode(fixture: String) throws {
        let data = try ModelsFixtures.data(fixture)
        let original = try ModelsFixtures.json(fixture)
        #expect(BatchProcessMediaValidator.validate(original) == [])

        let request = try BatchProcessMediaValidator.decode(data).get()
        #expect(BatchProcessMediaValidator.validate(request) == [])

        let reEncoded = try self.encoded(request)
        #expect(!reEncoded.contains("null"))
        // Every field the body carries is modelled: nothing is lost or added.
        #expect(try MPSJSON.decoder().decode(JSONValue.self, from: Data(reEncoded.utf8)) == original)
        #expect(try MPSJSON.decoder().decode(BatchProcessMediaRequest.self, from: Data(reEncoded.utf8)) == request)
    }

    @Test func officialExampleFields() throws {
        let request = try BatchProcessMediaValidator.decode(ModelsFixtures.data("request-official-example")).get()
        #expect(request.inputInfo == [.url("https://tetst-xxx-12xxxxx.cos.ap-xxxxx.myqcloud.com/processmedia/52.mp4")])
        #expect(request.outputStorage == .cos(bucket: "tetst-xxxx-125xxxxx", region: "ap-xxxxx"))
        #expect(request.outputDir?.path == "/output/")
        let raw = try #require(request.smartSubtitlesTask?.rawParameter)
        #expect(request.smartSubtitlesTask?.definition == nil)
        #expect(raw.subtitleType == .sourceAndTranslation)
        #expect(raw.videoSrcLanguage == .zh)
        #expect(raw.subtitleFormat == .vtt)
        #expect(raw.translateSwitch == .on)
        #expect(raw.translateDstLanguage?.languages == [.en])
        #expect(request.taskNotifyConfig?.notifyType == .url)
        #expect(request.taskNotifyConfig?.notifyUrl == "http://xxxx.com/v2/push/mps_test?token=73YcsZyP")
        #expect(request.sessionContext?.value == "asdzxcs")
        #expect(request.tasksPriority == nil)
    }

    /// The encoding is deterministic: sorted keys, compact, slashes unescaped, so one request
    /// always gives the same bytes (and TC3 payload hash).
    @Test func referenceBodyReEncodesDeterministically() throws {
        let request = try BatchProcessMediaValidator.decode(ModelsFixtures.data("request-reference-6-5")).get()
        let bytes = Array(try MPSJSON.encoder().encode(request))
        #expect(String(decoding: bytes, as: UTF8.self) == Self.referenceBodySorted)
        #expect(Array(try MPSJSON.encoder.encode(request)) == bytes)
        let again = try MPSJSON.decoder.decode(BatchProcessMediaRequest.self, from: Data(bytes))
        #expect(Array(try MPSJSON.encoder().encode(again)) == bytes)
        #expect(Hex.encode(SHA256.hash(bytes)) == Hex.encode(SHA256.hash(Array(Self.referenceBodySorted.utf8))))
    }

    /// Reference §6.5's body with its keys sorted (as `json.dumps(sort_keys=True, separators=(",", ":"))` gives).
    static let referenceBodySorted =
        #"{"InputInfo":[{"Type":"URL","UrlInputInfo":{"Url":"https://example.com/videos/demo.mp4"}}],"OutputDir":"/subtitles/","#
        + #""OutputStorage":{"CosOutputStorage":{"Bucket":"subs-1250000000","Region":"ap-guangzhou"},"Type":"COS"},"#
        + #""SessionContext":"job-42","SmartSubtitlesTask":{"Definition":0,"RawParameter":{"SubtitleFormat":"vtt","SubtitleType":2,"#
        + #""TranslateDstLanguage":"zh","TranslateSwitch":"ON","VideoSrcLanguage":"en"}},"#
        + #""TaskNotifyConfig":{"NotifyKey":"example-notify-key","NotifyMode":"Finish","NotifyType":"URL","#
        + #""NotifyUrl":"https://hooks.example.com/mps/notify"},"TasksPriority":0}"#

    @Test func builtRequestMatchesReferenceBody() throws {
        let request = BatchProcessMediaRequest(
            inputInfo: [.url("https://example.com/videos/demo.mp4")],
            outputStorage: .cos(bucket: "subs-1250000000", region: "ap-guangzhou"),
            outputDir: try OutputDirectory("/subtitles/"),
            smartSubtitlesTask: SmartSubtitlesTaskInput(
                definition: 0,
                rawParameter: RawSmartSubtitleParameter(
                    subtitleType: .sourceAndTranslation,
                    videoSrcLanguage: .en,
                    subtitleFormat: .vtt,
                    translateSwitch: .on,
                    translateDstLanguage: try TargetLanguages([.zh])
                )
            ),
            taskNotifyConfig: .url("https://hooks.example.com/mps/notify", mode: .finish, key: "example-notify-key"),
            tasksPriority: .default,
            sessionContext: try SessionContext("job-42")
        )
        #expect(BatchProcessMediaValidator.validate(request) == [])
        #expect(try self.encoded(request) == Self.referenceBodySorted)
        #expect(try BatchProcessMediaValidator.decode(ModelsFixtures.data("request-reference-6-5")).get() == request)
    }

    @Test func nilFieldsAreOmitted() throws {
        let request = BatchProcessMediaRequest(inputInfo: [.url("https://example.com/a.mp4")])
        #expect(
            try self.encoded(request)
                == #"{"InputInfo":[{"Type":"URL","UrlInputInfo":{"Url":"https://example.com/a.mp4"}}]}"#
        )
    }

    @Test func unsetNotifyTypeIsNotEmitted() throws {
        let config = TaskNotifyConfig(notifyMode: .change, notifyUrl: "https://hooks.example.com/n")
        let json = try self.encoded(config)
        #expect(!json.contains("NotifyType"))
        #expect(!json.contains("null"))
        #expect(json == #"{"NotifyMode":"Change","NotifyUrl":"https://hooks.example.com/n"}"#)
    }

    @Test func everyOptionalFieldEncodesWithoutNull() throws {
        let request = BatchProcessMediaRequest(
            inputInfo: [
                .url("https://example.com/a.mp4"),
                MediaInputInfo(
                    type: .cos,
                    cosInputInfo: CosInputInfo(bucket: "b-1", region: "ap-guangzhou", object: "/a.mp4")
                ),
                MediaInputInfo(type: .vod, vodInputInfo: VODInputInfo(subAppId: 1, fileId: "f")),
            ],
            outputStorage: TaskOutputStorage(type: .cos, cosOutputStorage: CosOutputStorage(bucket: "b-1")),
            smartSubtitlesTask: SmartSubtitlesTaskInput(
                definition: 0,
                rawParameter: RawSmartSubtitleParameter(
                    subtitleType: .source,
                    videoSrcLanguage: .zhEn,
                    processType: .ocr,
                    selectingSubtitleAreasConfig: SelectingSubtitleAreasConfig(
                        autoAreas: [
                            EraseArea(leftTopX: 0, leftTopY: 0.8, rightBottomX: 1, rightBottomY: 1, unit: .percent)
                        ]
                    ),
                    subtitleEmbedId: 42
                )
            ),
            taskNotifyConfig: TaskNotifyConfig(
                notifyType: .tdmqCMQ,
                cmqModel: "Queue",
                cmqRegion: "gz",
                queueName: "q"
            ),
            skipMateData: .skip,
            taskMode: .serial
        )
        let json = try self.encoded(request)
        #expect(!json.contains("null"))
        #expect(json.contains(#""SkipMateData":1"#))
        #expect(json.contains(#""TaskMode":"Serial""#))
        #expect(
            json.contains(#""AutoAreas":[{"LeftTopX":0,"LeftTopY":0.8,"RightBottomX":1,"RightBottomY":1,"Unit":1}]"#)
        )
        #expect(try MPSJSON.decoder().decode(BatchProcessMediaRequest.self, from: Data(json.utf8)) == request)
    }

    @Test func emptyFormatAndTargetsDecodeAsUnset() throws {
        let body =
            #"{"SubtitleType": 0, "VideoSrcLanguage": "en", "SubtitleFormat": "", "TranslateSwitch": "OFF", "TranslateDstLanguage": ""}"#
        let raw = try MPSJSON.decoder().decode(RawSmartSubtitleParameter.self, from: Data(body.utf8))
        #expect(raw.subtitleFormat == nil)
        #expect(raw.translateDstLanguage == nil)
        #expect(raw.translateSwitch == .off)
    }

    @Test func conveniences() throws {
        #expect(
            try self.encoded(MediaInputInfo.url("https://e.com/v.mp4"))
                == #"{"Type":"URL","UrlInputInfo":{"Url":"https://e.com/v.mp4"}}"#
        )
        #expect(
            try self.encoded(TaskOutputStorage.cos(bucket: "b-125", region: "ap-guangzhou"))
                == #"{"CosOutputStorage":{"Bucket":"b-125","Region":"ap-guangzhou"},"Type":"COS"}"#
        )
        #expect(
            try self.encoded(TaskNotifyConfig.url("https://h.example.com/cb?token=t"))
                == #"{"NotifyMode":"Finish","NotifyType":"URL","NotifyUrl":"https://h.example.com/cb?token=t"}"#
        )
        #expect(try self.encoded(DescribeBatchTaskDetailRequest(taskId: "t-1")) == #"{"TaskId":"t-1"}"#)
    }

    @Test func descriptionsRedactSecrets() throws {
        let config = TaskNotifyConfig.url(
            "https://user:pw@hooks.example.com/mps/notify?token=s3cr3t-token#frag",
            key: "n0tify-key"
        )
        let request = BatchProcessMediaRequest(
            inputInfo: [
                MediaInputInfo(
                    type: .awsS3,
                    s3InputInfo: S3InputInfo(
                        s3Bucket: "b",
                        s3Region: "us-east-1",
                        s3Object: "o",
                        s3SecretId: "AKIDsecretid",
                        s3SecretKey: "s3-secret-key"
                    )
                )
            ],
            outputStorage: TaskOutputStorage(
                type: .awsS3,
                s3OutputStorage: S3OutputStorage(s3Bucket: "b", s3Region: "us-east-1", s3SecretKey: "out-secret-key")
            ),
            taskNotifyConfig: config
        )
        for text in [
            config.description, String(reflecting: config), String(describing: request), String(reflecting: request),
        ] {
            for secret in [
                "s3cr3t-token", "n0tify-key", "frag", "pw@", "AKIDsecretid", "s3-secret-key", "out-secret-key",
            ] {
                #expect(!text.contains(secret), "\(secret) leaked in \(text)")
            }
        }
        #expect(config.description.contains("https://hooks.example.com/mps/notify?<redacted>"))
        #expect(config.description.contains("NotifyKey: <redacted>"))

        let echo = TaskNotifyConfigEcho(notifyUrl: "http://x.com/cb?token=abc", notifyKey: "k3y")
        #expect(!echo.description.contains("abc"))
        #expect(!echo.description.contains("k3y"))
    }
}
