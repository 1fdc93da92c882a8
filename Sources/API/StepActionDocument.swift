public import Store
public import Workflows

/// The answer to a person's action on a step (`POST /v1/steps/{id}/resolve|resubmit|abandon`):
/// the audit row and the step as it is now.
public struct StepActionDocument: Codable, Sendable, Equatable {
    public var action: OperatorActionDocument
    public var step: StepStatusDocument
}

/// A step's state and what identifies its task, without its outputs or history
/// (`GET /v1/steps/{id}` has those).
public struct StepStatusDocument: Codable, Sendable, Equatable {
    public var id: String
    public var jobId: String
    public var state: StepState
    public var taskId: String?
    public var correlationId: String
    public var sessionContext: String
    public var submitAttempts: Int
    public var errorCode: String?
    public var errorMessage: String?

    public init(_ step: StepRecord) {
        id = APIJSON.id(step.id)
        jobId = APIJSON.id(step.jobId)
        state = step.state
        taskId = step.taskId
        correlationId = APIJSON.id(step.correlationId)
        sessionContext = step.sessionContext
        submitAttempts = step.submitAttempts
        errorCode = step.errorCode
        errorMessage = step.errorMessage
    }
}
