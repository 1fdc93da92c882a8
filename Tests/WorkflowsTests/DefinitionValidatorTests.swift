import Foundation
import MPS
import Testing
import Workflows

/// Each refusal of a bad definition, read from a fixture file: the problem names the file, the
/// step and the field, and a definition with problems never parses.
@Suite struct DefinitionValidatorTests {
    /// The problems `Fixtures/<file>` is refused with (failing the test when it parses).
    static func problems(_ file: String) throws -> [DefinitionProblem] {
        let url = try #require(Bundle.module.url(forResource: file, withExtension: nil, subdirectory: "Fixtures"))
        let text = try String(contentsOf: url, encoding: .utf8)
        switch WorkflowDefinition.parse(text, file: file) {
        case .success:
            Issue.record("\(file) parsed")
            return []
        case .failure(let problems):
            #expect(problems.allSatisfy { $0.file == file })
            return problems.problems
        }
    }

    /// The one problem at `step`/`field` (recording an issue when there is not exactly one).
    static func problem(in problems: [DefinitionProblem], step: String?, field: String) throws -> DefinitionProblem {
        let found = problems.filter { $0.step == step && $0.field == field }
        #expect(found.count == 1, "at \(step ?? "-") \(field) in \(problems)")
        return try #require(found.first)
    }

    @Test func unknownFieldIsNamedWithItsNearMiss() throws {
        let problems = try Self.problems("unknown-field.yaml")
        #expect(problems.count == 2)
        let condition = try Self.problem(in: problems, step: "translate", field: "when.any.langauge")
        #expect(condition.message == "unknown field; did you mean \"language\"?")
        #expect(condition.description == "unknown-field.yaml: step \"translate\": when.any.langauge: unknown field; did you mean \"language\"?")
        let step = try Self.problem(in: problems, step: "translate", field: "dealy")
        #expect(step.message.contains("did you mean \"delay\"?"))
    }

    @Test func referenceToAMissingStep() throws {
        let problems = try Self.problems("missing-step.yaml")
        #expect(problems.count == 3)
        #expect(try Self.problem(in: problems, step: "translate", field: "needs[0]").message == "names no step: \"transcibe\"; did you mean \"transcribe\"?")
        #expect(try Self.problem(in: problems, step: "translate", field: "when.any.of[0]").message.hasPrefix("names no step: \"translation\""))
        #expect(try Self.problem(in: problems, step: "translate", field: "inputs").message.contains("\"transcrbe\""))
    }

    @Test func readingAStepThatIsNotANeed() throws {
        let problems = try Self.problems("not-upstream.yaml")
        #expect(problems.count == 1)
        #expect(try Self.problem(in: problems, step: "publish", field: "inputs").message.hasPrefix("reads step \"transcribe\", which is not among its needs"))
    }

    @Test func cycleNamesEveryStepInIt() throws {
        let problems = try Self.problems("cycle.yaml")
        #expect(problems.count == 1)
        let cycle = try Self.problem(in: problems, step: "a", field: "needs")
        #expect(cycle.message.hasPrefix("forms a cycle: \"a\" → \"c\" → \"b\" → \"a\""))
    }

    @Test func conditionWithABadValueOrAnUnknownKind() throws {
        let problems = try Self.problems("bad-condition-value.yaml")
        #expect(problems.count == 2)
        #expect(try Self.problem(in: problems, step: "retry", field: "when.anyOf[0].all.status").message.contains("got \"DONE\""))
        #expect(try Self.problem(in: problems, step: "retry", field: "when.anyOf[1].sometimes").message.hasPrefix("unknown field"))
    }

    @Test func conditionOnAStepWithoutNeeds() throws {
        let problems = try Self.problems("when-without-needs.yaml")
        #expect(problems.count == 1)
        _ = try Self.problem(in: problems, step: "transcribe", field: "when")
    }

    @Test func badFanOuts() throws {
        let problems = try Self.problems("bad-foreach.yaml")
        #expect(problems.count == 5)
        #expect(try Self.problem(in: problems, step: "shadows", field: "forEach.source").message.contains("shadows the parameter source"))
        #expect(try Self.problem(in: problems, step: "builtin", field: "forEach.step").message.contains("built-in placeholder {step}"))
        #expect(try Self.problem(in: problems, step: "not-a-list", field: "forEach.lang").message.contains("must name a list parameter"))
        #expect(try Self.problem(in: problems, step: "missing", field: "forEach.lang").message.contains("names no parameter"))
        #expect(try Self.problem(in: problems, step: "empty", field: "forEach.lang").message.contains("empty list"))
    }

    @Test func delayAndMaxRunsOutOfRange() throws {
        let problems = try Self.problems("out-of-range.yaml")
        #expect(problems.count == 2)
        #expect(try Self.problem(in: problems, step: "retry", field: "delay").message.contains("got 90000"))
        #expect(try Self.problem(in: problems, step: "retry", field: "maxRuns").message.contains("got 11"))
    }

    @Test func badNames() throws {
        let problems = try Self.problems("bad-names.yaml")
        #expect(problems.count == 4)
        _ = try Self.problem(in: problems, step: nil, field: "name")
        _ = try Self.problem(in: problems, step: nil, field: "params.my-param")
        #expect(try Self.problem(in: problems, step: nil, field: "params.job").message.contains("built-in"))
        _ = try Self.problem(in: problems, step: "trans cribe", field: "name")
    }

    @Test func duplicateStepNamesInTheListForm() throws {
        let problems = try Self.problems("duplicate-step-in-list.json")
        #expect(problems.count == 1)
        #expect(try Self.problem(in: problems, step: "transcribe", field: "name").message.contains("earlier step"))
    }

    @Test func duplicateKeyIsRefusedWithItsLine() throws {
        let problems = try Self.problems("duplicate-key.yaml")
        #expect(problems.count == 1)
        #expect(try Self.problem(in: problems, step: nil, field: "").message.hasPrefix("duplicate key \"transcribe\" (first at line 3)"))
    }

    @Test func fieldsMpshookSetsItself() throws {
        let problems = try Self.problems("owned-fields.yaml")
        #expect(problems.count == 5)
        for field in ["InputInfo", "SessionContext", "TaskNotifyConfig.NotifyUrl", "TaskNotifyConfig.QueueName", "TaskNotifyConfig.NotifyType"] {
            _ = try Self.problem(in: problems, step: "transcribe", field: "request." + field)
        }
    }

    @Test func missingSmartSubtitlesTask() throws {
        let problems = try Self.problems("missing-smart-subtitles.yaml")
        #expect(problems.count == 1)
        _ = try Self.problem(in: problems, step: "transcribe", field: "request.SmartSubtitlesTask")
    }

    @Test func unknownPlaceholders() throws {
        let problems = try Self.problems("unknown-placeholder.yaml")
        // Both placeholders in OutputDir are named, and nothing more (the template cannot render).
        #expect(problems.count == 3)
        let outputDir = problems.filter { $0.step == "transcribe" && $0.field == "request.OutputDir" }
        #expect(outputDir.map(\.message).contains { $0.hasPrefix("{jobs} names no parameter") && $0.hasSuffix("did you mean \"job\"?") })
        #expect(outputDir.map(\.message).contains { $0.hasPrefix("{lang} names no parameter") })
        #expect(try Self.problem(in: problems, step: "transcribe", field: "request.SmartSubtitlesTask.RawParameter.VideoSrcLanguage").message.contains("did you mean \"source\"?"))
    }

    @Test func renderedRequestMPSWouldRefuse() throws {
        let problems = try Self.problems("invalid-rendered.yaml")
        #expect(problems.count == 5)
        #expect(try Self.problem(in: problems, step: "transcribe", field: "request.SkipMetaData").message.contains("did you mean \"SkipMateData\"?"))
        _ = try Self.problem(in: problems, step: "transcribe", field: "request.OutputDir")
        // The default parameter value is what is wrong.
        #expect(try Self.problem(in: problems, step: "transcribe", field: "request.SmartSubtitlesTask.RawParameter.VideoSrcLanguage").message.contains("\"xx\""))
        // A plain `yes` is a string (not a YAML 1.1 boolean), and not one MPS takes.
        #expect(try Self.problem(in: problems, step: "transcribe", field: "request.SmartSubtitlesTask.RawParameter.AsrHotWordsConfigure.Switch").message.contains("got \"yes\""))
        // The list parameter renders as "ja/ko": two languages need vtt or srt.
        _ = try Self.problem(in: problems, step: "translate", field: "request.SmartSubtitlesTask.RawParameter.SubtitleFormat")
    }

    @Test func renderedProblemNamesTheFanOutValueItDependsOn() throws {
        let problems = try Self.problems("invalid-fanout-value.yaml")
        #expect(problems.count == 2)
        let language = try Self.problem(in: problems, step: "translate", field: "request.SmartSubtitlesTask.RawParameter.TranslateDstLanguage")
        #expect(language.message.hasSuffix("(when lang is \"xx\")"))
        // The same for every value: said once, without naming one.
        let priority = try Self.problem(in: problems, step: "translate", field: "request.TasksPriority")
        #expect(!priority.message.contains("when lang is"))
    }

    @Test func definitionBuiltInCodeIsCheckedToo() {
        let request: [String: JSONValue] = [
            "OutputStorage": ["Type": "COS", "CosOutputStorage": ["Bucket": "subtitles-1250000000", "Region": "ap-guangzhou"]],
            "SmartSubtitlesTask": ["RawParameter": ["SubtitleType": 0, "VideoSrcLanguage": "en"]],
        ]
        let good = WorkflowDefinition(name: "coded", steps: [StepTemplate(name: "main", request: request)])
        #expect(good.validate(file: "coded").isEmpty)

        let bad = WorkflowDefinition(
            name: "coded",
            steps: [
                StepTemplate(name: "main", request: request),
                StepTemplate(
                    name: "next", needs: ["main"], when: .allOf([]), inputs: .from(step: "main", matching: OutputMatch(state: .waiting)),
                    maxRuns: 0, request: request
                ),
            ]
        )
        let problems = bad.validate(file: "coded")
        #expect(Set(problems.map(\.field)) == ["when.allOf", "inputs.where.status", "maxRuns"])
        #expect(problems.allSatisfy { $0.file == "coded" && $0.step == "next" })
    }
}
