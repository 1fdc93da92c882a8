import Foundation
import MPS
import Testing

/// Test helpers: a valid baseline body (the official example) and edits at wire paths.
enum ValidationBodies {
    static func baseline() throws -> JSONValue {
        try ModelsFixtures.json("request-official-example")
    }

    static func edited(_ edits: [(String, JSONValue?)]) throws -> JSONValue {
        var body = try self.baseline()
        for (path, value) in edits {
            body = body.setting(path, value)
        }
        return body
    }
}

extension JSONValue {
    /// A copy with the value at `path` (`A.B[0].C`) replaced, or removed when `newValue` is nil.
    /// Missing objects along the path are created.
    func setting(_ path: String, _ newValue: JSONValue?) -> JSONValue {
        var steps: [Either] = []
        for component in path.split(separator: ".") {
            var name = Substring(component)
            var indices: [Int] = []
            while let open = name.lastIndex(of: "["), name.hasSuffix("]"), let index = Int(name[name.index(after: open)..<name.index(before: name.endIndex)]) {
                indices.insert(index, at: 0)
                name = name[..<open]
            }
            steps.append(.key(String(name)))
            steps += indices.map(Either.index)
        }
        return self.setting(steps[...], newValue)
    }

    private enum Either {
        case key(String)
        case index(Int)
    }

    private func setting(_ steps: ArraySlice<Either>, _ newValue: JSONValue?) -> JSONValue {
        guard let step = steps.first else { return newValue ?? .null }
        let rest = steps.dropFirst()
        switch step {
        case .key(let key):
            var members = self.objectValue ?? [:]
            if rest.isEmpty, newValue == nil {
                members[key] = nil
            } else {
                members[key] = (members[key] ?? .object([:])).setting(rest, newValue)
            }
            return .object(members)
        case .index(let index):
            var elements = self.arrayValue ?? []
            while elements.count <= index { elements.append(.object([:])) }
            if rest.isEmpty, newValue == nil {
                elements.remove(at: index)
            } else {
                elements[index] = elements[index].setting(rest, newValue)
            }
            return .array(elements)
        }
    }
}

/// One broken rule: the edits that break it, and the problem that must be reported.
struct RuleCase: Sendable, CustomTestStringConvertible {
    let name: String
    let edits: [(String, JSONValue?)]
    let field: String
    let errorCode: String
    let phrase: String
    /// How many problems the body has in total (some mistakes break two rules by nature).
    let count: Int

    init(_ name: String, _ edits: [(String, JSONValue?)], field: String, code: String, phrase: String, count: Int = 1) {
        self.name = name
        self.edits = edits
        self.field = field
        self.errorCode = code
        self.phrase = phrase
        self.count = count
    }

    var testDescription: String { self.name }
}

private let raw = "SmartSubtitlesTask.RawParameter"
private let area = "SmartSubtitlesTask.RawParameter.SelectingSubtitleAreasConfig.AutoAreas[0]"
private let goodArea: JSONValue = ["LeftTopX": 0, "LeftTopY": 0.8, "RightBottomX": 1, "RightBottomY": 1, "Unit": 1]
/// An OCR task that is valid as it stands.
private let ocr: [(String, JSONValue?)] = [
    ("\(raw).ProcessType", 2), ("\(raw).VideoSrcLanguage", "zh_en"), ("\(raw).SubtitleType", 0),
    ("\(raw).TranslateSwitch", "OFF"), ("\(raw).TranslateDstLanguage", nil),
]
/// A pure-translation task that is valid as it stands.
private let translation: [(String, JSONValue?)] = [("\(raw).ProcessType", 1), ("\(raw).SubtitleFormat", "srt")]
/// A COS input instead of the URL one (so top-level output storage may be inherited).
private let cosInput: [(String, JSONValue?)] = [
    ("InputInfo[0]", ["Type": "COS", "CosInputInfo": ["Bucket": "in-125", "Region": "ap-guangzhou", "Object": "/a.mp4"]])
]

@Suite struct ValidationRuleTests {
    static let brokenRules: [RuleCase] = [
        // Inputs
        RuleCase("InputInfo missing", [("InputInfo", nil)], field: "InputInfo", code: "MissingParameter", phrase: "is required"),
        RuleCase("InputInfo empty", [("InputInfo", [])], field: "InputInfo", code: "InvalidParameter.InputInfo", phrase: "at least one input"),
        RuleCase("InputInfo not an array", [("InputInfo", "x")], field: "InputInfo", code: "InvalidParameter", phrase: "must be an array, not string"),
        RuleCase("Type missing", [("InputInfo[0].Type", nil)], field: "InputInfo[0].Type", code: "MissingParameter", phrase: "is required"),
        RuleCase("Type unknown", [("InputInfo[0].Type", "FTP")], field: "InputInfo[0].Type", code: "InvalidParameterValue.InputInfo", phrase: "must be one of URL, COS, AWS-S3, VOD"),
        RuleCase("UrlInputInfo missing", [("InputInfo[0].UrlInputInfo", nil)], field: "InputInfo[0].UrlInputInfo", code: "MissingParameter", phrase: "required when Type is URL"),
        RuleCase("Url missing", [("InputInfo[0].UrlInputInfo.Url", nil)], field: "InputInfo[0].UrlInputInfo.Url", code: "MissingParameter", phrase: "is required"),
        RuleCase("Url not http", [("InputInfo[0].UrlInputInfo.Url", "ftp://e.com/a.mp4")], field: "InputInfo[0].UrlInputInfo.Url", code: "InvalidParameter.InvalidUrl", phrase: "http:// or https://"),
        RuleCase("Url empty", [("InputInfo[0].UrlInputInfo.Url", "")], field: "InputInfo[0].UrlInputInfo.Url", code: "InvalidParameter.InvalidUrl", phrase: "must not be empty"),
        RuleCase("Url without host", [("InputInfo[0].UrlInputInfo.Url", "https:///a.mp4")], field: "InputInfo[0].UrlInputInfo.Url", code: "InvalidParameter.InvalidUrl", phrase: "with a host"),
        RuleCase("CosInputInfo missing", [("InputInfo[0]", ["Type": "COS"])], field: "InputInfo[0].CosInputInfo", code: "MissingParameter", phrase: "required when Type is COS"),
        RuleCase("CosInputInfo bucket empty", cosInput + [("InputInfo[0].CosInputInfo.Bucket", "")], field: "InputInfo[0].CosInputInfo.Bucket", code: "InvalidParameterValue.InputInfo", phrase: "must not be empty"),
        RuleCase("CosInputInfo object missing", cosInput + [("InputInfo[0].CosInputInfo.Object", nil)], field: "InputInfo[0].CosInputInfo.Object", code: "MissingParameter", phrase: "is required"),
        RuleCase("S3InputInfo missing", [("InputInfo[0]", ["Type": "AWS-S3"]), ("OutputStorage.Type", "AWS-S3"), ("OutputStorage.S3OutputStorage", ["S3Bucket": "b", "S3Region": "us-east-1"])], field: "InputInfo[0].S3InputInfo", code: "MissingParameter", phrase: "required when Type is AWS-S3"),

        // Output storage
        RuleCase("OutputStorage missing for URL input", [("OutputStorage", nil)], field: "OutputStorage", code: "MissingParameter", phrase: "URL inputs (InputInfo[0]) have no storage to inherit"),
        RuleCase("OutputStorage not COS for URL input", [("OutputStorage.Type", "VOD")], field: "OutputStorage.Type", code: "InvalidParameter.Output", phrase: "must be COS"),
        RuleCase("OutputStorage type unknown", [("OutputStorage.Type", "FTP")], field: "OutputStorage.Type", code: "InvalidParameter.Output", phrase: "must be one of COS, AWS-S3, VOD"),
        RuleCase("OutputStorage type missing", [("OutputStorage.Type", nil)], field: "OutputStorage.Type", code: "MissingParameter", phrase: "is required"),
        RuleCase("CosOutputStorage missing for URL input", [("OutputStorage.CosOutputStorage", nil)], field: "OutputStorage.CosOutputStorage", code: "MissingParameter", phrase: "no storage to inherit"),
        RuleCase("output bucket empty for URL input", [("OutputStorage.CosOutputStorage.Bucket", "")], field: "OutputStorage.CosOutputStorage.Bucket", code: "InvalidParameter.Output", phrase: "must not be empty"),
        RuleCase("output region missing for URL input", [("OutputStorage.CosOutputStorage.Region", nil)], field: "OutputStorage.CosOutputStorage.Region", code: "MissingParameter", phrase: "no storage to inherit"),
        RuleCase("S3OutputStorage missing", cosInput + [("OutputStorage", ["Type": "AWS-S3"])], field: "OutputStorage.S3OutputStorage", code: "MissingParameter", phrase: "required when Type is AWS-S3"),
        RuleCase("task-level storage not COS for URL input", [("SmartSubtitlesTask.OutputStorage", ["Type": "VOD"])], field: "SmartSubtitlesTask.OutputStorage.Type", code: "InvalidParameter.Output", phrase: "must be COS"),

        // Top-level values
        RuleCase("OutputDir without leading slash", [("OutputDir", "output/")], field: "OutputDir", code: "InvalidParameterValue", phrase: "start and end with \"/\""),
        RuleCase("OutputDir without trailing slash", [("OutputDir", "/output")], field: "OutputDir", code: "InvalidParameterValue", phrase: "start and end with \"/\""),
        RuleCase("OutputDir empty", [("OutputDir", "")], field: "OutputDir", code: "InvalidParameterValue", phrase: "start and end with \"/\""),
        RuleCase("SessionContext too long", [("SessionContext", .string(String(repeating: "a", count: 1001)))], field: "SessionContext", code: "InvalidParameterValue.SessionContextTooLong", phrase: "at most 1000"),
        RuleCase("SessionContext too long in UTF-16", [("SessionContext", .string(String(repeating: "😀", count: 501)))], field: "SessionContext", code: "InvalidParameterValue.SessionContextTooLong", phrase: "1002 UTF-16 units"),
        RuleCase("TasksPriority above 10", [("TasksPriority", 11)], field: "TasksPriority", code: "InvalidParameterValue", phrase: "between -10 and 10; got 11"),
        RuleCase("TasksPriority below -10", [("TasksPriority", -11)], field: "TasksPriority", code: "InvalidParameterValue", phrase: "between -10 and 10; got -11"),
        RuleCase("TasksPriority fractional", [("TasksPriority", 1.5)], field: "TasksPriority", code: "InvalidParameter", phrase: "must be an integer, not 1.5"),
        RuleCase("TasksPriority as string", [("TasksPriority", "5")], field: "TasksPriority", code: "InvalidParameter", phrase: "must be an integer, not string"),
        RuleCase("SkipMateData 2", [("SkipMateData", 2)], field: "SkipMateData", code: "InvalidParameterValue", phrase: "must be one of 0, 1"),
        RuleCase("SkipMetaData misspelt", [("SkipMetaData", 1)], field: "SkipMetaData", code: "UnknownParameter", phrase: "did you mean \"SkipMateData\"?"),
        RuleCase("TaskMode lower case", [("TaskMode", "parallel")], field: "TaskMode", code: "InvalidParameterValue", phrase: "must be one of Parallel, Serial"),
        RuleCase("common parameter in body", [("Action", "BatchProcessMedia")], field: "Action", code: "UnknownParameter", phrase: "X-TC-* headers"),

        // Notifications
        RuleCase("NotifyType unset", [("TaskNotifyConfig.NotifyType", nil)], field: "TaskNotifyConfig.NotifyType", code: "MissingParameter", phrase: "an unset NotifyType means TDMQ-CMQ"),
        RuleCase("NotifyType empty", [("TaskNotifyConfig.NotifyType", "")], field: "TaskNotifyConfig.NotifyType", code: "InvalidParameterValue", phrase: "means TDMQ-CMQ"),
        RuleCase("NotifyType unknown", [("TaskNotifyConfig.NotifyType", "HTTP")], field: "TaskNotifyConfig.NotifyType", code: "InvalidParameterValue", phrase: "must be one of CMQ, TDMQ-CMQ, URL, SCF, AWS-SQS"),
        RuleCase("NotifyUrl missing", [("TaskNotifyConfig.NotifyUrl", nil)], field: "TaskNotifyConfig.NotifyUrl", code: "MissingParameter", phrase: "required when NotifyType is URL"),
        RuleCase("NotifyUrl empty", [("TaskNotifyConfig.NotifyUrl", "")], field: "TaskNotifyConfig.NotifyUrl", code: "InvalidParameterValue", phrase: "must not be empty"),
        RuleCase("NotifyUrl not http", [("TaskNotifyConfig.NotifyUrl", "ftp://x.com/cb?token=secret")], field: "TaskNotifyConfig.NotifyUrl", code: "InvalidParameterValue", phrase: "http:// or https://"),
        RuleCase("NotifyMode unknown", [("TaskNotifyConfig.NotifyMode", "OnChange")], field: "TaskNotifyConfig.NotifyMode", code: "InvalidParameterValue", phrase: "must be one of Finish, Change"),
        RuleCase("AwsSQS missing", [("TaskNotifyConfig", ["NotifyType": "AWS-SQS"])], field: "TaskNotifyConfig.AwsSQS", code: "MissingParameter", phrase: "required when NotifyType is AWS-SQS"),
        RuleCase("AwsSQS queue missing", [("TaskNotifyConfig", ["NotifyType": "AWS-SQS", "AwsSQS": ["SQSRegion": "us-east-1"]])], field: "TaskNotifyConfig.AwsSQS.SQSQueueName", code: "MissingParameter", phrase: "is required"),
        RuleCase("CmqModel unknown", [("TaskNotifyConfig", ["NotifyType": "TDMQ-CMQ", "CmqModel": "Stream"])], field: "TaskNotifyConfig.CmqModel", code: "InvalidParameterValue", phrase: "must be one of Queue, Topic"),
        RuleCase("NotifyKey not a string", [("TaskNotifyConfig.NotifyKey", 5)], field: "TaskNotifyConfig.NotifyKey", code: "InvalidParameter", phrase: "must be a string, not number"),

        // Smart subtitles: template and paths
        RuleCase("Definition negative", [("SmartSubtitlesTask.Definition", -1)], field: "SmartSubtitlesTask.Definition", code: "InvalidParameterValue.Definition", phrase: "must not be negative"),
        RuleCase("Definition fractional", [("SmartSubtitlesTask.Definition", 0.5)], field: "SmartSubtitlesTask.Definition", code: "InvalidParameter", phrase: "must be an integer"),
        RuleCase("Definition 0 without RawParameter", [("SmartSubtitlesTask.Definition", 0), ("SmartSubtitlesTask.RawParameter", nil)], field: "SmartSubtitlesTask.Definition", code: "InvalidParameterValue.Definition", phrase: "0 needs RawParameter"),
        RuleCase("neither Definition nor RawParameter", [("SmartSubtitlesTask.RawParameter", nil)], field: "SmartSubtitlesTask.Definition", code: "InvalidParameterValue.Definition", phrase: "needs RawParameter"),
        RuleCase("Definition 0 with RawParameter null", [("SmartSubtitlesTask.Definition", 0), ("SmartSubtitlesTask.RawParameter", .null)], field: "SmartSubtitlesTask.Definition", code: "InvalidParameterValue.Definition", phrase: "0 needs RawParameter"),
        RuleCase("OutputObjectPath wrong extension", [("SmartSubtitlesTask.OutputObjectPath", "subs/{inputName}.txt")], field: "SmartSubtitlesTask.OutputObjectPath", code: "InvalidParameterValue", phrase: "must end with \".{format}\" or \".vtt\""),
        RuleCase("OutputObjectPath srt for vtt", [("SmartSubtitlesTask.OutputObjectPath", "/custom/{inputName}.srt")], field: "SmartSubtitlesTask.OutputObjectPath", code: "InvalidParameterValue", phrase: "must end with"),
        RuleCase("OutputObjectPath empty", [("SmartSubtitlesTask.OutputObjectPath", "")], field: "SmartSubtitlesTask.OutputObjectPath", code: "InvalidParameterValue", phrase: "must not be empty"),

        // SubtitleType and TranslateSwitch
        RuleCase("SubtitleType missing", [("\(raw).SubtitleType", nil)], field: "\(raw).SubtitleType", code: "MissingParameter", phrase: "is required"),
        RuleCase("SubtitleType 3", [("\(raw).SubtitleType", 3)], field: "\(raw).SubtitleType", code: "InvalidParameterValue.SubtitleType", phrase: "must be one of 0, 1, 2"),
        RuleCase("SubtitleType 0 with switch ON", [("\(raw).SubtitleType", 0)], field: "\(raw).SubtitleType", code: "InvalidParameterValue.SubtitleType", phrase: "must be 1 or 2 when TranslateSwitch is ON"),
        RuleCase("SubtitleType 2 with switch OFF", [("\(raw).TranslateSwitch", "OFF"), ("\(raw).TranslateDstLanguage", nil)], field: "\(raw).SubtitleType", code: "InvalidParameterValue.SubtitleType", phrase: "must be 0 when TranslateSwitch is OFF or unset", count: 2),
        RuleCase("SubtitleType 1 with switch unset", [("\(raw).SubtitleType", 1), ("\(raw).TranslateSwitch", nil)], field: "\(raw).SubtitleType", code: "InvalidParameterValue.SubtitleType", phrase: "1 needs TranslateSwitch ON", count: 2),
        RuleCase("TranslateSwitch lower case", [("\(raw).TranslateSwitch", "on")], field: "\(raw).TranslateSwitch", code: "InvalidParameterValue.TranslateSwitch", phrase: "must be one of ON, OFF"),

        // TranslateDstLanguage
        RuleCase("target unknown", [("\(raw).TranslateDstLanguage", "xx")], field: "\(raw).TranslateDstLanguage", code: "InvalidParameterValue.TranslateDstLanguage", phrase: "\"xx\" is not a target-language code"),
        RuleCase("target wrong case", [("\(raw).TranslateDstLanguage", "en/JA")], field: "\(raw).TranslateDstLanguage", code: "InvalidParameterValue.TranslateDstLanguage", phrase: "\"JA\""),
        RuleCase("target duplicated", [("\(raw).TranslateDstLanguage", "en/ja/en")], field: "\(raw).TranslateDstLanguage", code: "InvalidParameterValue.TranslateDstLanguage", phrase: "more than once"),
        RuleCase("target empty part", [("\(raw).TranslateDstLanguage", "en//ja")], field: "\(raw).TranslateDstLanguage", code: "InvalidParameterValue.TranslateDstLanguage", phrase: "empty language code"),
        RuleCase("target missing when translating", [("\(raw).TranslateDstLanguage", nil)], field: "\(raw).TranslateDstLanguage", code: "MissingParameter", phrase: "required when SubtitleType is 1 or 2"),
        RuleCase("target empty when translating", [("\(raw).TranslateDstLanguage", "")], field: "\(raw).TranslateDstLanguage", code: "InvalidParameterValue.TranslateDstLanguage", phrase: "must not be empty when SubtitleType is 1 or 2"),
        RuleCase("target without switch ON", [("\(raw).SubtitleType", 0), ("\(raw).TranslateSwitch", "OFF")], field: "\(raw).TranslateDstLanguage", code: "InvalidParameterValue.TranslateDstLanguage", phrase: "only allowed with TranslateSwitch ON"),

        // VideoSrcLanguage
        RuleCase("source missing", [("\(raw).VideoSrcLanguage", nil)], field: "\(raw).VideoSrcLanguage", code: "MissingParameter", phrase: "is required"),
        RuleCase("source unknown", [("\(raw).VideoSrcLanguage", "xx")], field: "\(raw).VideoSrcLanguage", code: "InvalidParameterValue.VideoSrcLanguage", phrase: "\"xx\" is not a source-language code"),
        RuleCase("source wrong case", [("\(raw).VideoSrcLanguage", "ZH")], field: "\(raw).VideoSrcLanguage", code: "InvalidParameterValue.VideoSrcLanguage", phrase: "case-sensitive"),
        RuleCase("source multi for ASR", [("\(raw).VideoSrcLanguage", "multi")], field: "\(raw).VideoSrcLanguage", code: "InvalidParameterValue.VideoSrcLanguage", phrase: "OCR (ProcessType 2) only"),
        RuleCase("source zh for OCR", ocr + [("\(raw).VideoSrcLanguage", "zh")], field: "\(raw).VideoSrcLanguage", code: "InvalidParameterValue.VideoSrcLanguage", phrase: "accepts only zh_en"),

        // SubtitleFormat per ProcessType
        RuleCase("format unknown", [("\(raw).SubtitleFormat", "ass")], field: "\(raw).SubtitleFormat", code: "InvalidParameterValue.SubtitleFormat", phrase: "must be one of vtt, srt for ProcessType 0"),
        RuleCase("format original for ASR", [("\(raw).SubtitleFormat", "original")], field: "\(raw).SubtitleFormat", code: "InvalidParameterValue.SubtitleFormat", phrase: "must be one of vtt, srt"),
        RuleCase("format missing with 2 targets", [("\(raw).SubtitleFormat", nil), ("\(raw).TranslateDstLanguage", "en/ja")], field: "\(raw).SubtitleFormat", code: "MissingParameter", phrase: "translating into 2 or more languages"),
        RuleCase("format empty with 2 targets", [("\(raw).SubtitleFormat", ""), ("\(raw).TranslateDstLanguage", "en/ja")], field: "\(raw).SubtitleFormat", code: "InvalidParameterValue.SubtitleFormat", phrase: "translating into 2 or more languages"),
        RuleCase("format missing for translation", translation + [("\(raw).SubtitleFormat", nil)], field: "\(raw).SubtitleFormat", code: "MissingParameter", phrase: "pure subtitle translation"),
        RuleCase("format empty for translation", translation + [("\(raw).SubtitleFormat", "")], field: "\(raw).SubtitleFormat", code: "InvalidParameterValue.SubtitleFormat", phrase: "pure subtitle translation"),
        RuleCase("format missing for OCR", ocr + [("\(raw).SubtitleFormat", nil)], field: "\(raw).SubtitleFormat", code: "MissingParameter", phrase: "unless SubtitleEmbedId is set"),
        RuleCase("format original for OCR", ocr + [("\(raw).SubtitleFormat", "original")], field: "\(raw).SubtitleFormat", code: "InvalidParameterValue.SubtitleFormat", phrase: "for ProcessType 2"),

        // ProcessType, translation switch, embedding
        RuleCase("ProcessType 3", [("\(raw).ProcessType", 3)], field: "\(raw).ProcessType", code: "InvalidParameterValue", phrase: "must be one of 0, 1, 2"),
        RuleCase("translation with switch OFF", translation + [("\(raw).TranslateSwitch", "OFF")], field: "\(raw).TranslateSwitch", code: "InvalidParameterValue.TranslateSwitch", phrase: "must be ON for pure subtitle translation"),
        RuleCase("translation with switch unset", translation + [("\(raw).TranslateSwitch", nil)], field: "\(raw).TranslateSwitch", code: "MissingParameter", phrase: "must be ON for pure subtitle translation"),
        RuleCase("embedding with translation", translation + [("\(raw).SubtitleEmbedId", 42)], field: "\(raw).SubtitleEmbedId", code: "InvalidParameterValue.SubtitleEmbedId", phrase: "only allowed with ProcessType 0 (ASR) or 2 (OCR)"),
        RuleCase("embedding id negative", [("\(raw).SubtitleEmbedId", -1)], field: "\(raw).SubtitleEmbedId", code: "InvalidParameterValue.SubtitleEmbedId", phrase: "must not be negative"),

        // Speakers
        RuleCase("SpeakerMode 2", [("\(raw).SpeakerMode", 2)], field: "\(raw).SpeakerMode", code: "InvalidParameterValue", phrase: "must be 0 (off) or 1 (on)"),
        RuleCase("SpeakerLabel 2", [("\(raw).SpeakerLabel", 2)], field: "\(raw).SpeakerLabel", code: "InvalidParameterValue", phrase: "must be 0 or 1"),
        RuleCase("SpeakerLabel without SpeakerMode", [("\(raw).SpeakerLabel", 1)], field: "\(raw).SpeakerLabel", code: "InvalidParameterValue", phrase: "needs SpeakerMode 1"),
        RuleCase("SpeakerLabel with SpeakerMode 0", [("\(raw).SpeakerLabel", 1), ("\(raw).SpeakerMode", 0)], field: "\(raw).SpeakerLabel", code: "InvalidParameterValue", phrase: "needs SpeakerMode 1"),

        // Hotwords
        RuleCase("hotword switch unknown", [("\(raw).AsrHotWordsConfigure", ["Switch": "yes"])], field: "\(raw).AsrHotWordsConfigure.Switch", code: "InvalidParameterValue.AsrHotWordsSwitch", phrase: "must be one of ON, OFF"),
        RuleCase("hotword library missing", [("\(raw).AsrHotWordsConfigure", ["Switch": "ON"])], field: "\(raw).AsrHotWordsConfigure.LibraryId", code: "MissingParameter", phrase: "required when Switch is ON"),
        RuleCase("hotword library empty", [("\(raw).AsrHotWordsConfigure", ["Switch": "ON", "LibraryId": ""])], field: "\(raw).AsrHotWordsConfigure.LibraryId", code: "InvalidParameterValue.AsrHotWordsLibraryId", phrase: "must not be empty"),

        // Areas
        RuleCase("area Unit missing", ocr + [(area, goodArea), ("\(area).Unit", nil)], field: "\(area).Unit", code: "MissingParameter", phrase: "is required"),
        RuleCase("area LeftTopX missing", ocr + [(area, goodArea), ("\(area).LeftTopX", nil)], field: "\(area).LeftTopX", code: "MissingParameter", phrase: "is required"),
        RuleCase("area Unit 3", ocr + [(area, goodArea), ("\(area).Unit", 3)], field: "\(area).Unit", code: "InvalidParameterValue", phrase: "must be one of 1, 2"),
        RuleCase("area percent above 1", ocr + [(area, goodArea), ("\(area).RightBottomX", 1.5)], field: "\(area).RightBottomX", code: "InvalidParameterValue", phrase: "within [0, 1] when Unit is 1"),
        RuleCase("area negative", ocr + [(area, goodArea), ("\(area).Unit", 2), ("\(area).LeftTopX", -5)], field: "\(area).LeftTopX", code: "InvalidParameterValue", phrase: "must not be negative"),
        RuleCase("area upside down", ocr + [(area, goodArea), ("\(area).RightBottomY", 0.5)], field: "\(area).RightBottomY", code: "InvalidParameterValue", phrase: "must not be less than LeftTopY"),
        RuleCase("area right of left", ocr + [(area, goodArea), ("\(area).Unit", 2), ("\(area).LeftTopX", 100), ("\(area).RightBottomX", 50)], field: "\(area).RightBottomX", code: "InvalidParameterValue", phrase: "must not be less than LeftTopX"),
        RuleCase("area coordinate as string", ocr + [(area, goodArea), ("\(area).LeftTopY", "0.8")], field: "\(area).LeftTopY", code: "InvalidParameter", phrase: "must be a number, not string"),
        RuleCase("sample width negative", ocr + [("\(raw).SelectingSubtitleAreasConfig.SampleWidth", -1)], field: "\(raw).SelectingSubtitleAreasConfig.SampleWidth", code: "InvalidParameterValue", phrase: "must not be negative"),

        // Unknown members at depth
        RuleCase("nested near miss", [("\(raw).SubtitleTyp", 2)], field: "\(raw).SubtitleTyp", code: "UnknownParameter", phrase: "did you mean \"SubtitleType\"?"),
        RuleCase("nested case slip", [("TaskNotifyConfig.NotifyURL", "https://x.com")], field: "TaskNotifyConfig.NotifyURL", code: "UnknownParameter", phrase: "did you mean \"NotifyUrl\"?"),
        RuleCase("nested unknown", [("InputInfo[0].Headers", ["A": "b"])], field: "InputInfo[0].Headers", code: "UnknownParameter", phrase: "is not a member of MediaInputInfo"),
        RuleCase("SessionId is not a BatchProcessMedia parameter", [("SessionId", "abc")], field: "SessionId", code: "UnknownParameter", phrase: "is not a member of BatchProcessMedia"),
    ]

    @Test(arguments: Self.brokenRules)
    func brokenRuleIsReported(rule: RuleCase) throws {
        let problems = BatchProcessMediaValidator.validate(try ValidationBodies.edited(rule.edits))
        let matching = problems.filter { $0.field == rule.field && $0.errorCode == rule.errorCode }
        #expect(matching.count == 1, "\(problems)")
        if let problem = matching.first {
            #expect(problem.message.contains(rule.phrase), "\(problem.message)")
        }
        #expect(problems.count == rule.count, "\(problems)")
    }

    static let validVariants: [RuleCase] = [
        RuleCase("official example", [], field: "", code: "", phrase: ""),
        RuleCase("priority -10", [("TasksPriority", -10)], field: "", code: "", phrase: ""),
        RuleCase("priority 10", [("TasksPriority", 10)], field: "", code: "", phrase: ""),
        RuleCase("SessionContext 1000", [("SessionContext", .string(String(repeating: "中", count: 1000)))], field: "", code: "", phrase: ""),
        RuleCase("OutputDir root", [("OutputDir", "/")], field: "", code: "", phrase: ""),
        RuleCase("SkipMateData and TaskMode", [("SkipMateData", 1), ("TaskMode", "Serial"), ("ResourceId", "vts-24000123-0")], field: "", code: "", phrase: ""),
        RuleCase("notify https with key and Change", [("TaskNotifyConfig", ["NotifyType": "URL", "NotifyMode": "Change", "NotifyUrl": "https://h.example.com/cb?token=t", "NotifyKey": "k"])], field: "", code: "", phrase: ""),
        RuleCase("notify TDMQ-CMQ explicit", [("TaskNotifyConfig", ["NotifyType": "TDMQ-CMQ", "CmqModel": "Queue", "CmqRegion": "gz", "QueueName": "q"])], field: "", code: "", phrase: ""),
        RuleCase("no notifications", [("TaskNotifyConfig", nil)], field: "", code: "", phrase: ""),
        RuleCase("ASR source only, no file", [("\(raw).SubtitleType", 0), ("\(raw).TranslateSwitch", "OFF"), ("\(raw).TranslateDstLanguage", nil), ("\(raw).SubtitleFormat", nil)], field: "", code: "", phrase: ""),
        RuleCase("ASR source only, switch unset, empty format", [("\(raw).SubtitleType", 0), ("\(raw).TranslateSwitch", nil), ("\(raw).TranslateDstLanguage", ""), ("\(raw).SubtitleFormat", "")], field: "", code: "", phrase: ""),
        RuleCase("translation only into two languages", [("\(raw).SubtitleType", 1), ("\(raw).TranslateDstLanguage", "en/zh-TW"), ("\(raw).SubtitleFormat", "srt")], field: "", code: "", phrase: ""),
        RuleCase("one target, no file", [("\(raw).SubtitleFormat", nil)], field: "", code: "", phrase: ""),
        RuleCase("pure translation, original", translation + [("\(raw).SubtitleFormat", "original")], field: "", code: "", phrase: ""),
        RuleCase("pure translation, switch ON", translation, field: "", code: "", phrase: ""),
        RuleCase("OCR vtt", ocr + [("\(raw).SubtitleFormat", "vtt")], field: "", code: "", phrase: ""),
        RuleCase("OCR multi with embedding and no format", ocr + [("\(raw).VideoSrcLanguage", "multi"), ("\(raw).SubtitleFormat", nil), ("\(raw).SubtitleEmbedId", 42)], field: "", code: "", phrase: ""),
        RuleCase("OCR with areas in pixels", ocr + [(area, ["LeftTopX": 0, "LeftTopY": 600, "RightBottomX": 1280, "RightBottomY": 720, "Unit": 2] as JSONValue), ("\(raw).SelectingSubtitleAreasConfig.SampleWidth", 1280), ("\(raw).SelectingSubtitleAreasConfig.SampleHeight", 720)], field: "", code: "", phrase: ""),
        RuleCase("OCR with percent area", ocr + [(area, goodArea)], field: "", code: "", phrase: ""),
        RuleCase("ASR with embedding", [("\(raw).SubtitleEmbedId", 7)], field: "", code: "", phrase: ""),
        RuleCase("speakers labelled", [("\(raw).SpeakerMode", 1), ("\(raw).SpeakerLabel", 1)], field: "", code: "", phrase: ""),
        RuleCase("hotwords ON", [("\(raw).AsrHotWordsConfigure", ["Switch": "ON", "LibraryId": "hwd-2670a776bb5eccccc324"])], field: "", code: "", phrase: ""),
        RuleCase("hotwords OFF without library", [("\(raw).AsrHotWordsConfigure", ["Switch": "OFF"])], field: "", code: "", phrase: ""),
        RuleCase("template with RawParameter", [("SmartSubtitlesTask.Definition", 110167), ("SmartSubtitlesTask.UserExtPara", "")], field: "", code: "", phrase: ""),
        RuleCase("template without RawParameter", [("SmartSubtitlesTask.Definition", 110167), ("SmartSubtitlesTask.RawParameter", nil)], field: "", code: "", phrase: ""),
        RuleCase("Definition 0 with RawParameter", [("SmartSubtitlesTask.Definition", 0)], field: "", code: "", phrase: ""),
        RuleCase("OutputObjectPath {format}", [("SmartSubtitlesTask.OutputObjectPath", "/custom/dir/name_{inputName}.{format}")], field: "", code: "", phrase: ""),
        RuleCase("OutputObjectPath vtt", [("SmartSubtitlesTask.OutputObjectPath", "name_{inputName}.vtt")], field: "", code: "", phrase: ""),
        RuleCase("task-level COS storage", [("SmartSubtitlesTask.OutputStorage", ["Type": "COS", "CosOutputStorage": ["Bucket": "b-1", "Region": "ap-guangzhou"]])], field: "", code: "", phrase: ""),
        RuleCase("COS input inherits output storage", cosInput + [("OutputStorage", nil)], field: "", code: "", phrase: ""),
        RuleCase("COS input with bucket-less COS output", cosInput + [("OutputStorage.CosOutputStorage", [:])], field: "", code: "", phrase: ""),
        RuleCase("two URL inputs", [("InputInfo[1]", ["Type": "URL", "UrlInputInfo": ["Url": "http://e.com/b.mp4"]])], field: "", code: "", phrase: ""),
    ]

    @Test(arguments: Self.validVariants)
    func validVariantPasses(rule: RuleCase) throws {
        let body = try ValidationBodies.edited(rule.edits)
        #expect(BatchProcessMediaValidator.validate(body) == [])
        // A valid body always decodes to a typed request that validates the same way.
        let bytes = try MPSJSON.encoder().encode(body)
        let request = try BatchProcessMediaValidator.decode(bytes).get()
        #expect(BatchProcessMediaValidator.validate(request) == [])
    }

    @Test func problemsNeverEchoSecretsOrURLs() throws {
        let body = try ValidationBodies.edited([
            ("TaskNotifyConfig.NotifyUrl", "ftp://h.example.com/cb?token=s3cr3t"),
            ("InputInfo[0].UrlInputInfo.Url", "file:///etc/passwd?sig=abc"),
        ])
        let problems = BatchProcessMediaValidator.validate(body)
        #expect(problems.count == 2)
        for problem in problems {
            #expect(!problem.message.contains("s3cr3t"))
            #expect(!problem.message.contains("passwd"))
        }
    }

    @Test func longBadValuesAreShortenedInMessages() throws {
        let body = try ValidationBodies.edited([("TaskMode", .string(String(repeating: "x", count: 5000)))])
        let problem = try #require(BatchProcessMediaValidator.validate(body).first)
        #expect(problem.message.count < 200)
    }
}
