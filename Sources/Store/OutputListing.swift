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

/// Where the page after an output starts: outputs have no time of their own and are listed by
/// their step's (newest step first), then step id, then input, last input first.
public struct OutputPosition: Sendable, Hashable {
    public var stepCreatedAt: Date
    public var stepId: UUID
    public var inputIndex: Int

    public init(stepCreatedAt: Date, stepId: UUID, inputIndex: Int) {
        self.stepCreatedAt = stepCreatedAt
        self.stepId = stepId
        self.inputIndex = inputIndex
    }
}

/// One line of the outputs list: the output with its step and job.
public struct OutputListItem: Sendable, Equatable {
    public var stepId: UUID
    public var jobId: UUID
    public var stepName: String
    public var stepCreatedAt: Date
    /// Subtitle paths, URLs and every file per language.
    public var output: OutputView

    /// Where the page after this item starts.
    public var position: OutputPosition {
        OutputPosition(stepCreatedAt: stepCreatedAt, stepId: stepId, inputIndex: output.inputIndex)
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
                stepCreated, stepId, jobId, stepName, index, jobIndex, url, status, progress, path, subtitleURL, code, message, results,
                updated
            ) = try row.decode((
                Date, UUID, UUID, String, Int, Int, String, String, Int, String?, String?, String?, String?, String?, Date
            ).self)
            return OutputListItem(
                stepId: stepId, jobId: jobId, stepName: stepName, stepCreatedAt: stepCreated,
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
                SELECT s.created_at AS step_created_at, s.id AS step_id, s.job_id, s.name AS step_name, o.input_index,
                    coalesce(o.job_input_index, o.input_index) AS job_input_index, o.input_url, o.status, o.progress, o.subtitle_path,
                    o.subtitle_url, o.error_code, o.error_message, o.results::text AS results, o.updated_at
                FROM steps s JOIN outputs o ON o.step_id = s.id
                """,
            order: "s.created_at DESC, s.id DESC, o.input_index DESC",
            pageOrder: "page.step_created_at DESC, page.step_id DESC, page.input_index DESC", rows: Self.pageSize(limit) + 1,
            outerColumns: """
                page.step_created_at, page.step_id, page.job_id, page.step_name, page.input_index, page.job_input_index, page.input_url,
                    page.status, page.progress, page.subtitle_path, page.subtitle_url, page.error_code, page.error_message, page.results,
                    page.updated_at
                """
        )
        if let jobId = filter.jobId { statement.require("s.job_id = \(jobId)") }
        if let stepId = filter.stepId { statement.require("s.id = \(stepId)") }
        if let input = filter.input { statement.require("coalesce(o.job_input_index, o.input_index) = \(input)") }
        if let language = filter.language {
            // Containment in the stored array of SubtitleFile: any file (recognition or
            // translation) in that language.
            statement.require("o.results @> \(Self.languageMatch(language))::jsonb")
        }
        // Not an index of its own: the status is a filter on the steps read newest first.
        let statuses = Array(Set(filter.statuses.map(\.rawValue))).sorted()
        if statuses.count == 1 {
            statement.require("o.status = \(statuses[0])")
        } else if statuses.count > 1 {
            statement.require("o.status = ANY(\(statuses))")
        }
        if let after {
            // The first condition bounds the index scan on steps; the second breaks the tie within a step.
            statement.require("(s.created_at, s.id) <= (\(after.stepCreatedAt), \(after.stepId))")
            statement.require("(s.created_at, s.id, o.input_index) < (\(after.stepCreatedAt), \(after.stepId), \(after.inputIndex))")
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
