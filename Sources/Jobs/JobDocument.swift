public import Foundation
public import MPS
public import Store

/// The answer to a job creation (`201` new, `200` when the client reference already named a
/// job): the job and its first step, so a client can correlate callbacks and logs at once.
///
/// ```json
/// {"correlationId":"1b4e…","jobId":"7f0c…","sessionContext":"mh1:1b4e…","state":"running","stepId":"c3a1…"}
/// ```
public struct JobCreatedDocument: Codable, Sendable, Equatable {
    public var jobId: String
    public var stepId: String?
    public var correlationId: String?
    public var sessionContext: String?
    /// The job's state: `running` for a new job; the current state of an existing one.
    public var state: String

    public init(job: NewJob) {
        jobId = JobsJSON.id(job.id)
        stepId = job.steps.first.map { JobsJSON.id($0.id) }
        correlationId = job.steps.first.map { JobsJSON.id($0.correlationId) }
        sessionContext = job.steps.first?.sessionContext
        state = "running"
    }

    public init(view: JobView) {
        jobId = JobsJSON.id(view.id)
        stepId = view.steps.first.map { JobsJSON.id($0.id) }
        correlationId = view.steps.first.map { JobsJSON.id($0.correlationId) }
        sessionContext = view.steps.first?.sessionContext
        state = view.state
    }
}

/// A job as `GET /v1/jobs/{id}` and `mpshook jobs show` present it. Ids are lower-case UUIDs,
/// times ISO 8601 in UTC; members without a value (no task id yet, no error) are omitted.
public struct JobDocument: Codable, Sendable, Equatable {
    public var id: String
    public var state: String
    public var clientReference: String?
    public var clientContext: JSONValue?
    public var createdAt: Date
    public var updatedAt: Date
    public var finishedAt: Date?
    public var steps: [Step]

    public struct Step: Codable, Sendable, Equatable {
        public var id: String
        public var name: String
        public var state: String
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
        public var outputs: [Output]
    }

    public struct Output: Codable, Sendable, Equatable {
        public var inputIndex: Int
        public var inputUrl: String
        public var status: String
        /// 0–100, as MPS last reported it.
        public var progress: Int
        public var subtitlePath: String?
        public var subtitleUrl: String?
        public var errorCode: String?
        public var errorMessage: String?
        public var updatedAt: Date
    }

    public init(_ view: JobView) {
        id = JobsJSON.id(view.id)
        state = view.state
        clientReference = view.clientReference
        clientContext = view.clientContext.flatMap { try? MPSJSON.decoder.decode(JSONValue.self, from: Data($0.utf8)) }
        createdAt = view.createdAt
        updatedAt = view.updatedAt
        finishedAt = view.finishedAt
        steps = view.steps.map { step in
            Step(
                id: JobsJSON.id(step.id), name: step.name, state: step.state,
                correlationId: JobsJSON.id(step.correlationId), sessionContext: step.sessionContext,
                taskId: step.taskId, submitAttempts: step.submitAttempts,
                errorCode: step.errorCode, errorMessage: step.errorMessage,
                createdAt: step.createdAt, updatedAt: step.updatedAt, submittedAt: step.submittedAt, finishedAt: step.finishedAt,
                outputs: step.outputs.map { output in
                    Output(
                        inputIndex: output.inputIndex, inputUrl: output.inputURL, status: output.status,
                        progress: output.progress, subtitlePath: output.subtitlePath, subtitleUrl: output.subtitleURL,
                        errorCode: output.errorCode, errorMessage: output.errorMessage, updatedAt: output.updatedAt
                    )
                }
            )
        }
    }
}

/// The coders for the jobs API's own documents (camelCase members, ISO 8601 times).
public enum JobsJSON {
    /// Sorted keys, unescaped slashes, ISO 8601 dates; `pretty` for people.
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// Reads what ``encoder(pretty:)`` writes.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    /// A UUID as the API writes it: lower case, like PostgreSQL.
    public static func id(_ uuid: UUID) -> String {
        uuid.uuidString.lowercased()
    }
}
