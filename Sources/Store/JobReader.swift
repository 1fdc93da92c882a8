public import Foundation
public import MPS
public import Postgres
public import Workflows

/// A job as stored, with its steps and their outputs: what `GET /v1/jobs/{id}` and
/// `mpshook jobs show` answer with.
public struct JobView: Sendable, Equatable {
    public var id: UUID
    public var state: JobState
    public var clientReference: String?
    /// The client's context as stored (JSON text).
    public var clientContext: String?
    /// The workflow version the job runs; nil for a job created with a bare request (one step).
    public var workflow: WorkflowReference?
    /// The job's parameters, the workflow's defaults filled in (empty for a one-step job).
    public var params: [String: ParameterValue]
    /// The job's input URLs, in order (a job stored before workflows: its first step's).
    public var inputURLs: [String]
    public var createdAt: Date
    public var updatedAt: Date
    public var finishedAt: Date?
    /// In creation order (steps created together by name, fan-out value and run): a step always
    /// comes after the steps it came from.
    public var steps: [StepView]

    public init(
        id: UUID, state: JobState, clientReference: String? = nil, clientContext: String? = nil, workflow: WorkflowReference? = nil,
        params: [String: ParameterValue] = [:], inputURLs: [String] = [], createdAt: Date, updatedAt: Date, finishedAt: Date? = nil,
        steps: [StepView]
    ) {
        self.id = id
        self.state = state
        self.clientReference = clientReference
        self.clientContext = clientContext
        self.workflow = workflow
        self.params = params
        self.inputURLs = inputURLs
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.finishedAt = finishedAt
        self.steps = steps
    }
}

/// The stored workflow version a job runs.
public struct WorkflowReference: Sendable, Equatable {
    /// The version's row id (`jobs.workflow_id`).
    public var id: Int64
    public var name: String
    public var version: Int

    public init(id: Int64, name: String, version: Int) {
        self.id = id
        self.name = name
        self.version = version
    }
}

/// One step of a job (one run of one step of its workflow), as stored.
public struct StepView: Sendable, Equatable {
    public var id: UUID
    public var name: String
    /// The fan-out value this run is for (nil when the step does not fan out).
    public var item: String?
    /// 1 for the first run, 2+ for retries of failed inputs.
    public var run: Int
    /// The steps whose completion created this one (empty for the job's first steps).
    public var parents: [UUID]
    public var state: StepState
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

    public init(
        id: UUID, name: String, item: String? = nil, run: Int = 1, parents: [UUID] = [], state: StepState, correlationId: UUID,
        sessionContext: String, taskId: String? = nil, submitAttempts: Int = 0, errorCode: String? = nil, errorMessage: String? = nil,
        createdAt: Date, updatedAt: Date, submittedAt: Date? = nil, finishedAt: Date? = nil, outputs: [OutputView]
    ) {
        self.id = id
        self.name = name
        self.item = item
        self.run = run
        self.parents = parents
        self.state = state
        self.correlationId = correlationId
        self.sessionContext = sessionContext
        self.taskId = taskId
        self.submitAttempts = submitAttempts
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.submittedAt = submittedAt
        self.finishedAt = finishedAt
        self.outputs = outputs
    }
}

/// One output (one input URL) of a step, as stored.
public struct OutputView: Sendable, Equatable {
    /// The input's place in the step's `InputInfo`.
    public var inputIndex: Int
    /// The input's place among the job's inputs: the same video across steps.
    public var jobInputIndex: Int
    public var inputURL: String
    public var status: OutputState
    public var progress: Int
    public var subtitlePath: String?
    public var subtitleURL: String?
    public var errorCode: String?
    public var errorMessage: String?
    /// Every subtitle file MPS reported: the recognition and each translation, per language.
    public var files: [SubtitleFile]
    public var updatedAt: Date

    public init(
        inputIndex: Int, jobInputIndex: Int? = nil, inputURL: String, status: OutputState, progress: Int = 0,
        subtitlePath: String? = nil, subtitleURL: String? = nil, errorCode: String? = nil, errorMessage: String? = nil,
        files: [SubtitleFile] = [], updatedAt: Date
    ) {
        self.inputIndex = inputIndex
        self.jobInputIndex = jobInputIndex ?? inputIndex
        self.inputURL = inputURL
        self.status = status
        self.progress = progress
        self.subtitlePath = subtitlePath
        self.subtitleURL = subtitleURL
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.files = files
        self.updatedAt = updatedAt
    }
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
                SELECT j.id, j.state, j.client_reference, j.client_context::text, j.params::text, j.input_urls,
                    w.id, w.name, w.version, j.created_at, j.updated_at, j.finished_at
                FROM jobs j LEFT JOIN workflows w ON w.id = j.workflow_id
                WHERE j.id = \(id)
                """)
            guard let row = jobs.first else { return nil }
            let (jobId, state, reference, context, params, inputURLs, workflowId, workflowName, workflowVersion, created, updated, finished) =
                try row.decode((UUID, String, String?, String?, String?, [String]?, Int64?, String?, Int?, Date, Date, Date?).self)

            let outputRows = try await connection.query("""
                SELECT o.step_id, o.input_index, coalesce(o.job_input_index, o.input_index), o.input_url, o.status, o.progress,
                    o.subtitle_path, o.subtitle_url, o.error_code, o.error_message, o.results::text, o.updated_at
                FROM outputs o JOIN steps s ON s.id = o.step_id
                WHERE s.job_id = \(id)
                ORDER BY o.step_id, o.input_index
                """)
            var outputs: [UUID: [OutputView]] = [:]
            for row in outputRows {
                let (stepId, index, jobIndex, url, status, progress, path, subtitleURL, code, message, results, outputUpdated) =
                    try row.decode((UUID, Int, Int, String, String, Int, String?, String?, String?, String?, String?, Date).self)
                outputs[stepId, default: []].append(OutputView(
                    inputIndex: index, jobInputIndex: jobIndex, inputURL: url, status: try Self.state(status, column: "status"),
                    progress: progress, subtitlePath: path, subtitleURL: subtitleURL, errorCode: code, errorMessage: message,
                    files: OutputFiles.decode(results), updatedAt: outputUpdated
                ))
            }

            let stepRows = try await connection.query("""
                SELECT id, name, item, run, parent_ids, state, correlation_id, session_context, task_id, submit_attempts,
                    error_code, error_message, created_at, updated_at, submitted_at, finished_at
                FROM steps WHERE job_id = \(id)
                ORDER BY created_at, name, item NULLS FIRST, run, id
                """)
            let steps = try stepRows.map { row in
                let (
                    stepId, name, item, run, parents, stepState, correlation, session, taskId, attempts, code, message,
                    stepCreated, stepUpdated, submitted, stepFinished
                ) = try row.decode(
                    (UUID, String, String?, Int, [UUID], String, UUID, String, String?, Int, String?, String?, Date, Date, Date?, Date?).self
                )
                return StepView(
                    id: stepId, name: name, item: item, run: run, parents: parents, state: try Self.state(stepState, column: "state"),
                    correlationId: correlation, sessionContext: session, taskId: taskId, submitAttempts: attempts,
                    errorCode: code, errorMessage: message, createdAt: stepCreated, updatedAt: stepUpdated,
                    submittedAt: submitted, finishedAt: stepFinished, outputs: outputs[stepId] ?? []
                )
            }
            var workflow: WorkflowReference?
            if let workflowId, let workflowName, let workflowVersion {
                workflow = WorkflowReference(id: workflowId, name: workflowName, version: workflowVersion)
            }
            return JobView(
                id: jobId, state: try Self.state(state, column: "state"), clientReference: reference, clientContext: context,
                workflow: workflow, params: WorkflowParams.decode(params),
                // Jobs stored before workflows have no input_urls: their one step's inputs are the job's.
                inputURLs: inputURLs ?? steps.first.map { $0.outputs.map(\.inputURL) } ?? [],
                createdAt: created, updatedAt: updated, finishedAt: finished, steps: steps
            )
        }
    }

    /// A stored state as its enum; the columns' CHECK constraints allow nothing else.
    private static func state<State: RawRepresentable<String>>(_ raw: String, column: String) throws(PostgresError) -> State {
        guard let state = State(rawValue: raw) else {
            throw PostgresError(code: .decoding, reason: "unknown \(column) \(raw)", column: column)
        }
        return state
    }
}
