import Access
import API
import App
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Postgres
import Prometheus
import Store
import TestSupport
import Testing

/// `GET|POST /v1/keys`, `GET /v1/keys/{key}`, `POST /v1/keys/{key}/revoke` through the router
/// `serve` builds, on a real PostgreSQL, with real keys.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct KeysAPITests {
    /// An admin key made the way `mpshook keys create` makes it, and what the API says about it.
    struct Admin {
        var record: APIKeyRecord
        var header: HTTPFields
        var actor: String { "key:\(record.name)/\(record.id)" }
    }

    /// A migrated fresh database, the router `serve` builds (logging into `logs`), an admin key.
    static func withAPI(
        logs: CapturedLogs = CapturedLogs(),
        _ body: @escaping @Sendable (PostgresClient, any TestClientProtocol, Admin) async throws -> Void
    ) async throws {
        let migrator = try Migrator.load(directory: TestDatabase.repositoryRoot.appendingPathComponent("migrations").path)
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        try await TestDatabase.withFreshDatabase { url in
            try await TestDatabase.withClient(url: url) { client in
                try await migrator.migrate(client, logger: quiet)
                let (record, secret) = try await APIKeyStore(client: client).create(
                    name: APIKeyName("root"), scope: .admin, expiresAt: nil, createdBy: "test"
                )
                let admin = Admin(record: record, header: [.authorization: "Bearer \(secret)"])
                let readiness = DatabaseReadiness(client: client, migrator: migrator, interval: .seconds(1), logger: quiet)
                let router = Server.makeRouter(readiness: readiness, registry: PrometheusCollectorRegistry(), api: RESTAPI(client: client))
                let logger = Logger(label: "test", factory: { _ in logs.handler() })
                try await Application(router: router, logger: logger).test(.router) { http in
                    try await body(client, http, admin)
                }
            }
        }
    }

    static func post(
        _ http: some TestClientProtocol, _ uri: String, _ body: String?, key: HTTPFields, contentType: String = "application/json"
    ) async throws -> TestResponse {
        var headers = key
        if body != nil { headers[.contentType] = contentType }
        return try await http.execute(uri: uri, method: .post, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }

    static func get(_ http: some TestClientProtocol, _ uri: String, key: HTTPFields) async throws -> TestResponse {
        try await http.execute(uri: uri, method: .get, headers: key)
    }

    static func decode<Value: Decodable>(_ type: Value.Type, _ response: TestResponse) throws -> Value {
        try APIJSON.decoder().decode(type, from: Data(String(buffer: response.body).utf8))
    }

    struct KeyPage: Decodable {
        var items: [KeyDocument]
        var nextCursor: String?
    }

    /// The fields a problem names, sorted.
    static func fields(_ response: TestResponse) throws -> [String] {
        try decode(ProblemDocument.self, response).errors.map { $0.map(\.field).sorted() } ?? []
    }

    @Test func aCreatedKeyIsShownOnceNotCachedAndAuthenticatesWithItsScope() async throws {
        let logs = CapturedLogs()
        try await Self.withAPI(logs: logs) { _, http, admin in
            let before = Date()
            let response = try await Self.post(http, "/v1/keys", #"{"name":"grafana","scope":"read","expires":"90d"}"#, key: admin.header)
            #expect(response.status == .created)
            #expect(response.headers[.cacheControl] == "no-store")
            let created = try Self.decode(CreatedKeyDocument.self, response)
            #expect(response.headers[.location] == "/v1/keys/\(created.id)")
            #expect(created.name == "grafana")
            #expect(created.scope == .read)
            #expect(created.createdBy == admin.actor)
            let expiresAt = try #require(created.expiresAt)
            #expect(abs(expiresAt.timeIntervalSince(before) - 90 * 86_400) < 60)
            let secret = try #require(APIKeySecret(parsing: created.key))
            #expect(secret.id == created.id)

            // The new key authenticates, with its scope: a read key reads, and may not manage keys.
            let readKey: HTTPFields = [.authorization: "Bearer \(created.key)"]
            let job = try await Self.get(http, "/v1/jobs/\(UUID().uuidString.lowercased())", key: readKey)
            #expect(job.status == .notFound)
            #expect(try await Self.get(http, "/v1/keys", key: readKey).status == .forbidden)

            // An admin key made through the API manages keys.
            let adminResponse = try await Self.post(http, "/v1/keys", #"{"name":"oncall","scope":"admin"}"#, key: admin.header)
            let second = try Self.decode(CreatedKeyDocument.self, adminResponse)
            #expect(second.expiresAt == nil)
            #expect(try await Self.get(http, "/v1/keys", key: [.authorization: "Bearer \(second.key)"]).status == .ok)

            // One notice line per creation, naming the key and the actor, never the key itself.
            let lines = logs.lines.filter { $0.message == "API key created" }
            #expect(lines.count == 2)
            #expect(lines.allSatisfy { $0.level == .notice && $0.metadata["operator.actor"] == "\(admin.actor)" })
            #expect(lines.first?.metadata["api.key_id"] == "\(created.id)")
            let everything = logs.all.joined(separator: "\n")
            #expect(!everything.contains(created.key) && !everything.contains(second.key))
        }
    }

    @Test func theListShowsNoSecretAndFiltersByStatusPageByPage() async throws {
        try await Self.withAPI { client, http, admin in
            let store = APIKeyStore(client: client)
            var secrets: [String] = []
            for index in 0..<4 {
                let response = try await Self.post(http, "/v1/keys", #"{"name":"k\#(index)","scope":"write"}"#, key: admin.header)
                secrets.append(try Self.decode(CreatedKeyDocument.self, response).key)
            }
            // Expired: made with a past expiry through the store (the API refuses one).
            let (expired, expiredSecret) = try await store.create(
                name: APIKeyName("old"), scope: .read, expiresAt: Date().addingTimeInterval(-3600), createdBy: "test"
            )
            secrets.append(expiredSecret)
            // Revoked after it expired: revoked, not expired (APIKeyStatus: revoked wins).
            let (_, goneSecret) = try await store.create(
                name: APIKeyName("gone"), scope: .read, expiresAt: Date().addingTimeInterval(-60), createdBy: "test"
            )
            secrets.append(goneSecret)
            #expect(try await Self.post(http, "/v1/keys/gone/revoke", nil, key: admin.header).status == .ok)
            #expect(try await Self.post(http, "/v1/keys/k1/revoke", nil, key: admin.header).status == .ok)

            let all = try await store.list(includeRevoked: true)
            #expect(all.count == 7)
            let now = Date()
            func expected(_ statuses: Set<APIKeyStatus>) -> [String] {
                all.filter { statuses.contains($0.status(at: now)) }.map(\.id)
            }

            // Default: not revoked (as `keys list`); the statuses as asked; nothing secret anywhere.
            for (query, statuses) in [
                ("", Set<APIKeyStatus>([.active, .expired])), ("?status=revoked", [.revoked]), ("?status=expired", [.expired]),
                ("?status=active,revoked", [.active, .revoked]), ("?status=active&status=expired&status=revoked", Set(APIKeyStatus.allCases)),
            ] {
                let response = try await Self.get(http, "/v1/keys" + query, key: admin.header)
                #expect(response.status == .ok, "\(query)")
                let text = String(buffer: response.body)
                #expect(!secrets.contains { text.contains($0) }, "\(query)")
                #expect(!text.contains("\"key\"") && !text.contains("hash"), "\(query)")
                let page = try Self.decode(KeyPage.self, response)
                #expect(page.items.map(\.id) == expected(statuses), "\(query)")
                #expect(page.nextCursor == nil)
            }
            let listed = try Self.decode(KeyPage.self, try await Self.get(http, "/v1/keys?status=expired", key: admin.header))
            #expect(listed.items.map(\.status) == [.expired] && listed.items.first?.id == expired.id)

            // The store's SQL and APIKeyStatus agree on every combination of statuses.
            for mask in 1..<8 {
                let statuses = Set(APIKeyStatus.allCases.enumerated().filter { mask & (1 << $0.offset) != 0 }.map(\.element))
                let page = try await store.page(statuses: statuses, after: nil, limit: 200, now: now)
                #expect(page.items.map(\.id) == expected(statuses), "\(statuses)")
            }

            // Page by page, one key a page: every key once, newest first.
            var seen: [String] = []
            var cursor: String?
            repeat {
                let uri = "/v1/keys?status=active,expired,revoked&limit=1" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try Self.decode(KeyPage.self, try await Self.get(http, uri, key: admin.header))
                #expect(page.items.count == 1)
                seen += page.items.map(\.id)
                cursor = page.nextCursor
            } while cursor != nil && seen.count < 10
            #expect(seen == all.map(\.id))

            // Bad parameters: 400 naming each.
            let jobsCursor = PageCursor(list: "jobs", time: now, id: UUID().uuidString.lowercased()).text
            for (query, field) in [
                ("?status=gone", "status"), ("?limit=0", "limit"), ("?limit=201", "limit"), ("?cursor=xyz", "cursor"),
                ("?cursor=\(jobsCursor)", "cursor"), ("?all=true", "all"),
            ] {
                let response = try await Self.get(http, "/v1/keys" + query, key: admin.header)
                #expect(response.status == .badRequest, "\(query)")
                #expect(try Self.fields(response) == [field], "\(query)")
            }
        }
    }

    @Test func aRevokedKeyGets401OnItsNextRequestAndRevokingIsIdempotent() async throws {
        let logs = CapturedLogs()
        try await Self.withAPI(logs: logs) { _, http, admin in
            let created = try Self.decode(
                CreatedKeyDocument.self, try await Self.post(http, "/v1/keys", #"{"name":"ci","scope":"admin"}"#, key: admin.header)
            )
            let key: HTTPFields = [.authorization: "Bearer \(created.key)"]
            #expect(try await Self.get(http, "/v1/keys", key: key).status == .ok)

            let revoked = try await Self.post(http, "/v1/keys/ci/revoke", nil, key: admin.header)
            #expect(revoked.status == .ok)
            let document = try Self.decode(KeyDocument.self, revoked)
            #expect(document.id == created.id && document.status == .revoked)
            let revokedAt = try #require(document.revokedAt)

            let refused = try await Self.get(http, "/v1/keys", key: key)
            #expect(refused.status == .unauthorized)
            #expect(refused.headers[.wwwAuthenticate]?.contains("invalid_token") == true)
            #expect(refused.headers[.contentType] == "application/problem+json")

            // Again, by name or id: 200, the same revocation, no second audit line.
            for path in ["ci", created.id] {
                let again = try await Self.post(http, "/v1/keys/\(path)/revoke", nil, key: admin.header)
                #expect(again.status == .ok, "\(path)")
                #expect(try Self.decode(KeyDocument.self, again).revokedAt == revokedAt, "\(path)")
            }
            let lines = logs.lines.filter { $0.message == "API key revoked" }
            #expect(lines.count == 1)
            #expect(lines.first?.level == .notice)
            #expect(lines.first?.metadata["api.key_id"] == "\(created.id)")
            #expect(lines.first?.metadata["operator.actor"] == "\(admin.actor)")
            #expect(!logs.all.joined(separator: "\n").contains(created.key))

            // The name is free again (rotation by name), and names the new key.
            let rotated = try await Self.post(http, "/v1/keys", #"{"name":"ci","scope":"read"}"#, key: admin.header)
            #expect(rotated.status == .created)
            let shown = try Self.decode(KeyDocument.self, try await Self.get(http, "/v1/keys/ci", key: admin.header))
            #expect(shown.id == (try Self.decode(CreatedKeyDocument.self, rotated)).id && shown.status == .active)

            // Unknown, and neither a name nor an id: 404.
            for path in ["nobody", "0123456789ab", "not%20a%20name", String(repeating: "a", count: 65)] {
                #expect(try await Self.post(http, "/v1/keys/\(path)/revoke", nil, key: admin.header).status == .notFound, "\(path)")
                #expect(try await Self.get(http, "/v1/keys/\(path)", key: admin.header).status == .notFound, "\(path)")
            }

            // A key may not revoke itself, by name or id; it still works afterwards.
            for path in ["root", admin.record.id] {
                let own = try await Self.post(http, "/v1/keys/\(path)/revoke", nil, key: admin.header)
                #expect(own.status == .conflict, "\(path)")
                #expect(try Self.decode(ProblemDocument.self, own).type == "urn:mpshook:problem:key-revokes-itself")
            }
            #expect(try await Self.get(http, "/v1/keys", key: admin.header).status == .ok)
        }
    }

    @Test func readAndWriteKeysGet403AndNoKeyGets401OnEveryKeysRoute() async throws {
        try await Self.withAPI { client, http, admin in
            let routes: [(HTTPRequest.Method, String, String?)] = [
                (.get, "/v1/keys", nil), (.post, "/v1/keys", #"{"name":"x","scope":"read"}"#), (.get, "/v1/keys/root", nil),
                (.post, "/v1/keys/root/revoke", nil),
            ]
            for scope in [APIScope.read, .write] {
                let key = try await APITestKeys.bearer(client, scope)
                for (method, uri, body) in routes {
                    var headers = key
                    if body != nil { headers[.contentType] = "application/json" }
                    let response = try await http.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
                    #expect(response.status == .forbidden, "\(scope) \(method) \(uri)")
                    #expect(try Self.decode(ProblemDocument.self, response).type == "urn:mpshook:problem:insufficient-scope")
                }
            }
            for (method, uri, _) in routes {
                #expect(try await http.execute(uri: uri, method: method, headers: [:]).status == .unauthorized, "\(method) \(uri)")
            }
            // Nothing was made or revoked.
            let keys = try await APIKeyStore(client: client).list(includeRevoked: true)
            #expect(keys.count == 3 && keys.allSatisfy { $0.revokedAt == nil } && keys.contains { $0.id == admin.record.id })
        }
    }

    @Test func badBodiesAre400NamingEachMemberAndATakenNameIs409() async throws {
        try await Self.withAPI { client, http, admin in
            for (body, fields) in [
                ("{}", ["name", "scope"]),
                (#"{"name":null,"scope":"read"}"#, ["name"]),
                (#"{"name":"a b","scope":"root","expires":"soon","extra":1}"#, ["expires", "extra", "name", "scope"]),
                (#"{"name":"0123456789ab","scope":"read"}"#, ["name"]),
                (#"{"name":"\#(String(repeating: "n", count: 65))","scope":"read"}"#, ["name"]),
                (#"{"name":"g","scope":"read","expires":"2001-01-01"}"#, ["expires"]),
                (#"{"name":"g","scope":"read","expires":"3651d"}"#, ["expires"]),
                (#"{"name":"g","scope":"read","expires":"2030-02-30"}"#, ["expires"]),
                (#"{"name":"g","scope":"read","expires":90}"#, ["expires"]),
                (#"{"name":7,"scope":["read"]}"#, ["name", "scope"]),
                ("[]", [""]), ("not json", [""]),
            ] {
                let response = try await Self.post(http, "/v1/keys", body, key: admin.header)
                #expect(response.status == .badRequest, "\(body)")
                #expect(try Self.fields(response) == fields, "\(body)")
            }
            let past = try Self.decode(
                ProblemDocument.self,
                try await Self.post(http, "/v1/keys", #"{"name":"g","scope":"read","expires":"2001-01-01"}"#, key: admin.header)
            )
            #expect(past.errors?.first?.message == "expires 2001-01-01 is not in the future")

            #expect(try await Self.post(http, "/v1/keys", "{}", key: admin.header, contentType: "text/plain").status == .unsupportedMediaType)

            let taken = try await Self.post(http, "/v1/keys", #"{"name":"root","scope":"read"}"#, key: admin.header)
            #expect(taken.status == .conflict)
            #expect(try Self.decode(ProblemDocument.self, taken).type == "urn:mpshook:problem:key-name-taken")
            #expect(try Self.fields(taken) == ["name"])

            // Nothing was made by any of them.
            #expect(try await APIKeyStore(client: client).list(includeRevoked: true).count == 1)
        }
    }
}
