import Foundation
import MPS
import Testing
import TestSupport
@testable import Workflows

/// The planner decides every follow-up: these tests build graphs by hand (as the store would read
/// them) and check what it plans, that planning the same graph again plans nothing, and how jobs end.
@Suite struct PlannerTests {
    static let jobId = UUID(uuidString: "7F0C0000-0000-4000-8000-000000000001")!
    static let inputs = PlannerFixtures.inputs

    /// A finished run of `name` whose outputs end as `states` (one per job input, in order unless `indexes`).
    static func run(
        _ name: String, _ states: [OutputState], indexes: [Int]? = nil, item: String? = nil, run: Int = 1,
        state: StepState? = nil, parents: [UUID] = []
    ) -> StepRun {
        let indexes = indexes ?? Array(states.indices)
        let outputs = zip(indexes, states).enumerated().map { index, pair in
            OutputRecord(inputIndex: index, jobInputIndex: pair.0, inputURL: inputs[pair.0], state: pair.1, progress: pair.1.isFinal ? 100 : 0)
        }
        let final = state ?? StepOutcome(outputs: states)?.state ?? .submitted
        return StepRun(id: UUID(), name: name, item: item, run: run, state: final, parents: parents, outputs: outputs)
    }

    static func graph(_ definition: WorkflowDefinition, _ runs: [StepRun], inputs: [String] = inputs) -> JobGraph {
        JobGraph(jobId: jobId, definition: definition, inputURLs: inputs, runs: runs)
    }

    @Test func aNewJobPlansOnlyItsRootStepsOverEveryInput() throws {
        let plan = Planner.plan(Self.graph(PlannerFixtures.transcribeThenTranslate, []))
        #expect(plan.finished == nil)
        let step = try #require(plan.steps.first)
        #expect(plan.steps.count == 1)
        #expect(step.name == "transcribe" && step.run == 1 && step.item == nil && step.parents.isEmpty && step.refusal == nil)
        #expect(step.inputs.map(\.url) == Self.inputs)
        #expect(step.request["OutputDir"] == .string("/subtitles/7f0c0000-0000-4000-8000-000000000001/transcribe/"))
        #expect(step.request["InputInfo"]?.arrayValue?.count == 3)
        #expect(step.request["SmartSubtitlesTask"]?["RawParameter"]?["VideoSrcLanguage"] == "en")
    }

    @Test func aFinishedStepFansOutOverTheInputsThatSucceededOnlyOnce() throws {
        let transcribe = Self.run("transcribe", [.success, .fail, .success])
        let plan = Planner.plan(Self.graph(PlannerFixtures.transcribeThenTranslate, [transcribe]))
        #expect(plan.finished == nil)
        #expect(plan.steps.map(\.item) == ["ja", "ko"])
        for step in plan.steps {
            #expect(step.name == "translate" && step.parents == [transcribe.id])
            #expect(step.inputs.map(\.jobInputIndex) == [0, 2])
            #expect(step.request["OutputDir"] == .string("/subtitles/7f0c0000-0000-4000-8000-000000000001/translate/\(step.item ?? "")/"))
            #expect(step.request["SmartSubtitlesTask"]?["RawParameter"]?["TranslateDstLanguage"] == .string(step.item ?? ""))
        }
        // The same graph with the planned steps in it plans nothing more: exactly once.
        let created = plan.steps.map { StepRun(id: $0.id, name: $0.name, item: $0.item, state: .pending, parents: $0.parents, outputs: []) }
        let again = Planner.plan(Self.graph(PlannerFixtures.transcribeThenTranslate, [transcribe] + created))
        #expect(again.steps.isEmpty && again.finished == nil)
    }

    @Test func aRunningStepPlansNothingAndKeepsTheJobOpen() {
        for state in [StepState.pending, .submitting, .submitted, .submitUnknown, .lost] {
            let transcribe = Self.run("transcribe", [.processing, .waiting, .processing], state: state)
            let plan = Planner.plan(Self.graph(PlannerFixtures.transcribeThenTranslate, [transcribe]))
            #expect(plan.steps.isEmpty && plan.finished == nil, "state \(state)")
        }
    }

    @Test func aConditionThatDoesNotHoldSkipsTheStepAndTheJobEnds() {
        let transcribe = Self.run("transcribe", [.fail, .fail, .fail])
        let plan = Planner.plan(Self.graph(PlannerFixtures.transcribeThenTranslate, [transcribe]))
        #expect(plan.steps.isEmpty)
        #expect(plan.finished == .failed)
    }

    @Test func theJobEndsByItsInputsOnceEveryStepIsSettled() {
        let transcribe = Self.run("transcribe", [.success, .fail, .success])
        let translations = ["ja", "ko"].map { Self.run("translate", [.success, .success], indexes: [0, 2], item: $0, parents: [transcribe.id]) }
        #expect(Planner.plan(Self.graph(PlannerFixtures.transcribeThenTranslate, [transcribe] + translations)).finished == .partiallyFailed)

        let allGood = Self.run("transcribe", [.success, .success, .success])
        let translated = ["ja", "ko"].map { Self.run("translate", [.success, .success, .success], item: $0, parents: [allGood.id]) }
        #expect(Planner.plan(Self.graph(PlannerFixtures.transcribeThenTranslate, [allGood] + translated)).finished == .succeeded)

        // One language still running: not finished.
        let running = Self.run("translate", [.processing, .waiting, .waiting], item: "ko", parents: [allGood.id])
        #expect(Planner.plan(Self.graph(PlannerFixtures.transcribeThenTranslate, [allGood, translated[0], running])).finished == nil)
    }

    static let retryFailed = WorkflowDefinition(
        name: "retry-failed", params: ["source": .string("en")],
        steps: [
            StepTemplate(name: "transcribe", request: PlannerFixtures.request()),
            StepTemplate(
                name: "retry", needs: ["transcribe"], when: .any(OutputMatch(state: .fail), of: nil),
                inputs: .failed("transcribe"), delaySeconds: 30, maxRuns: 2, request: PlannerFixtures.request(language: "auto")
            ),
        ]
    )

    @Test func failedInputsAreRetriedWithOtherParametersAfterTheDelayAtMostMaxRunsTimes() throws {
        let transcribe = Self.run("transcribe", [.success, .fail, .fail])
        let first = try #require(Planner.plan(Self.graph(Self.retryFailed, [transcribe])).steps.first)
        #expect(first.name == "retry" && first.run == 1 && first.delaySeconds == 30 && first.parents == [transcribe.id])
        #expect(first.inputs.map(\.jobInputIndex) == [1, 2])
        #expect(first.request["SmartSubtitlesTask"]?["RawParameter"]?["VideoSrcLanguage"] == "auto")

        // Run 1 recovers input 1 only: run 2 covers input 2 alone, never the inputs that succeeded.
        let retry1 = Self.run("retry", [.success, .fail], indexes: [1, 2], parents: [transcribe.id])
        let second = try #require(Planner.plan(Self.graph(Self.retryFailed, [transcribe, retry1])).steps.first)
        #expect(second.run == 2 && second.parents == [retry1.id] && second.inputs.map(\.jobInputIndex) == [2])

        // Run 2 fails again: the runs are used up, the job ends partially failed.
        let retry2Fail = Self.run("retry", [.fail], indexes: [2], run: 2, parents: [retry1.id])
        let exhausted = Planner.plan(Self.graph(Self.retryFailed, [transcribe, retry1, retry2Fail]))
        #expect(exhausted.steps.isEmpty && exhausted.finished == .partiallyFailed)

        // Run 2 succeeds: every failure is recovered by a descendant run, the job succeeded.
        let retry2Good = Self.run("retry", [.success], indexes: [2], run: 2, parents: [retry1.id])
        #expect(Planner.plan(Self.graph(Self.retryFailed, [transcribe, retry1, retry2Good])).finished == .succeeded)
    }

    static let branching = WorkflowDefinition(
        name: "branch", params: ["source": .string("en")],
        steps: [
            StepTemplate(name: "transcribe", request: PlannerFixtures.request()),
            StepTemplate(name: "translate", needs: ["transcribe"], when: .all(OutputMatch(state: .success), of: nil), request: PlannerFixtures.request(translate: "ja")),
            StepTemplate(
                name: "retry-auto", needs: ["transcribe"],
                when: .allOf([.any(OutputMatch(state: .fail), of: nil), .any(OutputMatch(state: .success), of: nil)]),
                inputs: .failed("transcribe"), request: PlannerFixtures.request(language: "auto")
            ),
            StepTemplate(name: "rerun-all", needs: ["transcribe"], when: .all(OutputMatch(state: .fail), of: nil), request: PlannerFixtures.request(language: "auto")),
            StepTemplate(
                name: "source-errors", needs: ["transcribe"], when: .any(OutputMatch(errorCode: "SourceFileError"), of: ["transcribe"]),
                inputs: .from(step: "transcribe", matching: OutputMatch(errorCode: "SourceFileError")), request: PlannerFixtures.request(language: "auto")
            ),
        ]
    )

    @Test(arguments: [
        ([OutputState.success, .success, .success], ["translate"]),
        ([.success, .fail, .success], ["retry-auto"]),
        ([.fail, .fail, .fail], ["rerun-all"]),
    ])
    func branchesFollowTheResults(_ states: [OutputState], _ expected: [String]) {
        let plan = Planner.plan(Self.graph(Self.branching, [Self.run("transcribe", states)]))
        #expect(plan.steps.map(\.name) == expected)
    }

    @Test func aConditionReadsTheErrorCode() {
        var transcribe = Self.run("transcribe", [.success, .fail, .fail])
        transcribe.outputs[2].errorCode = "SourceFileError"
        let plan = Planner.plan(Self.graph(Self.branching, [transcribe]))
        #expect(plan.steps.map(\.name).sorted() == ["retry-auto", "source-errors"])
        #expect(plan.steps.first { $0.name == "source-errors" }?.inputs.map(\.jobInputIndex) == [2])
    }

    @Test func aConditionReadsTheLanguage() {
        let japanese = WorkflowDefinition(
            name: "by-language", params: ["source": .string("en")],
            steps: [
                StepTemplate(name: "transcribe", request: PlannerFixtures.request(language: "auto")),
                StepTemplate(
                    name: "japanese", needs: ["transcribe"], when: .any(OutputMatch(language: "ja"), of: nil),
                    inputs: .from(step: "transcribe", matching: OutputMatch(language: "ja")), request: PlannerFixtures.request(language: "ja", translate: "en")
                ),
            ]
        )
        var transcribe = Self.run("transcribe", [.success, .success, .success])
        transcribe.outputs[1].files = [SubtitleFile(kind: .recognition, language: "ja", path: "/b.vtt")]
        let plan = Planner.plan(Self.graph(japanese, [transcribe]))
        #expect(plan.steps.map(\.name) == ["japanese"])
        #expect(plan.steps.first?.inputs.map(\.jobInputIndex) == [1])
    }

    @Test func aFanInWaitsForEveryStepItNeeds() throws {
        let start = Planner.plan(Self.graph(PlannerFixtures.fanIn, []))
        #expect(start.steps.map(\.name) == ["vtt", "srt"])

        let vtt = Self.run("vtt", [.success, .success, .fail])
        let srtRunning = Self.run("srt", [.processing, .processing, .processing])
        #expect(Planner.plan(Self.graph(PlannerFixtures.fanIn, [vtt, srtRunning])).steps.isEmpty)

        let srt = Self.run("srt", [.success, .success, .success])
        let both = try #require(Planner.plan(Self.graph(PlannerFixtures.fanIn, [vtt, srt])).steps.first)
        #expect(both.name == "both" && Set(both.parents) == [vtt.id, srt.id] && both.inputs.map(\.jobInputIndex) == [0, 1])
    }

    @Test func aTemplateThatRendersAnInvalidRequestIsPlannedRefusedAndPlanningGoesOn() throws {
        let definition = WorkflowDefinition(
            name: "refused", params: ["source": .string("en"), "languages": .list(["xx-not-a-language"])],
            steps: [
                StepTemplate(name: "translate", request: PlannerFixtures.request(translate: "{languages}")),
                StepTemplate(name: "fallback", needs: ["translate"], when: .all(OutputMatch(state: .fail), of: nil), inputs: .failed("translate"), request: PlannerFixtures.request()),
            ]
        )
        let plan = Planner.plan(Self.graph(definition, []))
        let refused = try #require(plan.steps.first)
        #expect(refused.name == "translate" && refused.refusal?.contains("TranslateDstLanguage") == true)
        // The refusal counts as a failed run: the branch on failure is planned in the same call.
        #expect(plan.steps.map(\.name) == ["translate", "fallback"])
        #expect(plan.steps.last?.parents == [refused.id])
    }

    @Test func aJobWithABareRequestIsAOneStepWorkflow() {
        let single = WorkflowDefinition.single(request: [:])
        #expect(Planner.plan(Self.graph(single, [Self.run("main", [.success, .success])])).finished == .succeeded)
        #expect(Planner.plan(Self.graph(single, [Self.run("main", [.success, .fail])])).finished == .partiallyFailed)
        #expect(Planner.plan(Self.graph(single, [Self.run("main", [.fail, .fail])])).finished == .failed)
        let plan = Planner.plan(Self.graph(single, [Self.run("main", [.success, .processing])]))
        #expect(plan.finished == nil && plan.steps.isEmpty)
    }
}
