/// What cancelling a job means, stated once (`POST /v1/jobs/{id}/cancel`; `Store` asks these
/// rules under the job's lock and in every statement that could send or plan a step).
///
/// A cancelled job sends nothing more to MPS and plans nothing more:
/// - its steps not sent yet (`pending`, or `submitting` before the sending is committed) end
///   `failed` with code `Cancelled` (``StepState/Event/cancel``), their outputs `FAIL`;
/// - a step whose call may be on its way, or whose task runs at MPS, is left to finish: its
///   callbacks (and the reconciler's polls) are still applied, its outputs updated, but the job
///   stays `cancelled` (only a running job is finished or planned for: ``JobState/admitsSubmissions``);
/// - a step of a cancelled job never goes back to `pending`: a retryable refusal of a call made
///   before the cancel ends it instead (``JobState/eventForRetry``), and a person's resubmit is
///   refused (``StepAction/refusal(state:successors:jobState:)``).
public enum JobCancellation: Sendable, Hashable, CustomStringConvertible {
    /// The job runs: it becomes `cancelled`.
    case cancel
    /// It was cancelled already: nothing changes (a repeated request is harmless).
    case alreadyCancelled
    /// It ended otherwise (succeeded, partially failed, failed): there is nothing to cancel.
    case refused(JobState)

    /// What a cancel request does to a job in `state`.
    public init(_ state: JobState) {
        switch state {
        case .running: self = .cancel
        case .cancelled: self = .alreadyCancelled
        default: self = .refused(state)
        }
    }

    public var description: String {
        switch self {
        case .cancel: "the job is cancelled"
        case .alreadyCancelled: "the job was cancelled already"
        case .refused(let state): "the job is \(state.rawValue) already; only a running job can be cancelled"
        }
    }

    /// The error code a step ended by its job's cancel (and its outputs) carry.
    public static let stepErrorCode = "Cancelled"
}

extension JobState {
    /// Whether the job's steps may still be sent to MPS and planned, and the job finished by its
    /// steps: only while it runs. A cancelled job's steps are never sent again.
    public var admitsSubmissions: Bool {
        self == .running
    }

    /// The event a retryable refusal (or a claim given back unsent) of one of the job's steps
    /// records: back to pending (``StepState/Event/retryLater``) while the job runs; in a
    /// cancelled job the step ends instead (``StepState/Event/cancel``), since no task was made
    /// and none may be.
    public var eventForRetry: StepState.Event {
        self == .cancelled ? .cancel : .retryLater
    }
}
