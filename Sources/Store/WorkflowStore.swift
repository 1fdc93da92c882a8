public import Foundation
public import Postgres
public import Workflows

/// One stored workflow version: immutable once written.
public struct StoredWorkflow: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var version: Int
    public var contentHash: String
    /// The canonical JSON the planner reads.
    public var canonical: String
    /// The file as written.
    public var source: String
    public var sourceFile: String?
    public var createdAt: Date
}

/// Why a definition was not stored.
public struct WorkflowStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var version: Int

    public var description: String {
        "workflow \(name) version \(version) is already stored with other content; a stored version never changes: give the file a new version (or none, to take the next)"
    }
}

/// SQL for workflow versions. A version is written once and never changed, so a job that
/// references one runs exactly the definition it started with.
public struct WorkflowStore: Sendable {
    let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// The outcome of ``save(_:source:file:)``.
    public enum Saved: Sendable, Equatable {
        /// A new version was stored.
        case stored(StoredWorkflow)
        /// The same content was stored already (as this version): nothing changed.
        case unchanged(StoredWorkflow)

        public var workflow: StoredWorkflow {
            switch self {
            case .stored(let workflow), .unchanged(let workflow): workflow
            }
        }
    }

    /// Stores `definition` (already validated) as a new version of its name, unless the same
    /// content is stored already. A definition that names its version gets exactly that one
    /// (refused when it is taken by other content); one that does not gets the next free one.
    /// Replicas loading the same folder at once store each content once (a per-name lock).
    public func save(_ definition: WorkflowDefinition, source: String, file: String?) async throws -> Saved {
        let canonical = definition.canonicalJSON
        let hash = definition.contentHash
        return try await client.withTransaction { connection in
            _ = try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\("mpshook.workflow:" + definition.name)))")
            if let same = try await Self.fetch(name: definition.name, hash: hash, on: connection) {
                return .unchanged(same)
            }
            let version: Int
            if let wanted = definition.version {
                if try await Self.fetch(name: definition.name, version: wanted, on: connection) != nil {
                    throw WorkflowStoreError(name: definition.name, version: wanted)
                }
                version = wanted
            } else {
                let rows = try await connection.query("SELECT coalesce(max(version), 0) + 1 FROM workflows WHERE name = \(definition.name)")
                version = try rows[0].decode(Int.self, at: 0)
            }
            _ = try await connection.query("""
                INSERT INTO workflows (name, version, content_hash, canonical, source, source_file)
                VALUES (\(definition.name), \(version), \(hash), \(canonical), \(source), \(file))
                """)
            guard let stored = try await Self.fetch(name: definition.name, version: version, on: connection) else {
                throw PostgresError(code: .decoding, reason: "the stored workflow version could not be read back", column: nil)
            }
            return .stored(stored)
        }
    }

    /// Version `version` of `name`, or its latest when nil.
    public func find(name: String, version: Int? = nil) async throws -> StoredWorkflow? {
        try await client.withConnection { connection in
            try await Self.fetch(name: name, version: version, on: connection)
        }
    }

    /// Every stored version, by name then version.
    public func list() async throws(PostgresError) -> [StoredWorkflow] {
        let rows = try await client.query("""
            SELECT id, name, version, content_hash, canonical, source, source_file, created_at FROM workflows ORDER BY name, version
            """)
        return try rows.map { row throws(PostgresError) in try Self.decode(row) }
    }

    /// The version of `name` with `hash`, or numbered `version`, or else the latest.
    private static func fetch(
        name: String, version: Int? = nil, hash: String? = nil, on connection: PostgresConnection
    ) async throws(PostgresError) -> StoredWorkflow? {
        let rows = try await connection.query("""
            SELECT id, name, version, content_hash, canonical, source, source_file, created_at FROM workflows
            WHERE name = \(name) AND (\(version)::int IS NULL OR version = \(version)) AND (\(hash)::text IS NULL OR content_hash = \(hash))
            ORDER BY version DESC LIMIT 1
            """)
        return try rows.first.map { row throws(PostgresError) in try decode(row) }
    }

    private static func decode(_ row: PostgresRow) throws(PostgresError) -> StoredWorkflow {
        let (id, name, version, hash, canonical, source, file, created) =
            try row.decode((Int64, String, Int, String, String, String, String?, Date).self)
        return StoredWorkflow(
            id: id, name: name, version: version, contentHash: hash, canonical: canonical, source: source, sourceFile: file, createdAt: created
        )
    }
}
