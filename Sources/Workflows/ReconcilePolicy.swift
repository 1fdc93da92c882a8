public import Foundation

/// What the reconciler knows about a step that may be waiting for a callback that never comes.
public struct ReconcileFacts: Sendable, Hashable {
    public var state: StepState
    /// Whether MPS gave the step a TaskId (only then can `DescribeBatchTaskDetail` query it).
    public var hasTaskId: Bool
    /// When its task was created (`submitted_at`), or for a step without one, when it may have
    /// been: when the call was sent, or when the step became `submit_unknown`.
    public var since: Date
    /// When MPS last reported on it (a callback or a polled answer applied); nil: never.
    public var lastReportAt: Date?
    /// The least advanced status of its outputs that are not final, as last reported (nil
    /// before any report): `.processing` means MPS said it was working on the task.
    public var lastReportedStatus: OutputState?
    /// How many inputs the step has (a big batch takes longer).
    public var inputs: Int
    /// How many times it was polled, and when last.
    public var polls: Int
    public var lastPolledAt: Date?

    public init(
        state: StepState, hasTaskId: Bool, since: Date, lastReportAt: Date? = nil, lastReportedStatus: OutputState? = nil,
        inputs: Int = 1, polls: Int = 0, lastPolledAt: Date? = nil
    ) {
        self.state = state
        self.hasTaskId = hasTaskId
        self.since = since
        self.lastReportAt = lastReportAt
        self.lastReportedStatus = lastReportedStatus
        self.inputs = inputs
        self.polls = polls
        self.lastPolledAt = lastPolledAt
    }
}

/// Why a step becomes `lost` (``StepState/Event/expire``).
public enum LossReason: String, Sendable, Hashable, CaseIterable {
    /// Its task is older than the window `DescribeBatchTaskDetail` can see (7 days).
    case queryWindowPassed = "query_window_passed"
    /// It has no TaskId to query and no callback came within the deadline.
    case noCallback = "no_callback"
    /// MPS says the task does not exist.
    case taskNotFound = "task_not_found"

    /// The error code the step keeps while it is `lost`.
    public var errorCode: String {
        switch self {
        case .queryWindowPassed: "Reconcile.QueryWindowPassed"
        case .noCallback: "Reconcile.NoCallback"
        case .taskNotFound: "Reconcile.TaskNotFound"
        }
    }

    /// The message the step keeps while it is `lost`, for the person who looks at it.
    public var message: String {
        switch self {
        case .queryWindowPassed:
            "no final callback, and the task is older than the 7 days DescribeBatchTaskDetail can see"
        case .noCallback:
            "no callback came within the deadline, and there is no TaskId to query; MPS may still hold a task for it"
        case .taskNotFound:
            "DescribeBatchTaskDetail does not know the task"
        }
    }
}

/// What to do about one step now.
public enum ReconcileDecision: Sendable, Hashable {
    /// Query it with `DescribeBatchTaskDetail` now.
    case pollNow
    /// Nothing until then (the next poll, or the deadline it expires at).
    case waitUntil(Date)
    /// Mark it `lost` (``StepState/Event/expire``).
    case expire(LossReason)
    /// Not the reconciler's: finished, pending, being sent, or already lost.
    case ignore
}

/// When the reconciler polls a step whose callback has not come, and when it gives up: the one
/// rule, decided here from the step's facts and the database's clock, so every replica that
/// leads decides the same.
///
/// - A `submitted` step with a TaskId is first polled `baseDeadline` after its task was created,
///   plus `perInput` for each input after the first (a big batch takes longer); sooner when its
///   last report said PROCESSING more than `processingStaleAfter` ago (MPS was working on it and
///   went quiet). Later polls back off, doubling from `baseDeadline` up to `maximumPollInterval`.
/// - A step older than MPS's 7-day query window (`queryWindow`) can no longer be polled: `lost`.
/// - A step with no TaskId to query (`submit_unknown`, or `submitted` by a callback that
///   resolved an unclear submission) becomes `lost` when no callback has come for
///   `submitUnknownDeadline`.
/// - A task MPS does not know (``afterNotFound(_:now:)``) is `lost`.
///
/// `lost` is not final: a late callback still moves the step on, and a person can resolve or
/// resubmit it. Nothing here ever resends a call.
public struct ReconcilePolicy: Sendable, Hashable {
    /// MPS's `DescribeBatchTaskDetail` sees tasks of the last 7 days only.
    public static let mpsQueryWindow: Duration = .seconds(7 * 24 * 3600)

    public var baseDeadline: Duration
    public var perInput: Duration
    public var processingStaleAfter: Duration
    public var maximumPollInterval: Duration
    public var submitUnknownDeadline: Duration
    public var queryWindow: Duration

    public init(
        baseDeadline: Duration = .seconds(1800), perInput: Duration = .seconds(60), processingStaleAfter: Duration = .seconds(600),
        maximumPollInterval: Duration = .seconds(3600), submitUnknownDeadline: Duration = .seconds(6 * 3600),
        queryWindow: Duration = mpsQueryWindow
    ) {
        self.baseDeadline = max(.milliseconds(1), baseDeadline)
        self.perInput = max(.zero, perInput)
        self.processingStaleAfter = max(.milliseconds(1), processingStaleAfter)
        self.maximumPollInterval = max(self.baseDeadline, maximumPollInterval)
        self.submitUnknownDeadline = max(.milliseconds(1), submitUnknownDeadline)
        self.queryWindow = queryWindow
    }

    /// What to do about the step described by `facts` at `now`.
    public func decide(_ facts: ReconcileFacts, now: Date) -> ReconcileDecision {
        switch facts.state {
        case .submitted:
            if now >= facts.since + queryWindow { return .expire(.queryWindowPassed) }
            guard facts.hasTaskId else { return untilNoCallback(facts, now: now) }
            let due = nextPoll(facts)
            return now >= due ? .pollNow : .waitUntil(min(due, facts.since + queryWindow))
        case .submitUnknown:
            // A TaskId arriving moves the step to `submitted` (`accept`): an unclear one has none.
            return untilNoCallback(facts, now: now)
        case .pending, .submitting, .succeeded, .partiallyFailed, .failed, .lost:
            return .ignore
        }
    }

    /// When the step is next due for a poll (before the query window check).
    public func nextPoll(_ facts: ReconcileFacts) -> Date {
        if facts.polls > 0, let last = facts.lastPolledAt {
            return last + pollInterval(afterPolls: facts.polls)
        }
        var due = facts.since + baseDeadline + perInput * max(0, facts.inputs - 1)
        if facts.lastReportedStatus == .processing, let reported = facts.lastReportAt {
            due = min(due, reported + processingStaleAfter)
        }
        return due
    }

    /// The pause after the `polls`-th poll: `baseDeadline`, doubling, at most `maximumPollInterval`.
    public func pollInterval(afterPolls polls: Int) -> Duration {
        var interval = baseDeadline
        for _ in 1..<max(1, min(polls, 64)) {
            interval = interval * 2
            if interval >= maximumPollInterval { return maximumPollInterval }
        }
        return min(interval, maximumPollInterval)
    }

    /// The error codes with which MPS says a TaskId does not exist (which one
    /// `DescribeBatchTaskDetail` answers for an unknown or too old task is not documented).
    public static let taskNotFoundCodes: Set<String> = [
        "InvalidParameterValue.TaskId", "ResourceNotFound.TaskNotFound", "FailedOperation.TaskNotFound",
    ]

    /// What to do after MPS answered that it does not know the step's task: it is `lost` (a
    /// person can still resolve it with the right TaskId, or resubmit it).
    public func afterNotFound(_ facts: ReconcileFacts, now: Date) -> ReconcileDecision {
        facts.state.after(.expire) == nil ? .ignore : .expire(.taskNotFound)
    }

    /// The facts after one more poll at `now` (for scheduling the next one).
    public func polled(_ facts: ReconcileFacts, at now: Date) -> ReconcileFacts {
        var next = facts
        next.polls += 1
        next.lastPolledAt = now
        return next
    }

    /// A step without a TaskId: `lost` once no callback came for `submitUnknownDeadline`.
    private func untilNoCallback(_ facts: ReconcileFacts, now: Date) -> ReconcileDecision {
        let quietSince = max(facts.since, facts.lastReportAt ?? facts.since)
        let deadline = quietSince + submitUnknownDeadline
        return now >= deadline ? .expire(.noCallback) : .waitUntil(deadline)
    }
}

extension Date {
    /// `self` moved by `duration` (sub-second precision kept).
    static func + (date: Date, duration: Duration) -> Date {
        let (seconds, attoseconds) = duration.components
        return date.addingTimeInterval(Double(seconds) + Double(attoseconds) / 1e18)
    }
}
