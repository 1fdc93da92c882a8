public import Foundation
public import Postgres

/// One stored workflow as a list shows it: its latest version, and how many there are.
public struct WorkflowSummary: Sendable, Equatable {
    public var name: String
    public var latestVersion: Int
    /// How many versions are stored (versions are numbered from 1, but a file may name its own).
    public var versions: Int
    /// The latest version's content hash.
    public var contentHash: String
    /// When the first version was stored.
    public var createdAt: Date
    /// When the latest version was stored.
    public var updatedAt: Date
    /// The latest version's row id: with `updatedAt`, its place in the list.
    public var latestId: Int64

    /// Where the page after this item starts.
    public var position: ListPosition<Int64> { ListPosition(time: updatedAt, id: latestId) }
}

extension WorkflowStore {
    /// Every stored workflow once (its latest version), the most recently changed first (by
    /// the latest version's creation, then its id), at most `limit`, starting after `after`.
    /// The table holds a few rows per workflow, written by people: read whole, not indexed for this.
    public func summaries(after: ListPosition<Int64>? = nil, limit: Int) async throws(PostgresError) -> ListPage<WorkflowSummary, ListPosition<Int64>> {
        let size = min(max(limit, 1), ListingStore.maximumLimit)
        let rows = try await client.query("""
            SELECT name, version, versions, content_hash, first_created_at, created_at, id FROM (
                SELECT DISTINCT ON (name) name, version, content_hash, created_at, id,
                    count(*) OVER (PARTITION BY name) AS versions, min(created_at) OVER (PARTITION BY name) AS first_created_at
                FROM workflows ORDER BY name, version DESC
            ) latest
            WHERE \(after == nil) OR (created_at, id) < (\(after?.time)::timestamptz, \(after?.id)::int8)
            ORDER BY created_at DESC, id DESC
            LIMIT \(size + 1)
            """)
        let items = try rows.map { row throws(PostgresError) in
            let (name, version, versions, hash, first, latest, id) = try row.decode((String, Int, Int, String, Date, Date, Int64).self)
            return WorkflowSummary(
                name: name, latestVersion: version, versions: versions, contentHash: hash, createdAt: first, updatedAt: latest, latestId: id
            )
        }
        return ListingStore.page(items, limit: size, position: \.position)
    }
}
