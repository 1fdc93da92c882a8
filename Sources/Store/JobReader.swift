public import Foundation
public import Postgres

/// A job as stored, with its steps and their outputs: what `GET /v1/jobs/{id}` and
/// `mpshook jobs show` answer with.
public struct JobView: Sendable, Equatable {
    public var id: UUID
    /// `running`, `succeeded`, `partially_failed`, `failed` or `cancelled`.
    public var state: String
    public var clientReference: String?
    /// The client's context as stored (JSON text).
    public var clientContext: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var finishedAt: Date?
    /// In creation order.
    public var steps: [StepView]
}

/// One step of a job, as stored.
public struct StepView: Sendable, Equatable {
    public var id: UUID
    public var name: String
    public var state: String
    public var correlationId: UUID
    public var sessionContext: String
    public var taskId: String?
    public var submitAttempts: Int
    public var errorCode: String?
    public var errorMessage: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var submittedAt: Date?
    public var finishedAt: Date?
    /// In input order.
    public var outputs: [OutputView]
}

/// One output (one input URL) of a step, as stored.
public struct OutputView: Sendable, Equatable {
    public var inputIndex: Int
    public var inputURL: String
    /// `WAITING`, `PROCESSING`, `SUCCESS` or `FAIL`.
    public var status: String
    public var progress: Int
    public var subtitlePath: String?
    public var subtitleURL: String?
    public var errorCode: String?
    public var errorMessage: String?
    public var updatedAt: Date
}

/// Reads jobs for the API and the command line. Never changes anything.
public struct JobReader: Sendable {
    let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// The job with its steps and outputs, all from one snapshot; nil when there is no such job.
    public func job(_ id: UUID) async throws -> JobView? {
        try await client.withTransaction { connection in
            // One snapshot for the three reads, so a step and its outputs never disagree.
            _ = try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            let jobs = try await connection.query("""
                SELECT id, state, client_reference, client_context::text, created_at, updated_at, finished_at
                FROM jobs WHERE id = \(id)
                """)
            guard let row = jobs.first else { return nil }
            let (jobId, state, reference, context, created, updated, finished) =
                try row.decode((UUID, String, String?, String?, Date, Date, Date?).self)

            let outputRows = try await connection.query("""
                SELECT o.step_id, o.input_index, o.input_url, o.status, o.progress, o.subtitle_path, o.subtitle_url,
                    o.error_code, o.error_message, o.updated_at
                FROM outputs o JOIN steps s ON s.id = o.step_id
                WHERE s.job_id = \(id)
                ORDER BY o.step_id, o.input_index
                """)
            var outputs: [UUID: [OutputView]] = [:]
            for row in outputRows {
                let (stepId, index, url, status, progress, path, subtitleURL, code, message, outputUpdated) =
                    try row.decode((UUID, Int, String, String, Int, String?, String?, String?, String?, Date).self)
                outputs[stepId, default: []].append(OutputView(
                    inputIndex: index, inputURL: url, status: status, progress: progress, subtitlePath: path,
                    subtitleURL: subtitleURL, errorCode: code, errorMessage: message, updatedAt: outputUpdated
                ))
            }

            let stepRows = try await connection.query("""
                SELECT id, name, state, correlation_id, session_context, task_id, submit_attempts, error_code, error_message,
                    created_at, updated_at, submitted_at, finished_at
                FROM steps WHERE job_id = \(id)
                ORDER BY created_at, id
                """)
            let steps = try stepRows.map { row in
                let (stepId, name, stepState, correlation, session, taskId, attempts, code, message, stepCreated, stepUpdated, submitted, stepFinished) =
                    try row.decode((UUID, String, String, UUID, String, String?, Int, String?, String?, Date, Date, Date?, Date?).self)
                return StepView(
                    id: stepId, name: name, state: stepState, correlationId: correlation, sessionContext: session,
                    taskId: taskId, submitAttempts: attempts, errorCode: code, errorMessage: message,
                    createdAt: stepCreated, updatedAt: stepUpdated, submittedAt: submitted, finishedAt: stepFinished,
                    outputs: outputs[stepId] ?? []
                )
            }
            return JobView(
                id: jobId, state: state, clientReference: reference, clientContext: context,
                createdAt: created, updatedAt: updated, finishedAt: finished, steps: steps
            )
        }
    }
}
