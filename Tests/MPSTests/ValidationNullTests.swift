import Foundation
import MPS
import Testing

private let raw = "SmartSubtitlesTask.RawParameter"

/// `null` in a request: MPS's SDK drops a `None` member before sending, so an optional field
/// given as `null` means absent; a required one given as `null` is missing, reported at its field.
@Suite struct ValidationNullTests {
    /// Optional fields of the official example (and of the models) that may be `null`.
    static let optionalPaths = [
        "OutputDir", "TasksPriority", "ResourceId", "SkipMateData", "TaskMode", "SessionContext",
        "TaskNotifyConfig.NotifyMode", "TaskNotifyConfig.NotifyKey", "TaskNotifyConfig.CmqModel", "TaskNotifyConfig.AwsSQS",
        "SmartSubtitlesTask.Definition", "SmartSubtitlesTask.UserExtPara", "SmartSubtitlesTask.OutputStorage",
        "SmartSubtitlesTask.OutputObjectPath", "\(raw).SubtitleFormat", "\(raw).AsrHotWordsConfigure", "\(raw).ExtInfo",
        "\(raw).ProcessType", "\(raw).SelectingSubtitleAreasConfig", "\(raw).SubtitleEmbedId", "\(raw).SpeakerMode",
        "\(raw).SpeakerLabel", "InputInfo[0].CosInputInfo", "InputInfo[0].S3InputInfo", "InputInfo[0].VODInputInfo",
        "OutputStorage.S3OutputStorage", "OutputStorage.VODOutputStorage",
    ]

    @Test(arguments: Self.optionalPaths)
    func nullInAnOptionalFieldMeansAbsent(path: String) throws {
        let withNull = try ValidationBodies.edited([(path, .null)])
        let without = try ValidationBodies.edited([(path, nil)])
        #expect(BatchProcessMediaValidator.validate(withNull) == [])
        let decoded = try BatchProcessMediaValidator.decode(try MPSJSON.encoder().encode(withNull)).get()
        let expected = try BatchProcessMediaValidator.decode(try MPSJSON.encoder().encode(without)).get()
        #expect(decoded == expected)
    }

    @Test func nullsEverywhereOptionalAtOnceStillValidate() throws {
        let body = try ValidationBodies.edited(Self.optionalPaths.map { ($0, JSONValue.null) })
        #expect(BatchProcessMediaValidator.validate(body) == [])
        #expect(throws: Never.self) { try BatchProcessMediaValidator.decode(try MPSJSON.encoder().encode(body)).get() }
    }

    @Test func nullsInAnOptionalSubtreeAreDroppedByNormalizing() throws {
        let body = try ValidationBodies.edited([("OutputDir", .null), ("\(raw).ExtInfo", .null)])
        let normalized = BatchProcessMediaValidator.droppingNulls(body)
        #expect(normalized["OutputDir"] == nil)
        #expect(normalized["SmartSubtitlesTask"]?["RawParameter"]?["ExtInfo"] == nil)
        #expect(normalized["SmartSubtitlesTask"]?["RawParameter"]?["SubtitleType"] == 2)
    }

    /// Required fields (always, or by a rule between fields): `null` is refused at the field.
    @Test(arguments: [
        ("InputInfo", "MissingParameter"),
        ("InputInfo[0].Type", "MissingParameter"),
        ("InputInfo[0].UrlInputInfo", "MissingParameter"),
        ("InputInfo[0].UrlInputInfo.Url", "MissingParameter"),
        ("OutputStorage", "MissingParameter"),
        ("OutputStorage.Type", "MissingParameter"),
        ("OutputStorage.CosOutputStorage", "MissingParameter"),
        ("TaskNotifyConfig.NotifyType", "MissingParameter"),
        ("TaskNotifyConfig.NotifyUrl", "MissingParameter"),
        ("\(raw).SubtitleType", "MissingParameter"),
        ("\(raw).VideoSrcLanguage", "MissingParameter"),
        ("\(raw).TranslateDstLanguage", "MissingParameter"),
    ])
    func nullInARequiredFieldIsRefusedAtThatField(path: String, code: String) throws {
        let body = try ValidationBodies.edited([(path, .null)])
        let problems = BatchProcessMediaValidator.validate(body)
        let atField = problems.filter { $0.field == path }
        #expect(atField.count == 1, "\(problems)")
        #expect(atField.first?.errorCode == code)
        #expect(atField.first?.message.contains("null") == true, "\(problems)")
        #expect(throws: ValidationProblems.self) { try BatchProcessMediaValidator.decode(try MPSJSON.encoder().encode(body)).get() }
    }

    @Test func nullAsAnArrayElementIsRefused() throws {
        let body = try ValidationBodies.edited([("InputInfo", [.null])])
        let problems = BatchProcessMediaValidator.validate(body)
        #expect(problems.map(\.field).contains("InputInfo[0]"), "\(problems)")
    }

    @Test func nullForAnUnknownMemberIsStillUnknown() throws {
        let body = try ValidationBodies.edited([("SkipMetaData", .null)])
        let problems = BatchProcessMediaValidator.validate(body)
        #expect(problems.map(\.errorCode) == ["UnknownParameter"])
    }
}
