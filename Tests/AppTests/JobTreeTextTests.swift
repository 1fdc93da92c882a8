import Foundation
import MPS
@testable import Store
import Testing
import Workflows

@testable import App

/// What `mpshook jobs show` prints for a workflow job: the steps by lineage, then each input's
/// results per language.
@Suite struct JobTreeTextTests {
    static let date = Date(timeIntervalSince1970: 1_790_000_000)

    static func output(
        _ jobIndex: Int, _ status: OutputState, files: [SubtitleFile] = [], code: String? = nil, message: String? = nil, progress: Int = 0
    ) -> OutputView {
        OutputView(
            inputIndex: 0, jobInputIndex: jobIndex, inputURL: "https://e.com/\(jobIndex).mp4?sig=secret", status: status, progress: progress,
            subtitlePath: files.first?.path, errorCode: code, errorMessage: message, files: files, updatedAt: date
        )
    }

    static func step(
        _ name: String, item: String? = nil, run: Int = 1, parents: [UUID] = [], _ state: StepState, taskId: String? = nil, _ outputs: [OutputView]
    ) -> StepView {
        StepView(
            id: UUID(), name: name, item: item, run: run, parents: parents, state: state, correlationId: UUID(), sessionContext: "mh1:x",
            taskId: taskId, createdAt: date, updatedAt: date, outputs: outputs
        )
    }

    /// transcribe → translate [ja], translate [ko] → translate [ko] run 2; join after transcribe and translate [ja].
    static func job() -> JobView {
        let en = SubtitleFile(kind: .recognition, language: "en", status: "Success", path: "/subs/0/en.vtt")
        let transcribe = step("transcribe", .partiallyFailed, taskId: "t-1", [
            output(0, .success, files: [en]), output(1, .fail, code: "SourceFileError", message: "bad source"),
        ])
        let ja = step("translate", item: "ja", parents: [transcribe.id], .succeeded, taskId: "t-2", [
            output(0, .success, files: [SubtitleFile(kind: .translation, language: "ja", sourceLanguage: "en", status: "Success", path: "/subs/0/ja.srt")])
        ])
        let ko = step("translate", item: "ko", parents: [transcribe.id], .failed, taskId: "t-3", [output(0, .fail, code: "InternalError")])
        let koAgain = step("translate", item: "ko", run: 2, parents: [ko.id], .submitted, taskId: "t-4", [output(0, .processing, progress: 40)])
        let join = step("join", parents: [transcribe.id, ja.id], .pending, [output(0, .waiting)])
        return JobView(
            id: UUID(uuidString: "7f0c0000-0000-4000-8000-000000000001") ?? UUID(), state: .running, clientReference: "order-1",
            workflow: WorkflowReference(id: 3, name: "subtitles", version: 2),
            params: ["languages": .list(["ja", "ko"]), "source": .string("en")],
            inputURLs: ["https://e.com/0.mp4?sig=secret", "https://e.com/1.mp4"], createdAt: date, updatedAt: date,
            steps: [transcribe, ja, ko, koAgain, join]
        )
    }

    @Test func stepsAreATreeByLineageWithTheirStatesAndAFanInNamesItsOtherParents() {
        let lines = JobTreeText.steps(Self.job())
        #expect(lines == [
            "  transcribe                partially_failed  1 SUCCESS, 1 FAIL  task t-1",
            "    translate [ja]          succeeded         1 SUCCESS  task t-2",
            "      join                  pending           1 WAITING  (also after transcribe)",
            "    translate [ko]          failed            1 FAIL  task t-3",
            "      translate [ko] run 2  submitted         1 PROCESSING 40%  task t-4",
        ])
    }

    @Test func eachInputListsEveryStepsResultWithOneLinePerLanguageAndNoQueryString() {
        let lines = JobTreeText.inputs(Self.job())
        #expect(lines == [
            "  #0 https://e.com/0.mp4?<redacted>",
            "     transcribe            SUCCESS     recognition en  /subs/0/en.vtt",
            "     translate [ja]        SUCCESS     translation ja (from en)  /subs/0/ja.srt",
            "     translate [ko]        FAIL        InternalError",
            "     translate [ko] run 2  PROCESSING  40%",
            "     join                  WAITING",
            "  #1 https://e.com/1.mp4",
            "     transcribe            FAIL        SourceFileError: bad source",
        ])
    }

    @Test func theHeaderNamesTheWorkflowVersionAndParams() {
        let lines = JobTreeText.lines(Self.job())
        #expect(Array(lines.prefix(4)) == [
            "job 7f0c0000-0000-4000-8000-000000000001  running",
            "  workflow: subtitles version 2",
            #"  params: languages=["ja","ko"] source="en""#,
            "  client reference: order-1",
        ])
        #expect(lines.contains("steps:"))
        #expect(lines.contains("inputs:"))
        #expect(!lines.joined().contains("secret"))
    }

    @Test func theWorkflowsFolderIsTheConfiguredOneOrWorkflowsInTheWorkingDirectory() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(try AppConfiguration(environment: ["MPSHOOK_WORKFLOWS_DIR": folder.path]).resolvedWorkflowsDirectory() == folder.path)
        #expect(throws: ConfigurationError.self) {
            try AppConfiguration(environment: ["MPSHOOK_WORKFLOWS_DIR": folder.path + "/missing"]).resolvedWorkflowsDirectory()
        }
        let fallback = try AppConfiguration(environment: [:]).resolvedWorkflowsDirectory()
        let local = FileManager.default.currentDirectoryPath + "/workflows"
        #expect(fallback == (FileManager.default.fileExists(atPath: local) ? local : nil))
        #expect(AppConfiguration.environmentHelp.contains("MPSHOOK_WORKFLOWS_DIR"))
    }
}
