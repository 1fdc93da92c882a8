public import Foundation
public import Postgres
public import Workflows

/// What a person does to a stored notification the applier could not use.
///
/// The applier's rule, stated once: a `BatchTask` notification whose correlation id (from its
/// SessionContext) names no step is kept as `orphan`; one whose body cannot be read, or whose
/// event is malformed, or whose apply raised an error, is kept as `failed` with why. Neither is
/// retried on its own. A person can:
/// - **re-match** an orphan to a step (they know whose task it was: a task created by hand in
///   the console, a callback of an attempt before a resubmit): its correlation id becomes the
///   step's, and it is applied to it like any callback;
/// - **reapply** a failed one (after a fix): it is applied again.
/// Nothing else: an applied notification was used already, a pending one is about to be, an
/// unsupported one has nothing mpshook applies.
public enum NotificationAction: Sendable, Hashable {
    /// Attach an orphan to the step `stepId`, then apply it.
    case rematch(stepId: UUID)
    /// Apply a failed notification again.
    case reapply

    /// The name in the audit table and logs.
    public var name: String {
        switch self {
        case .rematch: "notification.rematch"
        case .reapply: "notification.reapply"
        }
    }

    /// The outcomes the action applies to (the SQL guard).
    public var sources: [NotificationOutcome] {
        switch self {
        case .rematch: [.orphan]
        case .reapply: [.failed]
        }
    }

    /// Why the action does not apply to a notification with `outcome`; nil when it does.
    public func refusal(outcome: NotificationOutcome) -> String? {
        guard !sources.contains(outcome) else { return nil }
        let verb = if case .rematch = self { "re-match" } else { "reapply" }
        let wanted = sources.map(\.rawValue).joined(separator: " or ")
        return "the notification is \(outcome.rawValue); \(verb) applies only to one that is \(wanted)"
    }

    /// Why a notification cannot be re-matched to a step in `state`; nil when it can: only to a
    /// step a report can still move (one whose call was made and that has not finished). A
    /// pending step was never sent, so no task of its can exist; a finished one changes no more.
    public static func rematchRefusal(stepState state: StepState) -> String? {
        guard state.after(.taskReported) == nil else { return nil }
        let allowed = StepState.sources(of: .taskReported).map(\.rawValue).joined(separator: ", ")
        return "the step is \(state.rawValue); a notification is re-matched only to a step that is \(allowed)"
    }
}

/// Why an action on a notification was refused; nothing was written.
public struct NotificationActionError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable {
        let name: String
        /// No notification has that id.
        public static let unknownNotification = Code(name: "unknownNotification")
        /// The step to re-match to does not exist.
        public static let unknownStep = Code(name: "unknownStep")
        /// The notification's outcome (or the step's state) does not allow the action.
        public static let notAllowed = Code(name: "notAllowed")
        /// The reason or actor is not acceptable.
        public static let invalid = Code(name: "invalid")
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// The first half of a person's action on a notification, on a connection inside the caller's
/// transaction (the caller applies the notification in the same transaction, then records the
/// action with ``record(_:id:actor:reason:before:on:)``): so the notification stays locked
/// from the check to the audit, and the audit's `after` is what the apply made of it.
public enum NotificationActionStore {
    /// The notification's fields an action may change, as the audit keeps them.
    public struct Snapshot: Sendable, Equatable {
        public var id: Int64
        public var outcome: NotificationOutcome
        public var correlationId: UUID?
        public var applyError: String?
        /// The step its correlation id names now, and that step's job.
        public var stepId: UUID?
        public var jobId: UUID?
    }

    /// Locks the notification (the applier's order: notification, then step), checks that
    /// `action` applies, and puts it back to `pending` (re-matched: with the step's correlation
    /// id). Returns the notification as it was. Throws ``NotificationActionError`` (nothing
    /// changed; the caller rolls back) or the database's error.
    public static func prepare(
        _ action: NotificationAction, id: Int64, reason: String, on connection: PostgresConnection
    ) async throws -> Snapshot {
        if let problem = StepAction.reasonProblem(reason) {
            throw NotificationActionError(code: .invalid, message: "reason: \(problem)")
        }
        let locked = try await connection.query("""
            SELECT outcome FROM notifications WHERE id = \(id) FOR UPDATE
            """)
        guard let raw = try locked.first?.decode(String.self, at: 0) else {
            throw NotificationActionError(code: .unknownNotification, message: "no notification \(id)")
        }
        let outcome: NotificationOutcome = try ListingStore.decoded(raw, column: "outcome")
        if let refusal = action.refusal(outcome: outcome) {
            throw NotificationActionError(code: .notAllowed, message: "\(action.name) refused: \(refusal)")
        }
        let before = try await snapshot(id, on: connection)
        switch action {
        case .rematch(let stepId):
            let steps = try await connection.query("SELECT correlation_id, state FROM steps WHERE id = \(stepId) FOR UPDATE")
            guard let row = steps.first else {
                throw NotificationActionError(code: .unknownStep, message: "no step \(stepId.uuidString.lowercased())")
            }
            let (correlation, rawState) = try row.decode((UUID, String).self)
            if let refusal = NotificationAction.rematchRefusal(stepState: try CompletionStore.stepState(rawState)) {
                throw NotificationActionError(code: .notAllowed, message: "\(action.name) refused: \(refusal)")
            }
            // The correlation id is what the applier matches on; the SessionContext received
            // stays as it came (and the audit keeps the old correlation id).
            _ = try await connection.query("""
                UPDATE notifications SET correlation_id = \(correlation), outcome = 'pending', apply_error = NULL
                WHERE id = \(id) AND outcome = ANY(\(action.sources.map(\.rawValue))::text[])
                """)
        case .reapply:
            _ = try await connection.query("""
                UPDATE notifications SET outcome = 'pending', apply_error = NULL
                WHERE id = \(id) AND outcome = ANY(\(action.sources.map(\.rawValue))::text[])
                """)
        }
        return before
    }

    /// Records the action in `operator_actions` with the notification before and as it is now;
    /// returns the audit row.
    public static func record(
        _ action: NotificationAction, id: Int64, actor: String, reason: String, before: Snapshot, on connection: PostgresConnection
    ) async throws -> OperatorActionRecord {
        let after = try await snapshot(id, on: connection)
        let stepId = after.stepId ?? before.stepId
        let jobId = after.jobId ?? before.jobId
        let beforeText = json(before)
        let afterText = json(after)
        let inserted = try await connection.query("""
            INSERT INTO operator_actions (actor, action, step_id, job_id, reason, before, after)
            VALUES (\(actor), \(action.name), \(stepId), \(jobId), \(reason), \(JSONBText(beforeText)), \(JSONBText(afterText)))
            RETURNING id, at
            """)
        let (auditId, at) = try inserted[0].decode((Int64, Date).self)
        return OperatorActionRecord(
            id: auditId, at: at, actor: actor, action: action.name, stepId: stepId, jobId: jobId, reason: reason,
            before: beforeText, after: afterText
        )
    }

    static func snapshot(_ id: Int64, on connection: PostgresConnection) async throws -> Snapshot {
        let rows = try await connection.query("""
            SELECT n.outcome, n.correlation_id, n.apply_error, s.id, s.job_id
            FROM notifications n LEFT JOIN steps s ON s.correlation_id = n.correlation_id
            WHERE n.id = \(id)
            """)
        let (outcome, correlation, error, stepId, jobId) = try rows[0].decode((String, UUID?, String?, UUID?, UUID?).self)
        return Snapshot(
            id: id, outcome: try ListingStore.decoded(outcome, column: "outcome"), correlationId: correlation, applyError: error,
            stepId: stepId, jobId: jobId
        )
    }

    static func json(_ snapshot: Snapshot) -> String {
        var object: [String: Any] = ["notification_id": snapshot.id, "outcome": snapshot.outcome.rawValue]
        if let correlation = snapshot.correlationId { object["correlation_id"] = correlation.uuidString.lowercased() }
        if let error = snapshot.applyError { object["apply_error"] = String(error.prefix(2000)) }
        if let step = snapshot.stepId { object["step_id"] = step.uuidString.lowercased() }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
