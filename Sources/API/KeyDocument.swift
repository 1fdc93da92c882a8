public import Access
public import Foundation
public import Logging
public import Store

/// A new API key as `POST /v1/keys` answers it and `mpshook keys create --json` prints it: the
/// key itself, shown this once (only its hash is kept), and its record.
public struct CreatedKeyDocument: Codable, Sendable, Equatable {
    /// The whole key, `mpsk_<id>_<secret>`: what clients send as `Authorization: Bearer`.
    public var key: String
    public var id: String
    public var name: String
    public var scope: APIScope
    public var createdAt: Date
    public var createdBy: String
    /// Absent: the key does not expire.
    public var expiresAt: Date?

    public init(key: String, record: APIKeyRecord) {
        self.key = key
        id = record.id
        name = record.name.rawValue
        scope = record.scope
        createdAt = record.createdAt
        createdBy = record.createdBy
        expiresAt = record.expiresAt
    }
}

/// An API key as `GET /v1/keys` and `mpshook keys list --json` show it: never the key or its
/// hash (the record holds neither).
public struct KeyDocument: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var scope: APIScope
    /// Where the key stands at the time of the answer.
    public var status: APIKeyStatus
    public var createdAt: Date
    public var createdBy: String
    public var expiresAt: Date?
    public var revokedAt: Date?
    /// Recorded at most once a minute, so up to a minute behind.
    public var lastUsedAt: Date?

    public init(_ record: APIKeyRecord, now: Date) {
        id = record.id
        name = record.name.rawValue
        scope = record.scope
        status = record.status(at: now)
        createdAt = record.createdAt
        createdBy = record.createdBy
        expiresAt = record.expiresAt
        revokedAt = record.revokedAt
        lastUsedAt = record.lastUsedAt
    }
}

extension APIKeyRecord {
    /// What the audit line of a key's creation or revocation says about it, with who did it
    /// (`actor`): the key's id, name and scope, never the key or its hash. The command line and
    /// the API write the same line.
    public func auditMetadata(actor: String) -> Logger.Metadata {
        [
            "api.key_id": "\(id)", "api.key_name": "\(name)", "api.key_scope": "\(scope.rawValue)",
            "operator.actor": "\(actor)",
        ]
    }
}
