import Correlation
import Foundation
import API
import MPS
import Postgres
import Store
import Testing
import Workflows

/// `JobBody` and `WorkflowJobRequest`: a workflow job's body, its checks against the workflow,
/// and the first steps it becomes.
@Suite struct WorkflowJobRequestTests {
    /// Two first steps (one fanning out per language) and one follow-up.
    static let definitionText = """
        name: subtitles
        version: 3
        params:
          source: en
          languages: [ja, ko]
          priority: 0
          hotwords: false
        steps:
          transcribe:
            request:
              OutputStorage: {Type: COS, CosOutputStorage: {Bucket: b-1250000000, Region: ap-guangzhou}}
              OutputDir: "/subtitles/{job}/{step}/"
              TasksPriority: "{priority}"
              SmartSubtitlesTask:
                Definition: 0
                RawParameter: {SubtitleType: 0, VideoSrcLanguage: "{source}", SubtitleFormat: vtt}
          direct:
            forEach: {lang: "{languages}"}
            delay: 5s
            request:
              OutputStorage: {Type: COS, CosOutputStorage: {Bucket: b-1250000000, Region: ap-guangzhou}}
              OutputDir: "/subtitles/{job}/{step}/{lang}/"
              SmartSubtitlesTask:
                Definition: 0
                RawParameter: {SubtitleType: 1, VideoSrcLanguage: "{source}", SubtitleFormat: srt, TranslateSwitch: ON, TranslateDstLanguage: "{lang}"}
          polish:
            needs: transcribe
            inputs: succeeded(transcribe)
            request:
              OutputStorage: {Type: COS, CosOutputStorage: {Bucket: b-1250000000, Region: ap-guangzhou}}
              OutputDir: "/subtitles/{job}/{step}/"
              SmartSubtitlesTask:
                Definition: 0
                RawParameter: {SubtitleType: 0, VideoSrcLanguage: "{source}", SubtitleFormat: srt}
        """

    static func definition() throws -> WorkflowDefinition {
        try WorkflowDefinition.parse(definitionText, file: "subtitles.yaml").get()
    }

    static func body(_ members: [String: JSONValue]) -> JSONValue {
        var body: [String: JSONValue] = [
            "workflow": "subtitles", "inputUrls": ["https://e.com/a.mp4", "https://e.com/b.mp4"],
        ]
        for (name, value) in members { body[name] = value }
        return .object(body)
    }

    static func workflowRequest(_ members: [String: JSONValue] = [:]) throws -> WorkflowJobRequest {
        guard case .workflow(let request) = try JobBody.parse(body(members)).get() else {
            Issue.record("not read as a workflow job")
            throw CancellationError()
        }
        return request
    }

    static func problems(_ json: JSONValue) -> [ValidationProblem] {
        switch JobBody.parse(json) {
        case .success:
            Issue.record("the body was accepted")
            return []
        case .failure(let problems):
            return Array(problems)
        }
    }

    static func jobProblems(_ request: WorkflowJobRequest) throws -> [ValidationProblem] {
        switch request.makeJob(workflowId: 7, definition: try definition()) {
        case .success:
            Issue.record("the job was accepted")
            return []
        case .failure(let problems):
            return Array(problems)
        }
    }

    static func stored(_ step: NewStep) throws -> [String: JSONValue] {
        try #require(try MPSJSON.decoder.decode(JSONValue.self, from: Data(step.request.text.utf8)).objectValue)
    }

    // MARK: Reading the body

    @Test func aWorkflowBodyIsReadWithEveryMember() throws {
        let request = try Self.workflowRequest([
            "workflowVersion": 3, "params": ["source": "fr"], "clientReference": "order-9", "clientContext": ["b": 1, "a": "x"],
        ])
        #expect(request.workflow == "subtitles")
        #expect(request.workflowVersion == 3)
        #expect(request.inputURLs == ["https://e.com/a.mp4", "https://e.com/b.mp4"])
        #expect(request.params == ["source": "fr"])
        #expect(request.clientReference == "order-9")
        #expect(request.clientContext == #"{"a":"x","b":1}"#)
    }

    @Test func aBodyWithoutWorkflowIsTheOneStepJobAsBefore() throws {
        let url = try #require(Bundle.module.url(forResource: "job", withExtension: "json", subdirectory: "Fixtures"))
        let json = try MPSJSON.decoder.decode(JSONValue.self, from: Data(contentsOf: url))
        #expect(try JobBody.parse(json).get() == .request(try JobRequest.parse(json).get()))
        // Its refusals are unchanged too: the same problems as JobRequest gives.
        let bad: JSONValue = ["inputUrls": ["https://e.com/a.mp4"], "request": [:]]
        #expect(Self.problems(bad).map(\.field) == JobRequestTests.problemFields(bad))
    }

    @Test func workflowAndRequestTogetherAreRefusedAtRequest() {
        let problems = Self.problems(Self.body(["request": ["SmartSubtitlesTask": ["Definition": 0]]]))
        #expect(problems.map(\.field) == ["request"])
        #expect(problems.first?.errorCode == JobBody.conflictingJobKinds)
        #expect(problems.first?.message.contains("not both") == true)
    }

    @Test func aWorkflowBodyNeedsOneInputAtLeastAndAWholePositiveVersion() {
        var body = Self.body(["workflowVersion": 0])
        if case .object(var members) = body {
            members["inputUrls"] = []
            body = .object(members)
        }
        #expect(Self.problems(body).map(\.field) == ["workflowVersion", "inputUrls"])
        #expect(Self.problems(Self.body(["workflowVersion": 1.5])).map(\.field) == ["workflowVersion"])
        #expect(Self.problems(Self.body(["workflowVersion": "2"])).map(\.field) == ["workflowVersion"])
        #expect(Self.problems(["workflow": "subtitles"]).map(\.field) == ["inputUrls"])
    }

    @Test func onlyAWorkflowsMembersMakeAWorkflowBodyAndOthersAreRefusedByName() {
        // workflowVersion alone is a workflow body without its workflow.
        #expect(Self.problems(["workflowVersion": 2, "inputUrls": ["https://e.com/a.mp4"]]).map(\.field) == ["workflow"])
        let problems = Self.problems(Self.body(["param": ["source": "fr"], "workflow": "bad name!"]))
        #expect(problems.map(\.field) == ["param", "workflow"])
        #expect(problems.first?.message.contains("did you mean \"params\"?") == true)
        #expect(Self.problems(Self.body(["params": ["en"]])).map(\.field) == ["params"])
        #expect(Self.problems(Self.body(["inputUrls": ["https://e.com/a.mp4", 3]])).map(\.field) == ["inputUrls[1]"])
    }

    // MARK: The job it becomes

    @Test func theJobIsItsFirstStepsPlannedWithTheirRequestsRenderedAndTheParamsResolved() throws {
        let request = try Self.workflowRequest(["params": ["source": "fr", "languages": ["de"]]])
        let jobId = try #require(UUID(uuidString: "0b7e1f00-0000-4000-8000-000000000001"))
        var correlations = [CorrelationId(), CorrelationId()].makeIterator()
        let job = try request.makeJob(workflowId: 7, definition: try Self.definition(), id: jobId, correlation: { correlations.next() ?? CorrelationId() }).get()

        #expect(job.id == jobId)
        #expect(job.workflowId == 7)
        #expect(job.inputURLs == ["https://e.com/a.mp4", "https://e.com/b.mp4"])
        #expect(job.params == ["source": .string("fr"), "languages": .list(["de"]), "priority": .number(0), "hotwords": .bool(false)])
        // The follow-up (polish) is not created now: its need has not run.
        #expect(job.steps.map(\.name) == ["transcribe", "direct"])
        #expect(job.steps.map(\.item) == [nil, "de"])
        #expect(job.steps.map(\.run) == [1, 1])
        #expect(job.steps.map(\.delaySeconds) == [0, 5])
        #expect(job.steps.allSatisfy { $0.jobInputIndexes == [0, 1] && $0.inputURLs == job.inputURLs })
        #expect(Set(job.steps.map(\.correlationId)).count == 2)
        #expect(job.steps.allSatisfy { $0.sessionContext == CorrelationId($0.correlationId).sessionContext })

        let transcribe = try Self.stored(job.steps[0])
        #expect(transcribe["OutputDir"] == "/subtitles/0b7e1f00-0000-4000-8000-000000000001/transcribe/")
        #expect(transcribe["TasksPriority"] == 0)
        #expect(transcribe["SmartSubtitlesTask"]?["RawParameter"]?["VideoSrcLanguage"] == "fr")
        #expect(transcribe["InputInfo"] == [
            ["Type": "URL", "UrlInputInfo": ["Url": "https://e.com/a.mp4"]], ["Type": "URL", "UrlInputInfo": ["Url": "https://e.com/b.mp4"]],
        ])
        #expect(transcribe["SessionContext"] == nil)
        let direct = try Self.stored(job.steps[1])
        #expect(direct["OutputDir"] == "/subtitles/0b7e1f00-0000-4000-8000-000000000001/direct/de/")
        #expect(direct["SmartSubtitlesTask"]?["RawParameter"]?["TranslateDstLanguage"] == "de")
    }

    @Test func aParameterTheWorkflowDoesNotDeclareOrOfAnotherKindIsRefusedAtItsName() throws {
        let problems = try Self.jobProblems(Self.workflowRequest(["params": ["sorce": "fr", "priority": "high", "languages": "ja"]]))
        #expect(problems.map(\.field) == ["params.languages", "params.priority", "params.sorce"])
        #expect(problems.map(\.errorCode) == ["InvalidParameterValue", "InvalidParameterValue", "UnknownParameter"])
        #expect(problems[2].message.contains("did you mean \"source\"?"))
        #expect(problems[0].message.contains("a list of strings"))
    }

    @Test func aParameterThatMakesAStepsRequestInvalidIsRefusedNamingTheStepAndField() throws {
        let problems = try Self.jobProblems(Self.workflowRequest(["params": ["source": "klingon"]]))
        #expect(!problems.isEmpty)
        #expect(problems.allSatisfy { $0.field == "params" })
        #expect(problems.contains { $0.message.contains("step \"transcribe\"") && $0.message.contains("VideoSrcLanguage") })
        let empty = try Self.jobProblems(Self.workflowRequest(["params": ["languages": []]]))
        #expect(empty.map(\.field) == ["params"])
        #expect(empty.first?.message.contains("step \"direct\"") == true)
    }

    @Test func anInputURLMPSWouldRefuseIsRefusedAtItsPlaceInTheJob() throws {
        let problems = try Self.jobProblems(Self.workflowRequest(["inputUrls": ["https://e.com/a.mp4", "ftp://e.com/b.mp4"]]))
        #expect(Set(problems.map(\.field)) == ["inputUrls[1]"])
    }

    // MARK: Command-line parameter values

    @Test func aCommandLineValueIsReadAsTheKindOfItsDefault() {
        #expect(WorkflowJobRequest.parameterValue("ja/ko,zh", default: .string("en")) == "ja/ko,zh")
        #expect(WorkflowJobRequest.parameterValue("42", default: .string("en")) == "42")
        #expect(WorkflowJobRequest.parameterValue(" 5 ", default: .number(0)) == 5)
        #expect(WorkflowJobRequest.parameterValue("TRUE", default: .bool(false)) == true)
        #expect(WorkflowJobRequest.parameterValue(#"["ja","ko"]"#, default: .list([])) == ["ja", "ko"])
        #expect(WorkflowJobRequest.parameterValue("ja, ko", default: .list([])) == ["ja", "ko"])
        #expect(WorkflowJobRequest.parameterValue("", default: .list(["ja"])) == [])
        // Not of the kind, or not declared: the text, for the job's checks to refuse by name.
        #expect(WorkflowJobRequest.parameterValue("many", default: .number(0)) == "many")
        #expect(WorkflowJobRequest.parameterValue("3", default: nil) == "3")
    }
}
