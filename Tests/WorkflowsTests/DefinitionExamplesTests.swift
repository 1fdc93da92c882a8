import Foundation
import MPS
import Testing
import Workflows

/// The example workflows shipped under `workflows/` at the repository root: each parses,
/// validates, and reads back from its canonical form to an equal definition.
@Suite struct DefinitionExamplesTests {
    /// `workflows/` beside `Tests/`, found from this file's path (the examples are not test resources).
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("workflows")

    static let names = [
        "transcribe-then-translate", "transcribe-then-translate-fanout", "retry-failed", "branch-on-results", "fan-in",
    ]

    static func example(_ name: String) throws -> WorkflowDefinition {
        let text = try String(contentsOf: folder.appendingPathComponent(name + ".yaml"), encoding: .utf8)
        let result = WorkflowDefinition.parse(text, file: name + ".yaml")
        if case .failure(let problems) = result { Issue.record("\(problems)") }
        return try result.get()
    }

    @Test func theFolderHoldsExactlyTheExamples() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).filter { $0.hasSuffix(".yaml") }
        #expect(Set(files) == Set(Self.names.map { $0 + ".yaml" }))
    }

    @Test(arguments: names) func parsesAndValidates(_ name: String) throws {
        let definition = try Self.example(name)
        #expect(definition.name == name)
        #expect(definition.validate(file: name).isEmpty)
    }

    @Test(arguments: names) func canonicalFormReadsBackEqual(_ name: String) throws {
        let definition = try Self.example(name)
        let again = try WorkflowDefinition.parse(definition.canonicalJSON, file: name + ".json").get()
        #expect(again == definition)
        #expect(again.canonicalJSON == definition.canonicalJSON)
        #expect(again.contentHash == definition.contentHash)
    }

    @Test func stepsKeepTheirOrderAndTheirShape() throws {
        let single = try Self.example("transcribe-then-translate")
        #expect(single.steps.map(\.name) == ["transcribe", "translate"])
        let translate = try #require(single.step("translate"))
        #expect(translate.needs == ["transcribe"])
        #expect(translate.when == .any(OutputMatch(state: .success), of: nil))
        #expect(translate.inputs == .succeeded("transcribe"))
        let raw = translate.request["SmartSubtitlesTask"]?["RawParameter"]
        #expect(raw?["TranslateSwitch"] == "ON")
        #expect(raw?["TranslateDstLanguage"] == "{languages}")
        #expect(single.params["languages"] == .list(["ja", "ko"]))
        // Plain `ON` is the string MPS wants, not a YAML 1.1 boolean.
        let hotWords = single.step("transcribe")?.request["SmartSubtitlesTask"]?["RawParameter"]?["AsrHotWordsConfigure"]
        #expect(hotWords?["Switch"] == "ON")

        let fanOut = try Self.example("transcribe-then-translate-fanout")
        #expect(fanOut.step("translate")?.forEach == ForEach(variable: "lang", values: .parameter("languages")))

        let retry = try #require(try Self.example("retry-failed").step("retry"))
        #expect(retry.inputs == .failed("transcribe"))
        #expect(retry.delaySeconds == 2)
        #expect(retry.maxRuns == 2)

        let branch = try Self.example("branch-on-results")
        #expect(branch.steps.map(\.name) == ["transcribe", "translate", "retry-auto", "rerun-all"])
        let failedWithCode = OutputMatch(state: .fail, errorCode: "SourceFileError")
        #expect(branch.step("retry-auto")?.when == .allOf([.any(failedWithCode, of: nil), .any(OutputMatch(state: .success), of: nil)]))
        #expect(branch.step("retry-auto")?.inputs == .from(step: "transcribe", matching: failedWithCode))
        #expect(branch.step("rerun-all")?.when == .all(OutputMatch(state: .fail), of: nil))
        #expect(branch.step("rerun-all")?.inputs == .all("transcribe"))

        let fanIn = try #require(try Self.example("fan-in").step("bilingual"))
        #expect(fanIn.needs == ["transcribe-vtt", "translate-srt"])
        #expect(fanIn.when == .any(OutputMatch(state: .success), of: ["translate-srt"]))
    }

    /// The single-step translation renders the list parameter as MPS's "ja/ko", and the fan-out
    /// renders one request per language, each in its own folder.
    @Test func examplesPlanTheRequestsTheyDescribe() throws {
        let jobId = UUID()
        let single = try Self.example("transcribe-then-translate")
        let first = Planner.plan(JobGraph(jobId: jobId, definition: single, inputURLs: ["https://media.example.com/a.mp4"]))
        let transcribe = try #require(first.steps.first)
        #expect(transcribe.refusal == nil)
        #expect(transcribe.request["OutputDir"] == .string("/subtitles/\(jobId.uuidString.lowercased())/transcribe/"))
        #expect(transcribe.request["SmartSubtitlesTask"]?["RawParameter"]?["AsrHotWordsConfigure"] == ["Switch": "ON", "LibraryId": "hwl-subtitles-demo"])

        let fanOut = try Self.example("transcribe-then-translate-fanout")
        let done = OutputRecord(inputIndex: 0, jobInputIndex: 0, inputURL: "https://media.example.com/a.mp4", state: .success, progress: 100)
        let graph = JobGraph(
            jobId: jobId, definition: fanOut, inputURLs: ["https://media.example.com/a.mp4"],
            runs: [StepRun(id: UUID(), name: "transcribe", state: .succeeded, outputs: [done])]
        )
        let translations = Planner.plan(graph).steps
        #expect(translations.map(\.item) == ["ja", "ko"])
        #expect(translations.allSatisfy { $0.refusal == nil })
        #expect(translations.map { $0.request["OutputDir"] } == ["ja", "ko"].map { .string("/subtitles/\(jobId.uuidString.lowercased())/translate/\($0)/") })
    }
}
