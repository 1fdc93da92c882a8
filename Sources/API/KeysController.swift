import Access
import Foundation
import Hummingbird
import Logging
public import Postgres
import Store

/// API keys over the API (scope `admin` for every route: a key's name, scope and maker are the
/// operators' business), the same as `mpshook keys create|list|revoke`, with the calling key as
/// the actor (`key:<name>/<id>`) in the record and in the audit line.
///
/// - `GET /v1/keys?status=active,expired,revoked&cursor=&limit=`: keys newest first; without
///   `status`, those not revoked (as `keys list`). Never a key or its hash.
/// - `POST /v1/keys` `{"name", "scope", "expires"?}` (`expires` as `keys create --expires` takes
///   it: `90d`, `12h`, `30m`, a date or a time with its zone): `201` with the key, shown this once,
///   `Cache-Control: no-store` and `Location: /v1/keys/{id}`; `400` naming each bad member;
///   `409` at `name` when a key not revoked has the name.
/// - `GET /v1/keys/{key}` (an id, or a name as ``APIKeyStore/key(nameOrId:)`` reads it).
/// - `POST /v1/keys/{key}/revoke`: `200` with the key, revoked; again: `200`, nothing changes;
///   `409` for the calling key itself (see ``revoke(_:context:)``).
///
/// `404` for an unknown key (or a text that is neither a key name nor an id), `503` when the
/// database fails. Creation and revocation each write one `notice` line with the key's id, name
/// and scope and the actor, never the key.
public struct KeysController: Sendable {
    static let list = PageList.keys

    let store: APIKeyStore

    public init(client: PostgresClient) {
        self.store = APIKeyStore(client: client)
    }

    /// Adds the routes to the API's scoped groups.
    public func register(on routes: APIRoutes) {
        routes.on(.get, "keys", scope: .admin) { request, context in try await self.list(request, context: context) }
        routes.on(.post, "keys", scope: .admin) { request, context in try await self.create(request, context: context) }
        routes.on(.get, "keys/{key}", scope: .admin) { request, context in try await self.show(request, context: context) }
        routes.on(.post, "keys/{key}/revoke", scope: .admin) { request, context in try await self.revoke(request, context: context) }
    }

    func list(_ request: Request, context: APIRequestContext) async throws(APIProblem) -> Response {
        let query = try QueryReader(request, allowed: QueryReader.paging.union(["status"]))
        let given = try query.values("status", as: APIKeyStatus.self)
        let statuses: Set<APIKeyStatus> = given.isEmpty ? [.active, .expired] : Set(given)
        let after = try query.position(in: Self.list) { APIKeySecret.isKeyId(String($0)) ? String($0) : nil }
        let limit = try query.limit()
        let now = Date()
        let page = try await DatabaseCall.run("keys not listed", context: context) {
            try await store.page(statuses: statuses, after: after, limit: limit, now: now)
        }
        return try APIResponse.json(.ok, Page(
            items: page.items.map { KeyDocument($0, now: now) },
            nextCursor: page.next.map { PageCursor.after($0, in: Self.list) }
        ))
    }

    func create(_ request: Request, context: APIRequestContext) async throws(APIProblem) -> Response {
        let principal = try context.principal()
        let now = Date()
        let body = try await ActionBody.read(request, members: Self.members(now: now))
        // `members` checked each against the same rules with the same `now`: these cannot fail.
        guard let name = body["name"].flatMap({ try? APIKeyName($0) }), let scope = body["scope"].flatMap(APIScope.init) else {
            throw .internalError
        }
        var expiresAt: Date?
        if let expires = body["expires"] {
            guard let date = try? APIKeyExpiry.parse(expires, now: now, label: "expires") else { throw .internalError }
            expiresAt = date
        }
        let (record, secret) = try await DatabaseCall.run("key not created", context: context, refusal: Self.refusal) {
            try await store.create(name: name, scope: scope, expiresAt: expiresAt, createdBy: principal.actor)
        }
        let created = (record: record, secret: secret)
        context.logger.notice("API key created", metadata: created.record.auditMetadata(actor: principal.actor))
        var response = try APIResponse.json(
            .created, CreatedKeyDocument(key: created.secret, record: created.record), location: "/v1/keys/" + created.record.id
        )
        // The key is in this body and nowhere else: no cache may keep a copy.
        response.headers[.cacheControl] = "no-store"
        return response
    }

    func show(_ request: Request, context: APIRequestContext) async throws(APIProblem) -> Response {
        _ = try QueryReader(request, allowed: [])
        let record = try await key(context: context)
        return try APIResponse.json(.ok, KeyDocument(record, now: Date()))
    }

    /// Revokes the key the path names: it stops authenticating at once (requests already past
    /// the check finish). Idempotent: a revoked key is answered as it is.
    ///
    /// A key may not revoke itself (`409`): the answer would be the last thing it could do, and
    /// when it is the only admin key the API would be locked out of its own keys until someone
    /// runs `mpshook keys revoke` on the database. Rotation never needs it (the new key revokes
    /// the old one), and a leaked key is revoked with another admin key or the command line.
    func revoke(_ request: Request, context: APIRequestContext) async throws(APIProblem) -> Response {
        _ = try QueryReader(request, allowed: [])
        let principal = try context.principal()
        let record = try await key(context: context)
        guard record.id != principal.keyId else {
            throw APIProblem(
                .conflict, .keyRevokesItself,
                "a key cannot revoke itself: revoke it with another admin key, or with `mpshook keys revoke`"
            )
        }
        let revoked = try await DatabaseCall.run("key not revoked", context: context) { try await store.revoke(nameOrId: record.id) }
        if revoked {
            context.logger.notice("API key revoked", metadata: record.auditMetadata(actor: principal.actor))
        }
        // A key is never deleted: it is there, revoked now (by this call or an earlier one).
        guard let after = try await DatabaseCall.run("key not read", context: context, { try await store.key(nameOrId: record.id) }) else {
            throw .internalError
        }
        return try APIResponse.json(.ok, KeyDocument(after, now: Date()))
    }

    /// The key `{key}` names; a 404 for a text that is neither a name nor an id, or names none.
    private func key(context: APIRequestContext) async throws(APIProblem) -> APIKeyRecord {
        guard let text = context.parameters.get("key"), APIKeySecret.isKeyId(text) || (try? APIKeyName(text)) != nil else {
            throw .keyNotFound
        }
        guard let record = try await DatabaseCall.run("key not read", context: context, { try await store.key(nameOrId: text) }) else {
            throw .keyNotFound
        }
        return record
    }

    /// The body `POST /v1/keys` takes, each member checked by `Access`'s rule.
    static func members(now: Date) -> [ActionBody.Member] {
        [
            ActionBody.Member(name: "name", required: true) { text in
                do throws(APIKeyName.Invalid) {
                    _ = try APIKeyName(text)
                    return nil
                } catch {
                    return error.description
                }
            },
            ActionBody.Member(name: "scope", required: true) { text in
                APIScope(rawValue: text) == nil
                    ? "must be one of \(APIScope.allCases.map(\.rawValue).joined(separator: ", "))" : nil
            },
            ActionBody.Member(name: "expires", required: false) { text in
                do throws(APIKeyExpiry.Invalid) {
                    _ = try APIKeyExpiry.parse(text, now: now, label: "expires")
                    return nil
                } catch {
                    return error.description
                }
            },
        ]
    }

    /// A name a live key has already: 409 at `name`.
    static func refusal(_ error: any Error) -> APIProblem? {
        guard let error = error as? APIKeyCreationError, error.code == .nameTaken else { return nil }
        return APIProblem(
            .conflict, .keyNameTaken, error.description,
            errors: [ProblemDocument.FieldError(field: "name", message: error.description, code: "mpshook.KeyNameTaken")]
        )
    }
}
