public import Access
public import Foundation
public import Postgres

/// An API key as stored, without its hash: what listing keys shows. The key itself exists only
/// in the answer to ``APIKeyStore/create(name:scope:expiresAt:createdBy:)``.
public struct APIKeyRecord: Sendable, Equatable {
    /// The public id (12 lower-case hexadecimal digits), part of the key.
    public var id: String
    public var name: APIKeyName
    public var scope: APIScope
    public var createdAt: Date
    /// Who ran `mpshook keys create` (or the key that made it through the API).
    public var createdBy: String
    /// nil: never expires.
    public var expiresAt: Date?
    public var revokedAt: Date?
    /// Recorded at most once a minute, so up to a minute behind.
    public var lastUsedAt: Date?

    /// Where the key stands at `now`.
    public func status(at now: Date) -> APIKeyStatus {
        APIKeyStatus(expiresAt: expiresAt, revokedAt: revokedAt, now: now)
    }
}

/// Why a key was not created.
public struct APIKeyCreationError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// A key that is not revoked has this name already.
        public static let nameTaken = Code("nameTaken")
        /// The database failed; see ``APIKeyCreationError/underlying``.
        public static let database = Code("database")
        public var description: String { name }
    }

    public var code: Code
    public var name: APIKeyName
    public var underlying: PostgresError?

    public var description: String {
        switch code {
        case .nameTaken: "a key named \(name) exists already (revoke it first, or choose another name)"
        default: underlying.map { "\($0)" } ?? "database error"
        }
    }
}

/// SQL for API keys (`api_keys`): create, list, revoke, and the check every API request makes.
public struct APIKeyStore: Sendable {
    /// How often a key's `last_used_at` is written at most: often enough to tell a key in use from
    /// a forgotten one, rarely enough that requests never each cost a write.
    public static let lastUsedResolution: Duration = .seconds(60)

    let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// Makes a key and stores its id and hash; returns the record and the key, which is never
    /// available again. Throws `nameTaken` when a key that is not revoked has `name`.
    public func create(
        name: APIKeyName, scope: APIScope, expiresAt: Date?, createdBy: String
    ) async throws(APIKeyCreationError) -> (APIKeyRecord, secret: String) {
        // A conflict is either the name (among keys not revoked) or, with 48 random bits, a
        // colliding id: that one is retried with a new key; three collisions in a row would
        // mean a broken random source, reported rather than looped on.
        for _ in 0..<3 {
            let key = APIKeySecret.generate()
            let created: APIKeyRecord?
            let nameTaken: Bool
            do throws(PostgresError) {
                let rows = try await client.query("""
                    INSERT INTO api_keys (id, name, scope, hash, expires_at, created_by)
                    VALUES (\(key.id), \(name.rawValue), \(scope.rawValue), \(Data(key.hash)), \(expiresAt), \(createdBy))
                    ON CONFLICT DO NOTHING
                    RETURNING created_at
                    """)
                created = try rows.first.map { row throws(PostgresError) in
                    APIKeyRecord(
                        id: key.id, name: name, scope: scope, createdAt: try row.decode(Date.self, at: 0), createdBy: createdBy,
                        expiresAt: expiresAt, revokedAt: nil, lastUsedAt: nil
                    )
                }
                if created == nil {
                    let live = try await client.query("SELECT 1 FROM api_keys WHERE name = \(name.rawValue) AND revoked_at IS NULL")
                    nameTaken = live.count > 0
                } else {
                    nameTaken = false
                }
            } catch {
                throw APIKeyCreationError(code: .database, name: name, underlying: error)
            }
            if let created { return (created, secret: key.text) }
            if nameTaken { throw APIKeyCreationError(code: .nameTaken, name: name) }
        }
        throw APIKeyCreationError(
            code: .database, name: name,
            underlying: PostgresError(code: .server, reason: "three new key ids in a row were taken: is the random source broken?")
        )
    }

    /// Keys, newest first: those not revoked (expired ones included), or all with `includeRevoked`.
    public func list(includeRevoked: Bool = false) async throws(PostgresError) -> [APIKeyRecord] {
        let rows = try await client.query("""
            SELECT \(unescaped: Self.columns)
            FROM api_keys
            WHERE \(includeRevoked) OR revoked_at IS NULL
            ORDER BY created_at DESC, id DESC
            """)
        return try rows.map(Self.record)
    }

    /// A page of the keys whose status at `now` is one of `statuses` (``APIKeyStatus``'s rule,
    /// repeated in the `WHERE`; the tests hold the two together), newest first by (created_at,
    /// id), strictly after `after`. `limit` is bounded to 1…``ListingStore/maximumLimit``.
    public func page(
        statuses: Set<APIKeyStatus>, after: ListPosition<String>?, limit: Int, now: Date
    ) async throws(PostgresError) -> ListPage<APIKeyRecord, ListPosition<String>> {
        let limit = ListingStore.pageSize(limit)
        // Keys are few (people make them), so one statement with its filters as parameters
        // plans well enough; the listings' per-filter statements are for tables of millions.
        let rows = try await client.query("""
            SELECT \(unescaped: Self.columns)
            FROM api_keys
            WHERE ((\(statuses.contains(.active)) AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > \(now)))
                OR (\(statuses.contains(.expired)) AND revoked_at IS NULL AND expires_at <= \(now))
                OR (\(statuses.contains(.revoked)) AND revoked_at IS NOT NULL))
              AND (\(after == nil) OR (created_at, id) < (\(after?.time), \(after?.id)))
            ORDER BY created_at DESC, id DESC
            LIMIT \(limit + 1)
            """)
        return ListingStore.page(try rows.map(Self.record), limit: limit) { ListPosition(time: $0.createdAt, id: $0.id) }
    }

    /// The key `nameOrId` names: the key with this id, else the key not revoked with this name,
    /// else the newest revoked key with this name (so a repeated revoke by name finds the key the
    /// first one revoked). nil when none has it.
    public func key(nameOrId: String) async throws(PostgresError) -> APIKeyRecord? {
        let rows = try await client.query("""
            SELECT \(unescaped: Self.columns)
            FROM api_keys
            WHERE id = \(nameOrId) OR name = \(nameOrId)
            ORDER BY id = \(nameOrId) DESC, revoked_at IS NULL DESC, created_at DESC, id DESC
            LIMIT 1
            """)
        return try rows.first.map(Self.record)
    }

    /// Revokes the key with this name (among keys not revoked) or id. Returns whether a key was
    /// revoked by this call: revoking a revoked or unknown key changes nothing and returns false,
    /// so a repeated revoke is harmless. (A name cannot be spelled like an id, so at most one key
    /// matches.)
    public func revoke(nameOrId: String) async throws(PostgresError) -> Bool {
        let rows = try await client.query("""
            UPDATE api_keys SET revoked_at = now()
            WHERE (id = \(nameOrId) OR name = \(nameOrId)) AND revoked_at IS NULL
            RETURNING id
            """)
        return rows.count > 0
    }

    /// The principal `presented` (the bearer token) authenticates at `now`, or nil: for a
    /// malformed key (refused without a query), an unknown id, a wrong secret (hashes compared in
    /// constant time), an expired or a revoked key. One statement, which also records
    /// `last_used_at` when the key is good and its last record is at least a minute old: at most
    /// one write per key per minute, however many requests.
    public func authenticate(_ presented: String, now: Date) async throws(PostgresError) -> APIPrincipal? {
        guard let key = APIKeySecret(parsing: presented) else { return nil }
        // The UPDATE's WHERE repeats APIKeyStatus's rule and compares the hash (plainly: it only
        // guards the write; the answer is decided below) so that a refused key is never recorded
        // as used. Rows it does not match are not locked, and a concurrent request that loses the
        // race for the row re-reads it and finds last_used_at fresh: one write.
        let rows = try await client.query("""
            WITH used AS (
                UPDATE api_keys SET last_used_at = \(now)
                WHERE id = \(key.id) AND hash = \(Data(key.hash)) AND revoked_at IS NULL
                    AND (expires_at IS NULL OR expires_at > \(now))
                    AND (last_used_at IS NULL OR last_used_at <= \(now) - \(Int(Self.lastUsedResolution.components.seconds)) * interval '1 second')
            )
            SELECT name, scope, hash, expires_at, revoked_at FROM api_keys WHERE id = \(key.id)
            """)
        guard let row = rows.first else { return nil }
        let (name, scope, hash, expiresAt, revokedAt) = try row.decode((String, String, Data, Date?, Date?).self)
        guard key.matches(storedHash: hash) else { return nil }
        guard APIKeyStatus(expiresAt: expiresAt, revokedAt: revokedAt, now: now) == .active else { return nil }
        return APIPrincipal(keyId: key.id, name: try Self.name(name), scope: try Self.scope(scope))
    }

    /// The columns ``record(_:)`` reads, in its order.
    private static let columns = "id, name, scope, created_at, created_by, expires_at, revoked_at, last_used_at"

    private static func record(_ row: PostgresRow) throws(PostgresError) -> APIKeyRecord {
        let (id, name, scope, createdAt, createdBy, expiresAt, revokedAt, lastUsedAt) =
            try row.decode((String, String, String, Date, String, Date?, Date?, Date?).self)
        return APIKeyRecord(
            id: id, name: try Self.name(name), scope: try Self.scope(scope), createdAt: createdAt, createdBy: createdBy,
            expiresAt: expiresAt, revokedAt: revokedAt, lastUsedAt: lastUsedAt
        )
    }

    private static func name(_ text: String) throws(PostgresError) -> APIKeyName {
        do {
            return try APIKeyName(text)
        } catch {
            throw PostgresError(code: .decoding, reason: "stored key name is not a key name: \(error)", column: "name")
        }
    }

    private static func scope(_ text: String) throws(PostgresError) -> APIScope {
        guard let scope = APIScope(rawValue: text) else {
            throw PostgresError(code: .decoding, reason: "unknown key scope \(text)", column: "scope")
        }
        return scope
    }
}
