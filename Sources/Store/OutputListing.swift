public import Foundation
import MPS
public import Postgres
public import Workflows

/// Which outputs to list. Every filter is optional; those given are AND-ed.
public struct OutputFilter: Sendable, Hashable {
    public var jobId: UUID?
    public var stepId: UUID?
    /// The input's place among the job's inputs (the same video across steps).
    public var input: Int?
    /// Outputs with a subtitle file in this language (recognition or translation).
    public var language: String?
    /// Any of these statuses (empty: any).
    public var statuses: [OutputState]

    public init(jobId: UUID? = nil, stepId: UUID? = nil, input: Int? = nil, language: String? = nil, statuses: [OutputState] = []) {
        self.jobId = jobId
        self.stepId = stepId
        self.input = input
        self.language = language
        self.statuses = statuses
    }
}

/// Where the page after an output starts: outputs are listed by their creation time, which is
/// their step's (newest step first), then step id, then input, last input first.
public struct OutputPosition: Sendable, Hashable {
    public var createdAt: Date
    public var stepId: UUID
    public var inputIndex: Int

    public init(createdAt: Date, stepId: UUID, inputIndex: Int) {
        self.createdAt = createdAt
        self.stepId = stepId
        self.inputIndex = inputIndex
    }
}

/// One line of the outputs list: the output with its step and job.
public struct OutputListItem: Sendable, Equatable {
    public var stepId: UUID
    public var jobId: UUID
    public var stepName: String
    /// Its step's creation time (outputs are created with their step).
    public var createdAt: Date
    /// Subtitle paths, URLs and every file per language.
    public var output: OutputView

    /// Where the page after this item starts.
    public var position: OutputPosition {
        OutputPosition(createdAt: createdAt, stepId: stepId, inputIndex: output.inputIndex)
    }
}

extension ListingStore {
    /// Outputs matching `filter`, newest step first (then step id, then input, last first), at
    /// most `limit` (1…``maximumLimit``), starting after `after`.
    public func outputs(
        _ filter: OutputFilter, after: OutputPosition? = nil, limit: Int
    ) async throws(PostgresError) -> ListPage<OutputListItem, OutputPosition> {
        let size = Self.pageSize(limit)
        let rows = try await client.query(outputsQuery(filter, after: after, limit: size))
        let items = try rows.map { row throws(PostgresError) in
            let (
                created, stepId, jobId, stepName, index, jobIndex, url, status, progress, path, subtitleURL, code, message, results,
                updated
            ) = try row.decode((
                Date, UUID, UUID, String, Int, Int, String, String, Int, String?, String?, String?, String?, String?, Date
            ).self)
            return OutputListItem(
                stepId: stepId, jobId: jobId, stepName: stepName, createdAt: created,
                output: OutputView(
                    inputIndex: index, jobInputIndex: jobIndex, inputURL: url, status: try Self.decoded(status, column: "status"),
                    progress: progress, subtitlePath: path, subtitleURL: subtitleURL, errorCode: code, errorMessage: message,
                    files: OutputFiles.decode(results), updatedAt: updated
                )
            )
        }
        return Self.page(items, limit: size, position: \.position)
    }

    /// The statement ``outputs(_:after:limit:)`` runs (for `EXPLAIN` in the benchmark).
    public func outputsQuery(_ filter: OutputFilter, after: OutputPosition?, limit: Int) -> PostgresQuery {
        var statement = ListingStatement(
            select: """
                SELECT o.created_at, o.step_id, o.input_index, coalesce(o.job_input_index, o.input_index) AS job_input_index, o.input_url,
                    o.status, o.progress, o.subtitle_path, o.subtitle_url, o.error_code, o.error_message, o.results::text AS results,
                    o.updated_at
                FROM outputs o
                """,
            order: "o.created_at DESC, o.step_id DESC, o.input_index DESC",
            pageOrder: "page.created_at DESC, page.step_id DESC, page.input_index DESC", rows: Self.pageSize(limit) + 1,
            outerColumns: """
                page.created_at, page.step_id, s.job_id, s.name, page.input_index, page.job_input_index, page.input_url, page.status,
                    page.progress, page.subtitle_path, page.subtitle_url, page.error_code, page.error_message, page.results, page.updated_at
                """,
            outerJoins: " JOIN steps s ON s.id = page.step_id"
        )
        // One branch per status, each an ordered scan of (status, created_at, …).
        let statuses = Array(Set(filter.statuses.map(\.rawValue))).sorted()
        statement.oneOf(statuses, each: { "o.status = \($0)" }, any: "o.status = ANY(\(statuses))")
        if let jobId = filter.jobId { statement.require("o.step_id IN (SELECT id FROM steps WHERE job_id = \(jobId))") }
        if let stepId = filter.stepId { statement.require("o.step_id = \(stepId)") }
        if let input = filter.input {
            // Spelled on the plain columns (rows stored before workflows have no job_input_index),
            // so the planner estimates it from their statistics.
            statement.require("(o.job_input_index = \(input) OR (o.job_input_index IS NULL AND o.input_index = \(input)))")
        }
        if let language = filter.language {
            // Containment in the stored array of SubtitleFile: any file (recognition or
            // translation) in that language.
            statement.require("o.results @> \(Self.languageMatch(language))::jsonb")
        }
        if let after {
            statement.require("(o.created_at, o.step_id, o.input_index) < (\(after.createdAt), \(after.stepId), \(after.inputIndex))")
        }
        return statement.query
    }

    /// `[{"language": <language>}]` as JSON text.
    static func languageMatch(_ language: String) -> String {
        // Encoding an array of string dictionaries cannot fail; were it to, `false` matches no file.
        let data = (try? JSONEncoder().encode([["language": language]])) ?? Data(#"[{"language":false}]"#.utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
