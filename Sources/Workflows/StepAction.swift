import Foundation

/// What a person does to a step that mpshook cannot settle on its own (`mpshook steps …`, and
/// the REST API later): the rules here are the only statement of when each applies; `Store`
/// asks them under the step's lock and records the action in the same transaction.
public enum StepAction: Sendable, Hashable {
    /// Attach the TaskId found in the MPS console to an unknown or lost submission, so the
    /// reconciler queries it (`submit_unknown`/`lost` → `submitted`).
    case resolve(taskId: String)
    /// A new attempt, with a new correlation id, knowing MPS may already hold a task for the
    /// old one (`submit_unknown`/`lost`/`failed` → `pending`). The only way a call is sent again.
    case resubmit
    /// Give up: the step ends `failed` (its outputs `FAIL`), so its job goes on or ends.
    case abandon

    /// The step event the action raises (its states are read off ``StepState/after(_:)``).
    public var event: StepState.Event {
        switch self {
        case .resolve: .resolve
        case .resubmit: .resubmit
        case .abandon: .abandon
        }
    }

    /// The action's name in the audit table, the command line and logs.
    public var name: String {
        switch self {
        case .resolve: "resolve"
        case .resubmit: "resubmit"
        case .abandon: "abandon"
        }
    }

    /// Why the action does not apply to a step in `state`, with `successors` steps planned after
    /// it (steps listing it among their parents), in a job in `jobState`; nil when it applies.
    ///
    /// Resubmitting reopens the step: refused when something was planned after it (those steps
    /// already ran on its failure; a new attempt would leave the job's graph contradicting
    /// itself), and when its job was cancelled. Resolving and abandoning never reopen anything.
    public func refusal(state: StepState, successors: Int, jobState: JobState) -> StepActionRefusal? {
        guard state.after(event) != nil else {
            return .state(state, action: name, allowed: StepState.sources(of: event))
        }
        guard case .resubmit = self else { return nil }
        if successors > 0 { return .successors(successors) }
        if jobState.reopened() == nil { return .jobCancelled }
        return nil
    }

    /// Problems with the action's own arguments (a resolve's TaskId), as `field: message`.
    public var problems: [String] {
        guard case .resolve(let taskId) = self, let problem = Self.taskIdProblem(taskId) else { return [] }
        return ["task id: " + problem]
    }

    /// What is wrong with `taskId` as a TaskId to attach, or nil.
    public static func taskIdProblem(_ taskId: String) -> String? {
        if taskId.isEmpty { return "must not be empty" }
        if taskId.count > longestTaskId { return "must be at most \(longestTaskId) characters" }
        // MPS TaskIds are like `24000030-BatchTask-…`: printable, no spaces (a pasted line with
        // its neighbour or a newline is a mistake, not a TaskId).
        guard taskId.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            return "must be printable ASCII without spaces"
        }
        return nil
    }

    /// Problems with who acts and why (the audit table's limits), as `field: message`.
    public static func problems(actor: String, reason: String) -> [String] {
        var problems: [String] = []
        if actor.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            problems.append("actor: must not be empty")
        } else if actor.count > longestActor {
            problems.append("actor: must be at most \(longestActor) characters")
        }
        if let problem = reasonProblem(reason) { problems.append("reason: " + problem) }
        return problems
    }

    /// What is wrong with `reason` as the recorded why of any audited action (a step's, a job's
    /// cancel, a notification's re-match or reapply, a redelivery), or nil: something besides
    /// ASCII spaces, tabs and line breaks; at most ``longestReason`` Unicode scalars (what the
    /// audit table's `length()` counts, and JSON Schema's `maxLength`); no NUL (PostgreSQL text
    /// cannot hold one). The REST API's spec states the same rule as a pattern.
    public static func reasonProblem(_ reason: String) -> String? {
        let scalars = reason.unicodeScalars
        if scalars.contains("\u{0}") { return "must not contain NUL" }
        if scalars.allSatisfy({ blank.contains($0.value) }) { return "must not be empty" }
        if scalars.count > longestReason { return "must be at most \(longestReason) characters" }
        return nil
    }

    /// Tab, line feed, vertical tab, form feed, carriage return, space.
    private static let blank: Set<UInt32> = [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20]

    static let longestTaskId = 200
    static let longestActor = 200
    /// The longest reason the audit table keeps.
    public static let longestReason = 2000
}

/// Why a person's action on a step was refused (nothing was changed).
public enum StepActionRefusal: Sendable, Hashable, CustomStringConvertible {
    /// The step is in a state `action` does not apply to; `allowed` are those it does.
    case state(StepState, action: String, allowed: [StepState])
    /// Steps were planned after this one (on its failure): it cannot be reopened.
    case successors(Int)
    /// Its job was cancelled: none of its steps is reopened.
    case jobCancelled

    public var description: String {
        switch self {
        case .state(let state, let action, let allowed):
            let names = allowed.map(\.rawValue)
            let list = names.count > 1 ? names.dropLast().joined(separator: ", ") + " or " + names[names.count - 1] : names.joined()
            return "the step is \(state.rawValue); \(action) applies only to a step that is \(list)"
        case .successors(let count):
            return "\(count) step\(count == 1 ? " was" : "s were") planned after this one (on its failure) and ran or run on it; "
                + "reopening it would contradict them (abandon or resubmit the latest step instead)"
        case .jobCancelled:
            return "its job was cancelled; a cancelled job's steps are not reopened"
        }
    }
}

extension JobState {
    /// The job's state when a person reopens one of its steps (a resubmit): a job that ended goes
    /// back to `running` (it has a step to run again, and ends again through the planner when
    /// that step is done); a cancelled job stays cancelled (nil: the reopening is refused).
    public func reopened() -> JobState? {
        self == .cancelled ? nil : .running
    }
}

extension OutputRecord {
    /// The output at the start of a new attempt: `WAITING`, no progress, no files, no error. A
    /// person's resubmit is the one place an output goes back (a new task reports it afresh).
    public func reopened() -> OutputRecord {
        OutputRecord(inputIndex: inputIndex, jobInputIndex: jobInputIndex, inputURL: inputURL)
    }
}
