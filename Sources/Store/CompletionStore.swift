public import Foundation
import MPS
public import Postgres
public import Workflows

/// A change to one step decided by `Workflows`, for ``CompletionStore/complete(_:)`` to persist.
public struct StepChange: Sendable {
    public var stepId: UUID
    public var jobId: UUID
    /// The state read under the step's lock, and the state `Workflows` moved it to (maybe the same).
    public var from: StepState
    public var to: StepState
    /// Outputs that changed (merged reports, or failed with the step's refusal).
    public var outputs: [OutputRecord]
    /// Set when the step ends by a refusal: its error; cleared when a callback resolves it.
    public var error: (code: String, message: String)?
    /// Set when MPS reported on the step (a callback or a polled answer applied), even one that
    /// changed nothing: its `last_report_at` becomes now and the reconciler decides its next
    /// poll again (`next_poll_at` cleared).
    public var reported: Bool

    public init(
        stepId: UUID, jobId: UUID, from: StepState, to: StepState, outputs: [OutputRecord],
        error: (code: String, message: String)? = nil, reported: Bool = false
    ) {
        self.stepId = stepId
        self.jobId = jobId
        self.from = from
        self.to = to
        self.outputs = outputs
        self.error = error
        self.reported = reported
    }
}

/// What one completion did.
public struct CompletionResult: Sendable {
    /// Steps that reached a final state, with their outcome and every output.
    public var finishedSteps: [(stepId: UUID, state: StepState, outputs: [OutputRecord])]
    /// Follow-up steps created (exactly once: see ``CompletionStore``).
    public var plannedSteps: [PlannedStep]
    /// Jobs that ended, with their final state.
    public var finishedJobs: [(jobId: UUID, state: JobState)]
}

/// A step as locked for a change: its state and its outputs.
public struct LockedStep: Sendable {
    public var id: UUID
    public var jobId: UUID
    public var correlationId: UUID
    public var state: StepState
    /// In input order.
    public var outputs: [OutputRecord]
    /// How long ago it was submitted, on the database's clock (nil when never submitted): the
    /// callback latency when this report finishes it.
    public var secondsSinceSubmitted: Double? = nil
}

/// The one completion path: every change to a step's outcome goes through ``complete(_:)``, on a
/// connection inside the caller's transaction (the applier's batch, the dispatcher's refusal).
///
/// It writes the outputs and step states `Workflows` decided, and for every job with a step that
/// finished: locks the job, reads its whole graph, asks ``Planner`` what comes next, inserts the
/// planned steps with their outputs, finishes the job when nothing remains, and wakes the
/// dispatchers (`pg_notify`, delivered at commit). Follow-ups are created exactly once: the job
/// lock serialises planning for a job across transactions and replicas (the second planner sees
/// the first one's steps and plans nothing), and the unique key on (job, step, fan-out value,
/// run) refuses a second copy whatever happens.
public struct CompletionStore: Sendable {
    let connection: PostgresConnection
    let catalog: WorkflowCatalog

    /// Statements run on `connection`, which must be inside a transaction.
    public init(connection: PostgresConnection, catalog: WorkflowCatalog) {
        self.connection = connection
        self.catalog = catalog
    }

    /// Locks the steps (in id order, so concurrent completions never deadlock) and reads their
    /// state and outputs. Missing ids are left out.
    public func lockSteps(ids: [UUID]? = nil, correlationIds: [UUID]? = nil) async throws(PostgresError) -> [LockedStep] {
        let rows: PostgresRows
        if let correlationIds {
            guard !correlationIds.isEmpty else { return [] }
            rows = try await connection.query("""
                SELECT id, job_id, correlation_id, state, extract(epoch FROM clock_timestamp() - submitted_at)::float8 FROM steps
                WHERE correlation_id = ANY(\(correlationIds)::uuid[])
                ORDER BY id
                FOR UPDATE
                """)
        } else {
            let ids = ids ?? []
            guard !ids.isEmpty else { return [] }
            rows = try await connection.query("""
                SELECT id, job_id, correlation_id, state, extract(epoch FROM clock_timestamp() - submitted_at)::float8 FROM steps
                WHERE id = ANY(\(ids)::uuid[])
                ORDER BY id
                FOR UPDATE
                """)
        }
        var steps: [LockedStep] = []
        for row in rows {
            let (id, jobId, correlationId, state, submitted) = try row.decode((UUID, UUID, UUID, String, Double?).self)
            steps.append(LockedStep(
                id: id, jobId: jobId, correlationId: correlationId, state: try Self.stepState(state), outputs: [], secondsSinceSubmitted: submitted
            ))
        }
        let outputs = try await self.outputs(stepIds: steps.map(\.id))
        for index in steps.indices { steps[index].outputs = outputs[steps[index].id] ?? [] }
        return steps
    }

    /// Persists `changes`, then plans what follows every step that finished (see the type).
    public func complete(_ changes: [StepChange]) async throws -> CompletionResult {
        try await writeOutputs(changes.flatMap { change in change.outputs.map { (change.stepId, $0) } })
        try await writeStates(changes.filter { $0.from != $0.to || $0.error != nil || $0.reported })

        let finishing = changes.filter { $0.to.isTerminal && !$0.from.isTerminal }
        guard !finishing.isEmpty else { return CompletionResult(finishedSteps: [], plannedSteps: [], finishedJobs: []) }
        let jobIds = Array(Set(finishing.map(\.jobId))).sorted()
        let jobs = try await lockRunningJobs(jobIds)
        let graphs = try await graphs(of: jobs)

        var planned: [(jobId: UUID, step: PlannedStep)] = []
        var finishedJobs: [(jobId: UUID, state: JobState)] = []
        for graph in graphs {
            let plan = Planner.plan(graph)
            planned += plan.steps.map { (graph.jobId, $0) }
            if let final = plan.finished { finishedJobs.append((graph.jobId, final)) }
        }
        let created = try await insert(planned)
        try await finishJobs(finishedJobs)
        let byStep = Dictionary(graphs.flatMap(\.runs).map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return CompletionResult(
            finishedSteps: finishing.map { ($0.stepId, $0.to, byStep[$0.stepId]?.outputs ?? $0.outputs) },
            plannedSteps: created.map(\.step),
            finishedJobs: finishedJobs
        )
    }

    /// A step refused before MPS ran anything (a final refusal, a request that cannot be built):
    /// it fails, its outputs end `FAIL` with the refusal, and its job goes on (a branch on
    /// failure) or ends. Nothing happens when the step is no longer in a state a refusal applies to.
    public func refuse(stepId: UUID, code: String, message: String) async throws -> CompletionResult? {
        guard let step = try await lockSteps(ids: [stepId]).first, let next = step.state.after(.refuse) else { return nil }
        let outputs = step.outputs.map { $0.failed(code: code, message: message) }
        return try await complete([
            StepChange(stepId: step.id, jobId: step.jobId, from: step.state, to: next, outputs: outputs, error: (code, message))
        ])
    }

    // MARK: Statements

    /// Every output of the steps, in input order, keyed by step.
    func outputs(stepIds: [UUID]) async throws(PostgresError) -> [UUID: [OutputRecord]] {
        guard !stepIds.isEmpty else { return [:] }
        let rows = try await connection.query("""
            SELECT step_id, input_index, coalesce(job_input_index, input_index), input_url, status, progress,
                subtitle_path, subtitle_url, error_code, error_message, results::text, media_seconds
            FROM outputs WHERE step_id = ANY(\(stepIds)::uuid[])
            ORDER BY step_id, input_index
            """)
        var outputs: [UUID: [OutputRecord]] = [:]
        for row in rows {
            let (stepId, index, jobIndex, url, status, progress, path, subtitleURL, code, message, results, seconds) =
                try row.decode((UUID, Int, Int, String, String, Int, String?, String?, String?, String?, String?, Double?).self)
            guard let state = OutputState(rawValue: status) else {
                throw PostgresError(code: .decoding, reason: "unknown output status \(status)", column: "status")
            }
            outputs[stepId, default: []].append(OutputRecord(
                inputIndex: index, jobInputIndex: jobIndex, inputURL: url, state: state, progress: progress,
                subtitlePath: path, subtitleURL: subtitleURL, errorCode: code, errorMessage: message,
                files: OutputFiles.decode(results), mediaSeconds: seconds
            ))
        }
        return outputs
    }

    /// The callers hold the steps' locks, so the outputs are written as decided.
    private func writeOutputs(_ outputs: [(stepId: UUID, output: OutputRecord)]) async throws(PostgresError) {
        guard !outputs.isEmpty else { return }
        _ = try await connection.query("""
            UPDATE outputs SET status = o.status, progress = o.progress, subtitle_path = o.path, subtitle_url = o.url,
                error_code = o.error_code, error_message = o.error_message, results = o.results::jsonb, media_seconds = o.media_seconds,
                updated_at = now()
            FROM unnest(\(outputs.map(\.stepId))::uuid[], \(outputs.map(\.output.inputIndex))::int[],
                        \(outputs.map(\.output.state.rawValue))::text[], \(outputs.map(\.output.progress))::int[],
                        \(outputs.map(\.output.subtitlePath))::text[], \(outputs.map(\.output.subtitleURL))::text[],
                        \(outputs.map(\.output.errorCode))::text[], \(outputs.map(\.output.errorMessage))::text[],
                        \(outputs.map { OutputFiles.encode($0.output.files) })::text[], \(outputs.map(\.output.mediaSeconds))::float8[])
                AS o(step_id, input_index, status, progress, path, url, error_code, error_message, results, media_seconds)
            WHERE outputs.step_id = o.step_id AND outputs.input_index = o.input_index
            """)
    }

    /// Each step moves only from the state it was read in (under its lock), to the state
    /// `Workflows` decided. A step that leaves `submitting`/`submit_unknown`/`lost` because its
    /// callback came loses the unclear attempt's error; a refusal records its own. A reported
    /// one records when MPS last spoke of it.
    private func writeStates(_ changes: [StepChange]) async throws(PostgresError) {
        guard !changes.isEmpty else { return }
        // The states a callback resolves (the unclear attempt's error no longer describes the step).
        let resolved = StepState.changing(on: .taskReported).map(\.rawValue)
        _ = try await connection.query("""
            UPDATE steps SET state = c.to_state,
                error_code = CASE WHEN c.has_error THEN c.error_code WHEN c.from_state = ANY(\(resolved)::text[]) THEN NULL ELSE steps.error_code END,
                error_message = CASE WHEN c.has_error THEN c.error_message WHEN c.from_state = ANY(\(resolved)::text[]) THEN NULL ELSE steps.error_message END,
                finished_at = CASE WHEN c.to_state = ANY(\(StepState.allCases.filter(\.isTerminal).map(\.rawValue))::text[])
                                   THEN coalesce(steps.finished_at, now()) ELSE steps.finished_at END,
                last_report_at = CASE WHEN c.reported THEN now() ELSE steps.last_report_at END,
                next_poll_at = CASE WHEN c.reported THEN NULL ELSE steps.next_poll_at END,
                updated_at = now()
            FROM unnest(\(changes.map(\.stepId))::uuid[], \(changes.map(\.from.rawValue))::text[], \(changes.map(\.to.rawValue))::text[],
                        \(changes.map { $0.error != nil })::bool[], \(changes.map { $0.error?.code })::text[],
                        \(changes.map { $0.error?.message })::text[], \(changes.map(\.reported))::bool[])
                AS c(id, from_state, to_state, has_error, error_code, error_message, reported)
            WHERE steps.id = c.id AND steps.state = c.from_state
            """)
    }

    private struct JobRow {
        var id: UUID
        var workflowId: Int64?
        var params: String?
        var inputURLs: [String]?
    }

    /// Locks the running jobs among `ids` (in id order), so planning for a job is serialised.
    /// Only a job that admits submissions is planned for or finished by its steps: a cancelled
    /// job's steps that still finish change nothing else (``JobCancellation``).
    private func lockRunningJobs(_ ids: [UUID]) async throws(PostgresError) -> [JobRow] {
        let rows = try await connection.query("""
            SELECT id, workflow_id, params::text, input_urls FROM jobs
            WHERE id = ANY(\(ids)::uuid[]) AND state = ANY(\(JobState.allCases.filter(\.admitsSubmissions).map(\.rawValue))::text[])
            ORDER BY id
            FOR UPDATE
            """)
        return try rows.map { row throws(PostgresError) in
            let (id, workflowId, params, inputs) = try row.decode((UUID, Int64?, String?, [String]?).self)
            return JobRow(id: id, workflowId: workflowId, params: params, inputURLs: inputs)
        }
    }

    /// Each job's graph: its definition (from the catalog), inputs, parameters and every step run.
    private func graphs(of jobs: [JobRow]) async throws -> [JobGraph] {
        guard !jobs.isEmpty else { return [] }
        let rows = try await connection.query("""
            SELECT id, job_id, name, item, run, state, parent_ids FROM steps
            WHERE job_id = ANY(\(jobs.map(\.id))::uuid[])
            ORDER BY created_at, id
            """)
        var runs: [UUID: [StepRun]] = [:]
        for row in rows {
            let (id, jobId, name, item, run, state, parents) = try row.decode((UUID, UUID, String, String?, Int, String, [UUID]).self)
            runs[jobId, default: []].append(StepRun(id: id, name: name, item: item, run: run, state: try Self.stepState(state), parents: parents, outputs: []))
        }
        let outputs = try await self.outputs(stepIds: runs.values.flatMap { $0.map(\.id) })
        var graphs: [JobGraph] = []
        for job in jobs {
            var jobRuns = runs[job.id] ?? []
            for index in jobRuns.indices { jobRuns[index].outputs = outputs[jobRuns[index].id] ?? [] }
            let definition = try await catalog.definition(id: job.workflowId, connection: connection)
            let inputs = job.inputURLs ?? Self.inputs(of: jobRuns)
            graphs.append(JobGraph(
                jobId: job.id, definition: definition, inputURLs: inputs, params: WorkflowParams.decode(job.params), runs: jobRuns
            ))
        }
        return graphs
    }

    /// Jobs stored before workflows kept no input list: their first step's inputs are the job's.
    private static func inputs(of runs: [StepRun]) -> [String] {
        runs.first.map { $0.outputs.sorted { $0.jobInputIndex < $1.jobInputIndex }.map(\.inputURL) } ?? []
    }

    /// Inserts planned steps and their outputs (``StepInserter``, which wakes the dispatchers when
    /// one is pending); a step whose (job, name, item, run) exists is skipped (never a second
    /// copy). Returns the ones created.
    private func insert(_ planned: [(jobId: UUID, step: PlannedStep)]) async throws(PostgresError) -> [(jobId: UUID, step: PlannedStep)] {
        let created = try await StepInserter(connection: connection).insert(planned.map { StepRow(jobId: $0.jobId, planned: $0.step) })
        return planned.filter { created.contains($0.step.id) }
    }

    /// Running jobs end in the state the planner gave, and each with a callback URL gets its
    /// webhook's outbox row in the same transaction (so a job never ends without one, and a
    /// rolled-back end leaves none).
    private func finishJobs(_ finished: [(jobId: UUID, state: JobState)]) async throws(PostgresError) {
        let final = finished.filter { JobState.running.canMove(to: $0.state) }
        guard !final.isEmpty else { return }
        let ended = try await connection.query("""
            UPDATE jobs SET state = f.state, finished_at = now(), updated_at = now()
            FROM unnest(\(final.map(\.jobId))::uuid[], \(final.map(\.state.rawValue))::text[]) AS f(id, state)
            WHERE jobs.id = f.id AND jobs.state = 'running'
            RETURNING jobs.id
            """)
        let jobIds = try ended.map { row throws(PostgresError) in try row.decode(UUID.self, at: 0) }
        try await WebhookStore.enqueue(jobIds: jobIds, on: connection)
    }

    static func stepState(_ raw: String) throws(PostgresError) -> StepState {
        guard let state = StepState(rawValue: raw) else {
            throw PostgresError(code: .decoding, reason: "unknown step state \(raw)", column: "state")
        }
        return state
    }
}
