public import Foundation
public import Postgres
public import Workflows

/// A job to create, with its first steps.
public struct NewJob: Sendable {
    public var id: UUID
    /// The client's reference; a second creation with the same one returns the first job.
    public var clientReference: String?
    /// The client's own context (JSON), stored with the job.
    public var clientContext: JSONBText?
    /// The workflow version it runs (nil: the one-step workflow of a bare request).
    public var workflowId: Int64?
    /// Its parameters, the workflow's defaults filled in.
    public var params: [String: ParameterValue]
    /// The job's input URLs; nil keeps the first step's as the job's.
    public var inputURLs: [String]?
    public var steps: [NewStep]
    /// Where the "job finished" webhook goes (checked: a `CallbackURL`; the configured default
    /// when the client gave none); nil: no webhook.
    public var callbackURL: String?

    public init(
        id: UUID = UUID(), clientReference: String? = nil, clientContext: JSONBText? = nil, workflowId: Int64? = nil,
        params: [String: ParameterValue] = [:], inputURLs: [String]? = nil, steps: [NewStep]
    ) {
        self.id = id
        self.clientReference = clientReference
        self.clientContext = clientContext
        self.workflowId = workflowId
        self.params = params
        self.inputURLs = inputURLs
        self.steps = steps
    }
}

/// A step to create: one `BatchProcessMedia` call, correlated before it is sent.
public struct NewStep: Sendable {
    public var id: UUID
    public var name: String
    public var correlationId: UUID
    public var sessionContext: String
    /// The request body as it will be sent, minus secrets (NotifyUrl token, NotifyKey).
    public var request: JSONBText
    /// The input URLs, in order: one output row each.
    public var inputURLs: [String]
    /// Each input's place among the job's inputs (nil: the same as its place here).
    public var jobInputIndexes: [Int]?
    /// The fan-out value it runs for, and its run number.
    public var item: String?
    public var run: Int
    /// Seconds after creation before it is due.
    public var delaySeconds: Int

    public init(
        id: UUID = UUID(), name: String = "main", correlationId: UUID, sessionContext: String, request: JSONBText, inputURLs: [String],
        jobInputIndexes: [Int]? = nil, item: String? = nil, run: Int = 1, delaySeconds: Int = 0
    ) {
        self.id = id
        self.name = name
        self.correlationId = correlationId
        self.sessionContext = sessionContext
        self.request = request
        self.inputURLs = inputURLs
        self.jobInputIndexes = jobInputIndexes
        self.item = item
        self.run = run
        self.delaySeconds = delaySeconds
    }
}

/// The outcome of creating a job.
public enum JobCreation: Sendable, Equatable {
    case created(UUID)
    /// A job with the same client reference existed; nothing new was created.
    case existing(UUID)

    public var jobId: UUID {
        switch self {
        case .created(let id), .existing(let id): id
        }
    }
}

/// A step the dispatcher claimed (now `submitting`).
public struct ClaimedStep: Sendable, Equatable {
    public var id: UUID
    public var jobId: UUID
    public var correlationId: UUID
    public var sessionContext: String
    public var request: String
    /// How many times it has been claimed, this time included.
    public var submitAttempts: Int
}

/// A step as stored.
public struct StepRecord: Sendable, Equatable {
    public var id: UUID
    public var jobId: UUID
    public var correlationId: UUID
    public var sessionContext: String
    public var state: StepState
    public var taskId: String?
    public var submitAttempts: Int
    public var errorCode: String?
    public var errorMessage: String?
}

/// One notification as the door stores it, before it is acknowledged.
public struct IncomingNotification: Sendable, Equatable {
    /// What makes a delivery a duplicate: SHA-256 of the body without its `Timestamp` and `Sign`
    /// values (`NotificationFingerprint`), so a resend signed again is still the same notification.
    public var contentHash: [UInt8]
    public var correlationId: UUID?
    public var sessionContext: String?
    public var eventType: String
    public var body: String
    /// Header names and values with secrets removed, as a JSON object.
    public var headers: String
    public var sourceAddress: String?
    public var receivedAt: Date

    public init(
        contentHash: [UInt8], correlationId: UUID?, sessionContext: String?, eventType: String, body: String,
        headers: String = "{}", sourceAddress: String? = nil, receivedAt: Date = Date()
    ) {
        self.contentHash = contentHash
        self.correlationId = correlationId
        self.sessionContext = sessionContext
        self.eventType = eventType
        self.body = body
        self.headers = headers
        self.sourceAddress = sourceAddress
        self.receivedAt = receivedAt
    }
}

/// One MPS API call, for the attempts log.
public struct AttemptRecord: Sendable, Equatable {
    public var stepId: UUID?
    public var action: String
    public var requestId: String?
    public var errorCode: String?
    /// `final`, `retryable`, `ambiguous`, or nil on success.
    public var errorClass: String?
    public var httpStatus: Int?
    public var latencyMilliseconds: Int
    public var startedAt: Date

    public init(
        stepId: UUID?, action: String, requestId: String?, errorCode: String?, errorClass: String?,
        httpStatus: Int?, latencyMilliseconds: Int, startedAt: Date
    ) {
        self.stepId = stepId
        self.action = action
        self.requestId = requestId
        self.errorCode = errorCode
        self.errorClass = errorClass
        self.httpStatus = httpStatus
        self.latencyMilliseconds = latencyMilliseconds
        self.startedAt = startedAt
    }
}
