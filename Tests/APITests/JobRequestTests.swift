import Correlation
import Foundation
import API
import MPS
import Postgres
import Store
import Testing

/// `JobRequest`: what a client's job body becomes, and every way it is refused.
@Suite struct JobRequestTests {
    /// The valid body in Fixtures/job.json, as a mutable JSON object.
    static func validBody() throws -> [String: JSONValue] {
        let url = try #require(Bundle.module.url(forResource: "job", withExtension: "json", subdirectory: "Fixtures"))
        let json = try MPSJSON.decoder.decode(JSONValue.self, from: Data(contentsOf: url))
        return try #require(json.objectValue)
    }

    static func request(_ body: [String: JSONValue]) throws -> [String: JSONValue] {
        try #require(body["request"]?.objectValue)
    }

    /// The problem fields for `body`, failing the test when it is accepted.
    static func problemFields(_ body: JSONValue) -> [String] {
        switch JobRequest.parse(body) {
        case .success:
            Issue.record("the body was accepted")
            return []
        case .failure(let problems):
            return problems.map(\.field)
        }
    }

    static func problems(_ bytes: String) -> [ValidationProblem] {
        switch JobRequest.parse(Array(bytes.utf8)) {
        case .success:
            Issue.record("the body was accepted")
            return []
        case .failure(let problems):
            return Array(problems)
        }
    }

    static func stored(_ job: NewJob) throws -> [String: JSONValue] {
        let json = try MPSJSON.decoder.decode(JSONValue.self, from: Data(job.steps[0].request.text.utf8))
        return try #require(json.objectValue)
    }

    // MARK: Accepted bodies

    @Test func aValidBodyBecomesOneJobWithOneStepAndItsInputsInOrder() throws {
        let body = try Self.validBody()
        let parsed = try JobRequest.parse(.object(body)).get()
        let correlation = CorrelationId()
        let job = parsed.makeJob(correlation: correlation)

        #expect(job.clientReference == "order-1234")
        #expect(job.clientContext?.text == #"{"customer":"acme","priority":3}"#)
        try #require(job.steps.count == 1)
        let step = job.steps[0]
        #expect(step.name == "main")
        #expect(step.correlationId == correlation.uuid)
        #expect(step.sessionContext == correlation.sessionContext)
        #expect(step.inputURLs == ["https://media.example.com/a.mp4", "https://media.example.com/b.mp4?sig=abc"])
    }

    @Test func theStoredRequestIsTheClientsWithoutSessionContextNotifyUrlOrNotifyKey() throws {
        let body = try Self.validBody()
        let job = try JobRequest.parse(.object(body)).get().makeJob()
        let stored = try Self.stored(job)
        #expect(stored["SessionContext"] == nil)
        let notify = try #require(stored["TaskNotifyConfig"]?.objectValue)
        #expect(notify["NotifyUrl"] == nil)
        #expect(notify["NotifyKey"] == nil)
        #expect(notify == ["NotifyMode": "Change"])
        #expect(.object(stored) == body["request"])
    }

    @Test func everyOtherModelledFieldIsAcceptedAndStoredAsGiven() throws {
        var body = try Self.validBody()
        var request = try Self.request(body)
        request["ResourceId"] = "vod-resource-1"
        request["SkipMateData"] = 1
        request["TaskMode"] = "Serial"
        request["OutputDir"] = "/other/"
        body["request"] = .object(request)
        let job = try JobRequest.parse(.object(body)).get().makeJob()
        let stored = try Self.stored(job)
        #expect(stored["ResourceId"] == "vod-resource-1")
        #expect(stored["SkipMateData"] == 1)
        #expect(stored["TaskMode"] == "Serial")
        #expect(stored["OutputDir"] == "/other/")
        #expect(stored["TasksPriority"] == 5)
        // And a value outside a field's rule is refused at that field.
        request["TaskMode"] = "Sideways"
        body["request"] = .object(request)
        guard case .failure(let problems) = JobRequest.parse(.object(body)) else {
            Issue.record("TaskMode Sideways was accepted")
            return
        }
        #expect(problems.problems.map(\.field) == ["request.TaskMode"])
    }

    @Test func theStoredRequestIsCompactJSONWithSortedKeys() throws {
        let job = try JobRequest.parse(.object(try Self.validBody())).get().makeJob()
        let text = job.steps[0].request.text
        #expect(text.hasPrefix(#"{"InputInfo":[{"Type":"URL","UrlInputInfo":{"Url":"https://media.example.com/a.mp4"}}"#))
        let expected = try MPSJSON.encoder.encode(try #require(try Self.validBody()["request"]))
        #expect(text == String(decoding: expected, as: UTF8.self))
        #expect(!text.contains("\n"))
    }

    @Test func inputUrlsExpandToURLInputsInOrder() throws {
        var body = try Self.validBody()
        var request = try Self.request(body)
        request["InputInfo"] = nil
        body["request"] = .object(request)
        body["inputUrls"] = ["https://e.com/1.mp4", "https://e.com/2.mp4", "https://e.com/3.mp4"]
        let job = try JobRequest.parse(.object(body)).get().makeJob()
        #expect(job.steps[0].inputURLs == ["https://e.com/1.mp4", "https://e.com/2.mp4", "https://e.com/3.mp4"])
        let stored = try Self.stored(job)
        #expect(stored["InputInfo"] == [
            ["Type": "URL", "UrlInputInfo": ["Url": "https://e.com/1.mp4"]],
            ["Type": "URL", "UrlInputInfo": ["Url": "https://e.com/2.mp4"]],
            ["Type": "URL", "UrlInputInfo": ["Url": "https://e.com/3.mp4"]],
        ])
    }

    @Test func aBodyWithoutReferenceOrContextStoresNeither() throws {
        var body = try Self.validBody()
        body["clientReference"] = nil
        body["clientContext"] = nil
        let job = try JobRequest.parse(.object(body)).get().makeJob()
        #expect(job.clientReference == nil)
        #expect(job.clientContext == nil)
    }

    @Test func notifyTypeURLMayBeGivenAndIsKept() throws {
        var body = try Self.validBody()
        var request = try Self.request(body)
        request["TaskNotifyConfig"] = ["NotifyType": "URL", "NotifyMode": "Finish"]
        body["request"] = .object(request)
        let stored = try Self.stored(try JobRequest.parse(.object(body)).get().makeJob())
        #expect(stored["TaskNotifyConfig"] == ["NotifyType": "URL", "NotifyMode": "Finish"])
    }

    // MARK: Refused bodies

    @Test func aBodyThatIsNotJSONIsOneProblemAtTheBody() {
        let problems = Self.problems("{not json")
        #expect(problems.map(\.field) == [""])
        #expect(problems.first?.message.contains("not valid JSON") == true)
    }

    @Test func aBodyThatIsNotAnObjectIsOneProblemAtTheBody() {
        let problems = Self.problems(#"["https://e.com/a.mp4"]"#)
        #expect(problems.map(\.field) == [""])
        #expect(problems.first?.message.contains("JSON object") == true)
    }

    @Test func unknownEnvelopeMembersAreRefusedWithAHint() throws {
        var body = try Self.validBody()
        body["InputURLs"] = ["https://e.com/a.mp4"]
        body["OutputStorage"] = [:]
        let problems: [ValidationProblem]
        switch JobRequest.parse(.object(body)) {
        case .success: Issue.record("accepted"); return
        case .failure(let found): problems = Array(found)
        }
        #expect(problems.map(\.field) == ["InputURLs", "OutputStorage"])
        #expect(problems.allSatisfy { $0.errorCode == "UnknownParameter" })
        #expect(problems[0].message.contains(#"did you mean "inputUrls"?"#))
        #expect(problems[1].message.contains(#"inside "request""#))
    }

    @Test func aMissingRequestIsRefused() throws {
        var body = try Self.validBody()
        body["request"] = nil
        #expect(Self.problemFields(.object(body)) == ["request"])
    }

    @Test func everyBadFieldIsReportedAtOnce() throws {
        var body = try Self.validBody()
        var request = try Self.request(body)
        body["clientReference"] = .string(String(repeating: "r", count: 201))
        body["clientContext"] = "not an object"
        request["OutputStorage"] = nil
        request["TasksPriority"] = 11
        request["SmartSubtitlesTask"] = ["Definition": 0, "RawParameter": ["SubtitleType": 9, "VideoSrcLanguage": "en"]]
        body["request"] = .object(request)
        let fields = Set(Self.problemFields(.object(body)))
        #expect(fields == [
            "clientReference", "clientContext", "request.OutputStorage", "request.TasksPriority",
            "request.SmartSubtitlesTask.RawParameter.SubtitleType",
        ])
    }

    @Test func validatorPathsArePrefixedWithRequest() throws {
        var body = try Self.validBody()
        var request = try Self.request(body)
        request["SkipMetaData"] = 1
        body["request"] = .object(request)
        let problems: [ValidationProblem]
        switch JobRequest.parse(.object(body)) {
        case .success: Issue.record("accepted"); return
        case .failure(let found): problems = Array(found)
        }
        #expect(problems.map(\.field) == ["request.SkipMetaData"])
        #expect(problems[0].message.contains("SkipMateData"))
    }

    @Test func sessionContextIsSetByMPSHook() throws {
        var body = try Self.validBody()
        var request = try Self.request(body)
        request["SessionContext"] = "mine"
        body["request"] = .object(request)
        let problems: [ValidationProblem]
        switch JobRequest.parse(.object(body)) {
        case .success: Issue.record("accepted"); return
        case .failure(let found): problems = Array(found)
        }
        #expect(problems.map(\.field) == ["request.SessionContext"])
        #expect(problems[0].errorCode == JobRequest.Code.ownedField)
        #expect(problems[0].message.contains("set by mpshook"))
    }

    @Test func notifyTargetsAndKeysAreSetByMPSHookEachNamed() throws {
        var body = try Self.validBody()
        var request = try Self.request(body)
        request["TaskNotifyConfig"] = [
            "NotifyType": "TDMQ-CMQ", "NotifyMode": "Finish", "NotifyUrl": "https://evil.example/cb", "NotifyKey": "k",
            "CmqModel": "Queue", "CmqRegion": "gz", "QueueName": "q", "TopicName": "t",
            "AwsSQS": ["SQSRegion": "r", "SQSQueueName": "q"],
        ]
        body["request"] = .object(request)
        let problems: [ValidationProblem]
        switch JobRequest.parse(.object(body)) {
        case .success: Issue.record("accepted"); return
        case .failure(let found): problems = Array(found)
        }
        #expect(Set(problems.map(\.field)) == Set(
            ["NotifyType", "NotifyUrl", "NotifyKey", "CmqModel", "CmqRegion", "QueueName", "TopicName", "AwsSQS"]
                .map { "request.TaskNotifyConfig." + $0 }
        ))
        #expect(problems.count == 8)
        #expect(problems.allSatisfy { $0.errorCode == JobRequest.Code.ownedField && $0.message.contains("set by mpshook") })
    }

    @Test func inputUrlsAndInputInfoTogetherAreRefused() throws {
        var body = try Self.validBody()
        body["inputUrls"] = ["https://e.com/x.mp4"]
        let problems: [ValidationProblem]
        switch JobRequest.parse(.object(body)) {
        case .success: Issue.record("accepted"); return
        case .failure(let found): problems = Array(found)
        }
        #expect(problems.map(\.field) == ["inputUrls"])
        #expect(problems[0].errorCode == JobRequest.Code.conflictingInputs)
    }

    @Test func badInputUrlsAreReportedAtTheirIndex() throws {
        var body = try Self.validBody()
        var request = try Self.request(body)
        request["InputInfo"] = nil
        body["request"] = .object(request)
        body["inputUrls"] = ["https://e.com/ok.mp4", "ftp://e.com/b.mp4", "https://e.com/c.mp4", "not a url"]
        #expect(Self.problemFields(.object(body)) == ["inputUrls[1]", "inputUrls[3]"])

        body["inputUrls"] = ["https://e.com/ok.mp4", 7]
        #expect(Self.problemFields(.object(body)) == ["inputUrls[1]"])

        body["inputUrls"] = []
        #expect(Self.problemFields(.object(body)) == ["inputUrls"])
    }

    @Test func nonURLInputsAreRefusedAsUnsupported() throws {
        var body = try Self.validBody()
        var request = try Self.request(body)
        request["InputInfo"] = [
            ["Type": "URL", "UrlInputInfo": ["Url": "https://e.com/a.mp4"]],
            ["Type": "COS", "CosInputInfo": ["Bucket": "b-1250000000", "Region": "ap-guangzhou", "Object": "/a.mp4"]],
        ]
        body["request"] = .object(request)
        let problems: [ValidationProblem]
        switch JobRequest.parse(.object(body)) {
        case .success: Issue.record("accepted"); return
        case .failure(let found): problems = Array(found)
        }
        #expect(problems.map(\.field) == ["request.InputInfo[1].Type"])
        #expect(problems[0].errorCode == JobRequest.Code.unsupportedInput)
        #expect(problems[0].message.contains("COS"))
    }

    @Test func aRequestWithoutASmartSubtitlesTaskIsRefused() throws {
        var body = try Self.validBody()
        var request = try Self.request(body)
        request["SmartSubtitlesTask"] = nil
        body["request"] = .object(request)
        #expect(Self.problemFields(.object(body)) == ["request.SmartSubtitlesTask"])
    }

    @Test func aNotifyConfigThatIsNotAnObjectIsRefusedNotReplaced() throws {
        var body = try Self.validBody()
        var request = try Self.request(body)
        request["TaskNotifyConfig"] = "URL"
        body["request"] = .object(request)
        #expect(Self.problemFields(.object(body)) == ["request.TaskNotifyConfig"])
    }

    @Test func anUnknownNotifyModeIsReportedByTheValidator() throws {
        var body = try Self.validBody()
        var request = try Self.request(body)
        request["TaskNotifyConfig"] = ["NotifyMode": "Sometimes"]
        body["request"] = .object(request)
        #expect(Self.problemFields(.object(body)) == ["request.TaskNotifyConfig.NotifyMode"])
    }

    @Test func clientReferenceMustBeANonEmptyStringOfAtMost200Characters() throws {
        var body = try Self.validBody()
        body["clientReference"] = ""
        #expect(Self.problemFields(.object(body)) == ["clientReference"])
        body["clientReference"] = 42
        #expect(Self.problemFields(.object(body)) == ["clientReference"])
        body["clientReference"] = .string(String(repeating: "é", count: 200))
        #expect((try? JobRequest.parse(.object(body)).get())?.clientReference?.count == 200)
    }

    @Test func aNULCharacterAnywhereIsRefusedAtItsField() throws {
        var body = try Self.validBody()
        body["clientContext"] = ["note": "a\u{0}b"]
        #expect(Self.problemFields(.object(body)) == ["clientContext.note"])
    }

    // MARK: null means absent (as MPS's SDK reads it)

    @Test func nullInMPSHooksOwnOptionalMembersMeansAbsent() throws {
        var body = try Self.validBody()
        body["clientReference"] = .null
        body["clientContext"] = .null
        body["inputUrls"] = .null
        let job = try JobRequest.parse(.object(body)).get().makeJob()
        #expect(job.clientReference == nil)
        #expect(job.clientContext == nil)
        #expect(job.steps[0].inputURLs == ["https://media.example.com/a.mp4", "https://media.example.com/b.mp4?sig=abc"])
    }

    @Test func nullInOptionalRequestFieldsMeansAbsentAndIsNotStored() throws {
        var body = try Self.validBody()
        var request = try Self.request(body)
        let expected = try Self.stored(try JobRequest.parse(.object(body)).get().makeJob())
        request["OutputDir"] = .null
        request["ResourceId"] = .null
        request["SkipMateData"] = .null
        request["TaskMode"] = .null
        request["SessionContext"] = .null
        request["TaskNotifyConfig"] = ["NotifyMode": "Change", "NotifyType": .null, "NotifyUrl": .null, "NotifyKey": .null]
        request["SmartSubtitlesTask"] = [
            "Definition": 0, "UserExtPara": .null, "OutputObjectPath": .null,
            "RawParameter": ["SubtitleType": 0, "VideoSrcLanguage": "en", "SubtitleFormat": "vtt", "ExtInfo": .null, "AsrHotWordsConfigure": .null],
        ]
        body["request"] = .object(request)
        let parsed = try JobRequest.parse(.object(body)).get()
        #expect(!parsed.storedRequest.contains("null"))
        var withoutOutputDir = expected
        withoutOutputDir["OutputDir"] = nil
        #expect(try Self.stored(parsed.makeJob()) == withoutOutputDir)
    }

    @Test func aNullTaskNotifyConfigMeansAbsent() throws {
        var body = try Self.validBody()
        var request = try Self.request(body)
        request["TaskNotifyConfig"] = .null
        body["request"] = .object(request)
        let stored = try Self.stored(try JobRequest.parse(.object(body)).get().makeJob())
        #expect(stored["TaskNotifyConfig"] == nil || stored["TaskNotifyConfig"] == [:])
    }

    @Test func nullInARequiredFieldIsRefusedAtThatField() throws {
        var body = try Self.validBody()
        body["request"] = .null
        #expect(Self.problemFields(.object(body)) == ["request"])

        body = try Self.validBody()
        var request = try Self.request(body)
        request["SmartSubtitlesTask"] = .null
        body["request"] = .object(request)
        #expect(Self.problemFields(.object(body)) == ["request.SmartSubtitlesTask"])

        request = try Self.request(try Self.validBody())
        request["InputInfo"] = .null
        body["request"] = .object(request)
        #expect(Self.problemFields(.object(body)) == ["request.InputInfo"])

        request = try Self.request(try Self.validBody())
        request["SmartSubtitlesTask"] = ["Definition": 0, "RawParameter": ["SubtitleType": .null, "VideoSrcLanguage": "en"]]
        body["request"] = .object(request)
        #expect(Self.problemFields(.object(body)) == ["request.SmartSubtitlesTask.RawParameter.SubtitleType"])
    }

    @Test func nullInputUrlsBesideInputInfoIsNoConflict() throws {
        var body = try Self.validBody()
        body["inputUrls"] = .null
        #expect(throws: Never.self) { try JobRequest.parse(.object(body)).get() }
    }

    // MARK: Definition and RawParameter

    @Test func definitionZeroWithoutRawParameterIsRefusedAtDefinition() throws {
        var body = try Self.validBody()
        var request = try Self.request(body)
        request["SmartSubtitlesTask"] = ["Definition": 0]
        body["request"] = .object(request)
        let problems: [ValidationProblem]
        switch JobRequest.parse(.object(body)) {
        case .success: Issue.record("accepted"); return
        case .failure(let found): problems = Array(found)
        }
        #expect(problems.map(\.field) == ["request.SmartSubtitlesTask.Definition"])
        #expect(problems.first?.errorCode == "InvalidParameterValue.Definition")
    }
}
