public import Foundation
public import MPS
public import Store
public import Workflows

/// A step as `GET /v1/steps/{id}` presents it: what `mpshook steps show` prints
/// (``OperatorStore/step(_:)``), as JSON. Ids are lower-case UUIDs, times ISO 8601 in UTC;
/// members without a value are omitted.
///
/// `request` is the `BatchProcessMedia` body as the step keeps it (``StoredSecrets`` applied):
/// at send time mpshook adds `SessionContext` (this step's `sessionContext`) and the
/// `TaskNotifyConfig` target (`NotifyUrl` with the step's token, `NotifyKey`), which are never
/// stored. Input URLs lose their query strings (signed URLs carry credentials there).
public struct StepDetailDocument: Codable, Sendable, Equatable {
    public var id: String
    public var jobId: String
    public var jobState: JobState
    /// The job's workflow version; absent for a job created with a bare `request`.
    public var workflow: JobDocument.Workflow?
    public var name: String
    public var item: String?
    public var run: Int
    /// The steps whose completion created it.
    public var parents: [String]
    public var state: StepState
    public var correlationId: String
    public var sessionContext: String
    public var taskId: String?
    public var submitAttempts: Int
    public var errorCode: String?
    public var errorMessage: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var submittedAt: Date?
    public var finishedAt: Date?
    /// When the dispatcher may send it (again).
    public var nextAttemptAt: Date
    /// The reconciler's queries to MPS about it.
    public var polls: Int
    public var lastPolledAt: Date?
    public var nextPollAt: Date?
    /// Absent only when the stored request cannot be read as JSON.
    public var request: JSONValue?
    public var outputs: [JobDocument.Output]
    /// Every MPS API call made for it, oldest first.
    public var attempts: [Attempt]
    /// Every notification for it, of this attempt and of those before a resubmit, oldest first.
    public var notifications: [Notification]
    /// Every operator action on it, oldest first.
    public var actions: [OperatorActionDocument]

    /// One MPS API call for the step (`GET /v1/attempts` lists them all).
    public struct Attempt: Codable, Sendable, Equatable {
        public var action: String
        public var requestId: String?
        public var errorCode: String?
        /// Absent when the call succeeded.
        public var errorClass: MPSError.ErrorClass?
        public var httpStatus: Int?
        public var latencyMs: Int
        public var startedAt: Date
    }

    /// One stored notification about the step (`GET /v1/notifications/{id}` has its body).
    public struct Notification: Codable, Sendable, Equatable {
        public var id: Int64
        public var receivedAt: Date
        public var source: NotificationSource
        public var eventType: String
        public var outcome: NotificationOutcome
        public var applyError: String?
        public var correlationId: String?
        /// False for a notification of an attempt before a resubmit.
        public var currentAttempt: Bool
    }

    /// Fails (500) only when the database holds a value its constraints forbid.
    public init(_ detail: StepDetail) throws(APIProblem) {
        let step = detail.step
        id = APIJSON.id(step.id)
        jobId = APIJSON.id(detail.jobId)
        jobState = detail.jobState
        workflow = detail.workflow.map { JobDocument.Workflow(name: $0.name, version: $0.version) }
        name = step.name
        item = step.item
        run = step.run
        parents = step.parents.map(APIJSON.id)
        state = step.state
        correlationId = APIJSON.id(step.correlationId)
        sessionContext = step.sessionContext
        taskId = step.taskId
        submitAttempts = step.submitAttempts
        errorCode = step.errorCode
        errorMessage = step.errorMessage
        createdAt = step.createdAt
        updatedAt = step.updatedAt
        submittedAt = step.submittedAt
        finishedAt = step.finishedAt
        nextAttemptAt = detail.nextAttemptAt
        polls = detail.polls
        lastPolledAt = detail.lastPolledAt
        nextPollAt = detail.nextPollAt
        request = StoredSecrets.json(detail.request)
        outputs = step.outputs.map(JobDocument.Output.init(redacting:))
        attempts = try detail.attempts.map { (attempt) throws(APIProblem) -> Attempt in
            Attempt(
                action: attempt.action, requestId: attempt.requestId, errorCode: attempt.errorCode,
                errorClass: try attempt.errorClass.map { (raw) throws(APIProblem) in try Self.decoded(raw) },
                httpStatus: attempt.httpStatus, latencyMs: attempt.latencyMilliseconds, startedAt: attempt.startedAt
            )
        }
        notifications = try detail.notifications.map { (notification) throws(APIProblem) -> Notification in
            Notification(
                id: notification.id, receivedAt: notification.receivedAt, source: try Self.decoded(notification.source),
                eventType: notification.eventType, outcome: try Self.decoded(notification.outcome), applyError: notification.applyError,
                correlationId: notification.correlationId.map(APIJSON.id), currentAttempt: notification.currentAttempt
            )
        }
        actions = detail.actions.map(OperatorActionDocument.init)
    }

    static func decoded<Value: RawRepresentable<String>>(_ raw: String) throws(APIProblem) -> Value {
        guard let value = Value(rawValue: raw) else { throw .internalError }
        return value
    }
}

/// A person's action on a step, as recorded: who (`key:<name>/<id>` for an API key, the login
/// name for the command line), when, why, and the step before and after.
public struct OperatorActionDocument: Codable, Sendable, Equatable {
    public var id: Int64
    public var at: Date
    public var actor: String
    /// `resolve`, `resubmit` or `abandon`.
    public var action: String
    public var reason: String
    /// The step's fields the action may change (and its job's state), before and after:
    /// `state`, `taskId`, `correlationId`, `sessionContext`, `submitAttempts`, `errorCode`,
    /// `errorMessage`, `submittedAt`, `finishedAt`, `jobState`.
    public var before: JSONValue?
    public var after: JSONValue?

    public init(_ record: OperatorActionRecord) {
        id = record.id
        at = record.at
        actor = record.actor
        action = record.action
        reason = record.reason
        before = record.before.flatMap(Self.snapshot)
        after = record.after.flatMap(Self.snapshot)
    }

    /// The stored snapshot (snake_case members, as the audit table keeps them) with the API's camelCase names.
    static func snapshot(_ text: String) -> JSONValue? {
        guard let value = try? MPSJSON.decoder.decode(JSONValue.self, from: Data(text.utf8)), case .object(let members) = value else {
            return nil
        }
        var renamed: [String: JSONValue] = [:]
        for (name, member) in members { renamed[camelCase(name)] = member }
        return .object(renamed)
    }

    /// `task_id` → `taskId`.
    static func camelCase(_ name: String) -> String {
        let parts = name.split(separator: "_", omittingEmptySubsequences: true)
        guard let first = parts.first else { return name }
        return String(first) + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}

extension JobDocument.Output {
    /// `output` as the job document shows it, its input URL without query string.
    init(redacting output: OutputView) {
        self.init(
            inputIndex: output.inputIndex, jobInputIndex: output.jobInputIndex, inputUrl: StoredSecrets.url(output.inputURL),
            status: output.status, progress: output.progress, subtitlePath: output.subtitlePath, subtitleUrl: output.subtitleURL,
            errorCode: output.errorCode, errorMessage: output.errorMessage, files: output.files.map(JobDocument.File.init),
            updatedAt: output.updatedAt
        )
    }
}
