import Foundation
import Workflows
@testable import Store
import Testing

@testable import App

/// What `mpshook submit --wait` prints, and when it stops waiting.
@Suite struct JobProgressTextTests {
    static func output(_ index: Int, _ status: OutputState, progress: Int = 0, path: String? = nil, code: String? = nil, message: String? = nil) -> OutputView {
        OutputView(
            inputIndex: index, inputURL: "https://e.com/\(index).mp4?sig=secret", status: status, progress: progress,
            subtitlePath: path, subtitleURL: nil, errorCode: code, errorMessage: message, updatedAt: Date()
        )
    }

    static func job(state: JobState = .running, stepState: StepState = .submitted, taskId: String? = "t-1", outputs: [OutputView]) -> JobView {
        JobView(
            id: UUID(), state: state, clientReference: nil, clientContext: nil, createdAt: Date(), updatedAt: Date(), finishedAt: nil,
            steps: [StepView(
                id: UUID(), name: "main", state: stepState, correlationId: UUID(), sessionContext: "mh1:x", taskId: taskId,
                submitAttempts: 1, errorCode: nil, errorMessage: nil, createdAt: Date(), updatedAt: Date(), submittedAt: nil,
                finishedAt: nil, outputs: outputs
            )]
        )
    }

    @Test func theSummaryCountsOutputsByStatusWithTheMeanProgressOfThoseProcessing() {
        let view = Self.job(outputs: [
            Self.output(0, .success, progress: 100), Self.output(1, .processing, progress: 20),
            Self.output(2, .processing, progress: 60), Self.output(3, .waiting),
        ])
        #expect(JobProgressText.summary(view) == "job running · step main submitted (task t-1) · 1 SUCCESS, 2 PROCESSING 40%, 1 WAITING")
    }

    @Test func outputsShowTheSubtitlePathOrTheErrorAndNeverTheQueryString() {
        let view = Self.job(state: .partiallyFailed, stepState: .partiallyFailed, outputs: [
            Self.output(0, .success, path: "/subs/0.vtt"), Self.output(1, .fail, code: "SourceFileError", message: "bad"),
            Self.output(2, .fail),
        ])
        let lines = JobProgressText.outputs(view)
        #expect(lines == [
            "outputs:",
            "  #0 SUCCESS    https://e.com/0.mp4?<redacted>",
            "       subtitle: /subs/0.vtt",
            "  #1 FAIL       https://e.com/1.mp4?<redacted>",
            "       error: SourceFileError: bad",
            "  #2 FAIL       https://e.com/2.mp4?<redacted>",
            "       error: (no reason given)",
        ])
    }

    @Test func secondsAreRightAlignedTenths() {
        #expect(JobProgressText.seconds(.milliseconds(3456)) == "  3.4s")
        #expect(JobProgressText.seconds(.seconds(125)) == "125.0s")
    }

    @Test func waitingStopsWhenTheJobLeavesRunningOrEveryStepIsFinal() {
        #expect(!JobWatch.isFinished(Self.job(outputs: [])))
        #expect(JobWatch.isFinished(Self.job(state: .succeeded, stepState: .succeeded, outputs: [])))
        #expect(JobWatch.isFinished(Self.job(state: .running, stepState: .failed, taskId: nil, outputs: [])))
        #expect(!JobWatch.isFinished(Self.job(state: .running, stepState: .submitUnknown, outputs: [])))
    }
}
