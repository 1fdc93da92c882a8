import Foundation
import MPS
import Testing

@Suite struct ModelsTypeConstraintTests {
    // MARK: SessionContext

    @Test(arguments: [
        String(repeating: "a", count: 1000),
        String(repeating: "中", count: 1000),
        "",
        "job-42",
    ])
    func sessionContextAccepts(value: String) throws {
        #expect(try SessionContext(value).value == value)
    }

    @Test(arguments: [
        String(repeating: "a", count: 1001),
        String(repeating: "中", count: 1001),
        // 500 emoji are 500 characters but 1000 UTF-16 units: the stricter count still fits…
        String(repeating: "😀", count: 501),  // …501 of them are 1002 units.
        // One Character made of many scalars: 1 character, 1001 UTF-16 units.
        "e" + String(repeating: "\u{301}", count: 1000),
    ])
    func sessionContextRefuses(value: String) {
        let problem = #expect(throws: ValidationProblem.self) { try SessionContext(value) }
        #expect(problem?.field == "SessionContext")
        #expect(problem?.errorCode == "InvalidParameterValue.SessionContextTooLong")
        #expect(problem?.message.contains("at most 1000") == true)
    }

    @Test func sessionContextCountsUTF16Units() throws {
        #expect(throws: Never.self) { try SessionContext(String(repeating: "😀", count: 500)) }
    }

    @Test func sessionContextDecodingFailsWithTheProblemMessage() throws {
        let body = Data(("\"" + String(repeating: "x", count: 1001) + "\"").utf8)
        do {
            _ = try MPSJSON.decoder().decode(SessionContext.self, from: body)
            Issue.record("decoding should fail")
        } catch let DecodingError.dataCorrupted(context) {
            #expect(context.debugDescription.contains("at most 1000"))
        }
    }

    // MARK: TaskPriority

    @Test(arguments: [-10, -1, 0, 10])
    func taskPriorityAccepts(value: Int) throws {
        #expect(try TaskPriority(value).value == value)
    }

    @Test(arguments: [-11, 11, Int.min, Int.max])
    func taskPriorityRefuses(value: Int) {
        let problem = #expect(throws: ValidationProblem.self) { try TaskPriority(value) }
        #expect(problem?.field == "TasksPriority")
        #expect(problem?.errorCode == "InvalidParameterValue")
        #expect(problem?.message.contains("between -10 and 10") == true)
    }

    @Test func taskPriorityCodable() throws {
        #expect(try MPSJSON.decoder().decode(TaskPriority.self, from: Data("-10".utf8)) == TaskPriority(-10))
        #expect(throws: DecodingError.self) { try MPSJSON.decoder().decode(TaskPriority.self, from: Data("11".utf8)) }
        #expect(String(decoding: try MPSJSON.encoder().encode(TaskPriority.default), as: UTF8.self) == "0")
    }

    // MARK: OutputDirectory

    @Test(arguments: ["/", "/output/", "/movie/201907/", "//"])
    func outputDirectoryAccepts(path: String) throws {
        #expect(try OutputDirectory(path).path == path)
    }

    @Test(arguments: ["", "output/", "/output", "output", "movie/201907"])
    func outputDirectoryRefuses(path: String) {
        do throws(ValidationProblem) {
            _ = try OutputDirectory(path)
            Issue.record("\(path) should be refused")
        } catch {
            #expect(error.field == "OutputDir")
            #expect(error.errorCode == "InvalidParameterValue")
            #expect(error.message.contains("start and end with \"/\""))
        }
    }

    // MARK: Languages

    @Test func languageListsAreComplete() {
        #expect(SourceLanguage.asrCodes.count == 162)
        #expect(Set(SourceLanguage.asrCodes).count == 162)
        #expect(TargetLanguage.codes.count == 190)
        #expect(Set(TargetLanguage.codes).count == 190)
    }

    @Test(arguments: ["zh_en", "auto", "zh-PY", "prime_zh", "en-US", "zu-ZA", "multi"])
    func sourceLanguageAccepts(code: String) throws {
        #expect(try SourceLanguage(code).code == code)
    }

    @Test(arguments: ["xx", "ZH", "zh-en", "en_US", "", "zh-TW"])
    func sourceLanguageRefuses(code: String) {
        do throws(ValidationProblem) {
            _ = try SourceLanguage(code)
            Issue.record("\(code) should be refused")
        } catch {
            #expect(error.field == "SmartSubtitlesTask.RawParameter.VideoSrcLanguage")
            #expect(error.errorCode == "InvalidParameterValue.VideoSrcLanguage")
            #expect(error.message.contains("not a source-language code"))
        }
    }

    @Test(arguments: ["zh-TW", "en", "fr-CA", "pt-BR", "yue", "zu"])
    func targetLanguageAccepts(code: String) throws {
        #expect(try TargetLanguage(code).code == code)
    }

    @Test(arguments: ["xx", "EN", "zh_en", "zh-tw", "", "en-US"])
    func targetLanguageRefuses(code: String) {
        do throws(ValidationProblem) {
            _ = try TargetLanguage(code)
            Issue.record("\(code) should be refused")
        } catch {
            #expect(error.errorCode == "InvalidParameterValue.TranslateDstLanguage")
            #expect(error.message.contains("not a target-language code"))
        }
    }

    @Test func targetLanguagesWireForm() throws {
        let languages = try TargetLanguages("en/ja/zh-TW")
        #expect(languages.languages == [.en, .ja, .zhTW])
        #expect(languages.wireValue == "en/ja/zh-TW")
        #expect(try TargetLanguages([.en, .ja]).wireValue == "en/ja")
        let encoded = try MPSJSON.encoder().encode(languages)
        #expect(String(decoding: encoded, as: UTF8.self) == "\"en/ja/zh-TW\"")
        #expect(try MPSJSON.decoder().decode(TargetLanguages.self, from: encoded) == languages)
    }

    @Test(arguments: [
        ("", "at least one"),
        ("en/en", "more than once"),
        ("en//ja", "empty language code"),
        ("en/", "empty language code"),
        ("en/xx/yy", "are not target-language codes"),
    ])
    func targetLanguagesRefuses(wire: String, phrase: String) {
        do throws(ValidationProblem) {
            _ = try TargetLanguages(wire)
            Issue.record("\(wire) should be refused")
        } catch {
            #expect(error.field == "SmartSubtitlesTask.RawParameter.TranslateDstLanguage")
            #expect(error.errorCode == "InvalidParameterValue.TranslateDstLanguage")
            #expect(error.message.contains(phrase))
        }
    }

    @Test func targetLanguagesRefusesEmptyAndDuplicateLists() {
        #expect(throws: ValidationProblem.self) { try TargetLanguages([]) }
        #expect(throws: ValidationProblem.self) { try TargetLanguages([.en, .ja, .en]) }
    }

    // MARK: Enums

    @Test func enumsAcceptTheirWireValues() throws {
        #expect(try TaskMode("Serial") == .serial)
        #expect(try SkipMetadata(1) == .skip)
        #expect(try NotifyType("TDMQ-CMQ") == .tdmqCMQ)
        #expect(try NotifyType("AWS-SQS") == .awsSQS)
        #expect(try NotifyMode("Change") == .change)
        #expect(try SubtitleType(2) == .sourceAndTranslation)
        #expect(try Switch("OFF") == .off)
        #expect(try ProcessType(2) == .ocr)
        #expect(try AreaUnit(1) == .percent)
        #expect(try MediaInputType("AWS-S3") == .awsS3)
        #expect(try StorageType("VOD") == .vod)
        #expect(try SubtitleFormat("original") == .original)
    }

    @Test func enumsRefuseOtherValuesNamingTheAllowedOnes() {
        let cases: [(() throws(ValidationProblem) -> Void, String, String)] = [
            ({ () throws(ValidationProblem) in _ = try TaskMode("parallel") }, "TaskMode", "Parallel, Serial"),
            ({ () throws(ValidationProblem) in _ = try SkipMetadata(2) }, "SkipMateData", "0, 1"),
            (
                { () throws(ValidationProblem) in _ = try NotifyType("url") }, "TaskNotifyConfig.NotifyType",
                "CMQ, TDMQ-CMQ, URL, SCF, AWS-SQS"
            ),
            (
                { () throws(ValidationProblem) in _ = try SubtitleType(3) },
                "SmartSubtitlesTask.RawParameter.SubtitleType", "0, 1, 2"
            ),
            (
                { () throws(ValidationProblem) in _ = try Switch("on") },
                "SmartSubtitlesTask.RawParameter.TranslateSwitch", "ON, OFF"
            ),
            (
                { () throws(ValidationProblem) in _ = try AreaUnit(0) },
                "SmartSubtitlesTask.RawParameter.SelectingSubtitleAreasConfig.AutoAreas.Unit", "1, 2"
            ),
            (
                { () throws(ValidationProblem) in _ = try MediaInputType("FTP") }, "InputInfo.Type",
                "URL, COS, AWS-S3, VOD"
            ),
        ]
        for (make, field, allowed) in cases {
            do throws(ValidationProblem) {
                try make()
                Issue.record("\(field) should be refused")
            } catch {
                #expect(error.field == field)
                #expect(error.message.contains("must be one of \(allowed)"))
            }
        }
    }

    @Test func enumDecodingFailsWithTheProblemMessage() {
        do {
            _ = try MPSJSON.decoder().decode(SubtitleType.self, from: Data("7".utf8))
            Issue.record("decoding should fail")
        } catch let DecodingError.dataCorrupted(context) {
            #expect(context.debugDescription.contains("must be one of 0, 1, 2; got 7"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func validationProblemDescription() {
        let problem = ValidationProblem(
            field: "TasksPriority",
            message: "must be between -10 and 10; got 11",
            errorCode: "InvalidParameterValue"
        )
        #expect(problem.description == "InvalidParameterValue TasksPriority: must be between -10 and 10; got 11")
    }
}
