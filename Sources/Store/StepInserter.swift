import Correlation
import Foundation
import MPS
import Postgres
import Workflows

/// A step to insert with its outputs: a job's first step (``NewStep``) or a follow-up the
/// planner decided (``PlannedStep``), in the one shape ``StepInserter`` stores.
struct StepRow: Sendable {
    var id: UUID
    var jobId: UUID
    var name: String
    var item: String?
    var run: Int
    /// The runs whose completion planned this one (lineage), in order.
    var parents: [UUID]
    var correlationId: UUID
    var sessionContext: String
    /// The stored request, JSON.
    var request: String
    /// Seconds after it is created before it is due.
    var delaySeconds: Int
    /// Why it cannot be sent: it is created `failed` and its outputs `FAIL`, with this message.
    var refusal: String?
    /// One output per input, in `InputInfo` order, with each input's place among the job's inputs.
    var inputURLs: [String]
    var jobInputIndexes: [Int]

    /// A job's first step, correlated by its creator.
    init(jobId: UUID, step: NewStep) {
        self.init(
            id: step.id, jobId: jobId, name: step.name, item: step.item, run: step.run, parents: [],
            correlationId: step.correlationId, sessionContext: step.sessionContext, request: step.request.text,
            delaySeconds: step.delaySeconds, refusal: nil, inputURLs: step.inputURLs,
            jobInputIndexes: step.jobInputIndexes ?? Array(step.inputURLs.indices)
        )
    }

    /// A planned follow-up, with a new correlation id (and the SessionContext that carries it).
    init(jobId: UUID, planned step: PlannedStep) {
        let correlation = CorrelationId()
        self.init(
            id: step.id, jobId: jobId, name: step.name, item: step.item, run: step.run, parents: step.parents,
            correlationId: correlation.uuid, sessionContext: correlation.sessionContext,
            request: StepRequest.encode(.object(step.request)) ?? "{}", delaySeconds: step.delaySeconds,
            refusal: step.refusal, inputURLs: step.inputs.map(\.url), jobInputIndexes: step.inputs.map(\.jobInputIndex)
        )
    }

    init(
        id: UUID, jobId: UUID, name: String, item: String?, run: Int, parents: [UUID], correlationId: UUID,
        sessionContext: String, request: String, delaySeconds: Int, refusal: String?, inputURLs: [String], jobInputIndexes: [Int]
    ) {
        self.id = id
        self.jobId = jobId
        self.name = name
        self.item = item
        self.run = run
        self.parents = parents
        self.correlationId = correlationId
        self.sessionContext = sessionContext
        self.request = request
        self.delaySeconds = delaySeconds
        self.refusal = refusal
        self.inputURLs = inputURLs
        self.jobInputIndexes = jobInputIndexes
    }
}

/// The one way steps are inserted: a job's first steps (``JobStore/create(_:)``) and the
/// follow-ups a completion planned (``CompletionStore``) alike, on a connection inside the
/// caller's transaction.
///
/// One statement inserts the whole batch and the outputs of the steps it created. A step whose
/// (job, name, fan-out value, run) exists already is skipped with its outputs: the unique key is
/// what makes a follow-up exactly once, whatever planned it twice. A refused step is created
/// `failed` (error `ClientValidation`, finished now) with `FAIL` outputs; the others `pending`,
/// due after their delay. Creating a pending step wakes the dispatchers at commit.
struct StepInserter: Sendable {
    /// The error a step refused before it could be sent records, on the step and its outputs.
    static let refusalCode = "ClientValidation"

    let connection: PostgresConnection

    /// Inserts `rows`; returns the ids of those created (the others existed).
    func insert(_ rows: [StepRow]) async throws(PostgresError) -> Set<UUID> {
        guard !rows.isEmpty else { return [] }
        let parents = rows.flatMap { row in row.parents.map { (step: row.id, parent: $0) } }
        let outputs = rows.flatMap { row in
            zip(row.inputURLs, row.jobInputIndexes).enumerated().map { index, input in
                (step: row.id, index: index, jobIndex: input.1, url: input.0)
            }
        }
        let created = try await connection.query("""
            WITH parents AS (
                SELECT p.step_id, array_agg(p.parent_id ORDER BY p.position) AS ids
                FROM unnest(\(parents.map(\.step))::uuid[], \(parents.map(\.parent))::uuid[])
                    WITH ORDINALITY AS p(step_id, parent_id, position)
                GROUP BY p.step_id
            ),
            created AS (
                INSERT INTO steps (id, job_id, name, item, run, parent_ids, correlation_id, session_context, request, state,
                    next_attempt_at, error_code, error_message, finished_at)
                SELECT s.id, s.job_id, s.name, s.item, s.run, coalesce(parents.ids, '{}'), s.correlation_id, s.session_context,
                    s.request::jsonb,
                    CASE WHEN s.refusal IS NULL THEN \(StepState.pending.rawValue) ELSE \(StepState.failed.rawValue) END,
                    now() + s.delay * interval '1 second',
                    CASE WHEN s.refusal IS NULL THEN NULL ELSE \(Self.refusalCode) END, s.refusal,
                    CASE WHEN s.refusal IS NULL THEN NULL ELSE now() END
                FROM unnest(\(rows.map(\.id))::uuid[], \(rows.map(\.jobId))::uuid[], \(rows.map(\.name))::text[],
                            \(rows.map(\.item))::text[], \(rows.map(\.run))::int[], \(rows.map(\.correlationId))::uuid[],
                            \(rows.map(\.sessionContext))::text[], \(rows.map(\.request))::text[],
                            \(rows.map(\.delaySeconds))::int[], \(rows.map(\.refusal))::text[])
                    AS s(id, job_id, name, item, run, correlation_id, session_context, request, delay, refusal)
                LEFT JOIN parents ON parents.step_id = s.id
                ON CONFLICT (job_id, name, coalesce(item, ''), run) DO NOTHING
                RETURNING id, state, error_code, error_message
            ),
            created_outputs AS (
                INSERT INTO outputs (step_id, input_index, job_input_index, input_url, status, error_code, error_message)
                SELECT o.step_id, o.input_index, o.job_index, o.url,
                    CASE WHEN created.error_code IS NULL THEN \(OutputState.waiting.rawValue) ELSE \(OutputState.fail.rawValue) END,
                    created.error_code, created.error_message
                FROM unnest(\(outputs.map(\.step))::uuid[], \(outputs.map(\.index))::int[], \(outputs.map(\.jobIndex))::int[],
                            \(outputs.map(\.url))::text[])
                    AS o(step_id, input_index, job_index, url)
                JOIN created ON created.id = o.step_id
            )
            SELECT id, state FROM created
            """)
        var ids: Set<UUID> = []
        var wake = false
        for row in created {
            let (id, state) = try row.decode((UUID, String).self)
            ids.insert(id)
            wake = wake || state == StepState.pending.rawValue
        }
        if wake {
            _ = try await connection.query("SELECT pg_notify(\(JobStore.stepsChannel), '')")
        }
        return ids
    }
}
