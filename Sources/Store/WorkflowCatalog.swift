import Foundation
public import Postgres
import Synchronization
import MPS
public import Workflows

/// The workflow definitions jobs run, read from the `workflows` table and kept in memory: a
/// stored version never changes, so a definition read once is good for the process's life.
public final class WorkflowCatalog: Sendable {
    private let cache = Mutex<[Int64: WorkflowDefinition]>([:])

    public init() {}

    /// The definition of workflow version `id`; nil `id` (a job created with a bare request) is
    /// the one-step workflow. Throws when the version is missing or no longer reads (it was
    /// validated when stored, so that is a bug or a hand edit, and the caller keeps its work failed).
    public func definition(id: Int64?, connection: PostgresConnection) async throws -> WorkflowDefinition {
        guard let id else { return .single(request: [:]) }
        if let known = cache.withLock({ $0[id] }) { return known }
        let rows = try await connection.query("SELECT name, canonical FROM workflows WHERE id = \(id)")
        guard let row = rows.first else {
            throw PostgresError(code: .decoding, reason: "workflow version \(id) is missing", column: "workflow_id")
        }
        let (name, canonical) = try row.decode((String, String).self)
        let definition = try WorkflowDefinition.parse(canonical, file: "workflow \(name) (stored version \(id))").get()
        cache.withLock { $0[id] = definition }
        return definition
    }
}

/// A job's parameters as stored (`jobs.params`, a JSON object).
public enum WorkflowParams {
    public static func decode(_ text: String?) -> [String: ParameterValue] {
        guard let text, let object = try? MPSJSON.decoder.decode(JSONValue.self, from: Data(text.utf8)).objectValue else { return [:] }
        return object.compactMapValues(ParameterValue.init(stored:))
    }

    public static func encode(_ params: [String: ParameterValue]) -> String {
        StepRequest.encode(.object(params.mapValues(\.stored))) ?? "{}"
    }
}

/// An output's subtitle files as stored (`outputs.results`, a JSON array).
enum OutputFiles {
    static func decode(_ text: String?) -> [SubtitleFile] {
        guard let text else { return [] }
        return (try? JSONDecoder().decode([SubtitleFile].self, from: Data(text.utf8))) ?? []
    }

    static func encode(_ files: [SubtitleFile]) -> String? {
        guard !files.isEmpty else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(files)).map { String(decoding: $0, as: UTF8.self) }
    }
}
