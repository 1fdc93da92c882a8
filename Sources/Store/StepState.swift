/// Where a step (one `BatchProcessMedia` call) stands. The only way between states is
/// ``canMove(to:)``: nothing goes backwards, and nothing is ever resent by a transition.
public enum StepState: String, Sendable, Hashable, CaseIterable, Codable {
    /// Committed, waiting for the dispatcher (or for its retry time).
    case pending
    /// Claimed and about to be sent; a crash here leaves it `submitUnknown` after restart.
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

    /// True for states that no callback changes any more.
    public var isTerminal: Bool {
        self == .succeeded || self == .partiallyFailed || self == .failed
    }

    /// Whether a step may go from `self` to `next`.
    public func canMove(to next: StepState) -> Bool {
        switch (self, next) {
        case (.pending, .submitting), (.pending, .failed):
            return true
        case (.submitting, .submitted), (.submitting, .pending), (.submitting, .failed), (.submitting, .submitUnknown):
            return true
        // A callback resolves an ambiguous submission, or finishes a submitted one.
        case (.submitting, .succeeded), (.submitting, .partiallyFailed),
            (.submitted, .succeeded), (.submitted, .partiallyFailed), (.submitted, .failed), (.submitted, .lost),
            (.submitUnknown, .submitted), (.submitUnknown, .succeeded), (.submitUnknown, .partiallyFailed),
            (.submitUnknown, .failed), (.submitUnknown, .lost),
            (.lost, .succeeded), (.lost, .partiallyFailed), (.lost, .failed):
            return true
        default:
            return false
        }
    }
}

/// Where one output (one input URL of a step) stands, as MPS reports it.
public enum OutputStatus: String, Sendable, Hashable, CaseIterable, Codable, Comparable {
    case waiting = "WAITING"
    case processing = "PROCESSING"
    case success = "SUCCESS"
    case fail = "FAIL"

    private var rank: Int {
        switch self {
        case .waiting: 0
        case .processing: 1
        case .success, .fail: 2
        }
    }

    /// Order of progress; SUCCESS and FAIL are equally final.
    public static func < (lhs: OutputStatus, rhs: OutputStatus) -> Bool { lhs.rank < rhs.rank }

    public var isTerminal: Bool { rank == 2 }

    /// Whether a report of `next` may replace `self`: only forward, and a final status is final.
    public func canMove(to next: OutputStatus) -> Bool {
        !isTerminal && next > self
    }
}
