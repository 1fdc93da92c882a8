import Foundation
import MPS
import Testing
import Workflows

/// A job's parameters against its workflow: overrides checked and merged, and every step
/// rendered with the job's values so a job MPS would refuse is refused when it is created.
@Suite struct DefinitionParamsTests {
    static func example(_ name: String) throws -> WorkflowDefinition {
        try DefinitionExamplesTests.example(name)
    }

    @Test func overridesMergeOverTheDefaults() throws {
        let definition = try Self.example("transcribe-then-translate")
        let resolved = try definition.resolve(params: ["languages": ["en", "zh"], "source": "ja"]).get()
        #expect(resolved["languages"] == .list(["en", "zh"]))
        #expect(resolved["source"] == .string("ja"))
        #expect(resolved["lexicon"] == definition.params["lexicon"])
    }

    @Test func unknownParameterAndWrongTypeAreRefused() throws {
        let definition = try Self.example("transcribe-then-translate")
        guard case .failure(let problems) = definition.resolve(params: ["langauges": ["ja"], "source": 3, "lexicon": ["a", 1]]) else {
            Issue.record("resolved")
            return
        }
        #expect(problems.map(\.field) == ["params.langauges", "params.lexicon", "params.source"])
        #expect(problems[0].message.hasSuffix("did you mean \"languages\"?"))
        #expect(problems[1].message == "must be a string, like its default")
        #expect(problems[0].file == "workflow transcribe-then-translate version 1")
    }

    @Test func defaultsMakeAValidJob() throws {
        for name in DefinitionExamplesTests.names {
            let definition = try Self.example(name)
            #expect(definition.validateJob(params: definition.params, inputCount: 3).isEmpty, "\(name)")
        }
    }

    @Test func jobValuesMPSWouldRefuseAreNamedByStepAndField() throws {
        let single = try Self.example("transcribe-then-translate")
        let params = try single.resolve(params: ["languages": ["ja", "xx"]]).get()
        let problems = single.validateJob(params: params, inputCount: 1)
        #expect(problems.count == 1)
        #expect(problems.first?.step == "translate")
        #expect(problems.first?.field == "request.SmartSubtitlesTask.RawParameter.TranslateDstLanguage")

        let fanOut = try Self.example("transcribe-then-translate-fanout")
        let fanOutProblems = fanOut.validateJob(params: try fanOut.resolve(params: ["languages": ["ja", "xx"]]).get(), inputCount: 1)
        #expect(fanOutProblems.count == 1)
        #expect(fanOutProblems.first?.message.hasSuffix("(when lang is \"xx\")") == true)
    }

    @Test func anEmptyFanOutOrNoInputIsRefused() throws {
        let fanOut = try Self.example("transcribe-then-translate-fanout")
        let problems = fanOut.validateJob(params: try fanOut.resolve(params: ["languages": []]).get(), inputCount: 0)
        #expect(Set(problems.map(\.field)) == ["inputs", "forEach.lang"])
        #expect(problems.first { $0.field == "forEach.lang" }?.step == "translate")
    }
}
