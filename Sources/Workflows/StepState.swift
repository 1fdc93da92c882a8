/// Where a step (one `BatchProcessMedia` call) stands.
///
/// The only way between states is ``after(_:)``: every caller asks it, and every SQL statement
/// in `Store` that changes a step's state takes its allowed source states from
/// ``sources(of:)``, so the database and the code cannot disagree. Nothing goes backwards, and
/// no transition ever resends a call.
public enum StepState: String, Sendable, Hashable, CaseIterable, Codable {
    /// Committed, waiting for the dispatcher (or for its retry or delay time).
    case pending
    /// Claimed and about to be sent; a crash here leaves it `submitUnknown`.
    case submitting
    /// MPS answered with a TaskId.
    case submitted
    /// The call may or may not have created a task; resolved by its callback, or by a person.
    case submitUnknown = "submit_unknown"
    case succeeded
    case partiallyFailed = "partially_failed"
    case failed
    /// No answer and no callback within the deadline (or older than MPS's 7-day window).
    case lost

    /// States only a person can move on from (``Event/resolve``, ``Event/resubmit``,
    /// ``Event/abandon``) or a late callback (``Event/taskReported``).
    public var needsAttention: Bool {
        self == .submitUnknown || self == .lost
    }

    /// True for states that no callback changes any more.
    public var isTerminal: Bool {
        self == .succeeded || self == .partiallyFailed || self == .failed
    }

    /// What happened to a step.
    public enum Event: Sendable, Hashable {
        /// The dispatcher claimed it to send it.
        case claim
        /// MPS answered the call with a TaskId (possibly after the callback already finished the step).
        case accept
        /// A refusal that certainly created no task and may pass later (rate limit, no call slot).
        case retryLater
        /// A final refusal, or a request that cannot be built: no task exists, none will.
        case refuse
        /// The call may have created a task (timeout after sending, `InternalError`, a crash mid-call).
        case unclear
        /// A callback (or a polled answer) for it arrived: its task exists.
        case taskReported
        /// Every output is final; the step ends as the outputs say.
        case outputsFinal(StepOutcome)
        /// No news within the deadline (or the task is older than MPS's 7-day query window).
        case expire
        /// A person attached the TaskId they found in the MPS console: the task exists, and the
        /// reconciler can now query it.
        case resolve
        /// A person asked for a new attempt, knowing MPS may already hold a task for the old one.
        /// The only way back to `pending` after a call may have been made.
        case resubmit
        /// A person gave up on the step: it ends `failed`, so its job can go on or end.
        case abandon
        /// Its job was cancelled before the step's call left: it ends `failed` (code `Cancelled`)
        /// and is never sent. A `submitting` step qualifies only while its sending is not
        /// committed (Store checks `sent_at`); one whose call may be on its way is left to
        /// finish (see ``JobCancellation``).
        case cancel
    }

    /// The state after `event`, or nil when `event` does not apply in this state (a late or
    /// repeated event then changes nothing). The same state back means "allowed, no change"
    /// (a TaskId arriving after the callback finished the step is recorded, the state kept).
    public func after(_ event: Event) -> StepState? {
        switch (event, self) {
        case (.claim, .pending):
            return .submitting
        case (.accept, .submitting), (.accept, .submitUnknown), (.accept, .lost):
            return .submitted
        case (.accept, .submitted), (.accept, .succeeded), (.accept, .partiallyFailed), (.accept, .failed):
            return self
        case (.retryLater, .submitting):
            return .pending
        case (.refuse, .pending), (.refuse, .submitting):
            return .failed
        case (.unclear, .submitting):
            return .submitUnknown
        // A callback proves the task exists, whatever the submission looked like from here.
        case (.taskReported, .submitting), (.taskReported, .submitUnknown), (.taskReported, .lost):
            return .submitted
        case (.taskReported, .submitted):
            return self
        case (.outputsFinal(let outcome), .submitted):
            return outcome.state
        case (.expire, .submitted), (.expire, .submitUnknown):
            return .lost
        case (.resolve, .submitUnknown), (.resolve, .lost):
            return .submitted
        // A failed step is reopened only when nothing was planned on its failure (Store checks).
        case (.resubmit, .submitUnknown), (.resubmit, .lost), (.resubmit, .failed):
            return .pending
        case (.abandon, .pending), (.abandon, .submitted), (.abandon, .submitUnknown), (.abandon, .lost):
            return .failed
        case (.cancel, .pending), (.cancel, .submitting):
            return .failed
        default:
            return nil
        }
    }

    /// The states `event` applies in (the SQL guard of the statement that records it).
    public static func sources(of event: Event) -> [StepState] {
        allCases.filter { $0.after(event) != nil }
    }

    /// The states `event` moves to another state (a subset of ``sources(of:)``).
    public static func changing(on event: Event) -> [StepState] {
        allCases.filter { state in state.after(event).map { $0 != state } ?? false }
    }
}

/// How a step whose outputs are all final ended.
public enum StepOutcome: String, Sendable, Hashable, CaseIterable, Codable {
    case succeeded
    case partiallyFailed = "partially_failed"
    case failed

    /// Every output succeeded → succeeded; every one failed → failed; else partially failed.
    /// A step with no outputs cannot finish by its outputs (nil).
    public init?(outputs: some Collection<OutputState>) {
        guard !outputs.isEmpty, outputs.allSatisfy(\.isFinal) else { return nil }
        if outputs.allSatisfy({ $0 == .success }) {
            self = .succeeded
        } else if outputs.allSatisfy({ $0 == .fail }) {
            self = .failed
        } else {
            self = .partiallyFailed
        }
    }

    public var state: StepState {
        switch self {
        case .succeeded: .succeeded
        case .partiallyFailed: .partiallyFailed
        case .failed: .failed
        }
    }
}

/// Where a job stands: running until nothing is left to run, then one final state.
public enum JobState: String, Sendable, Hashable, CaseIterable, Codable {
    case running
    case succeeded
    case partiallyFailed = "partially_failed"
    case failed
    case cancelled

    public var isFinal: Bool { self != .running }

    /// A running job may end in any final state; a final one never changes.
    public func canMove(to next: JobState) -> Bool {
        self == .running && next.isFinal
    }
}
