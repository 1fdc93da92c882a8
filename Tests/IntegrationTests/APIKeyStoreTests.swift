import Access
import Foundation
import Hashing
import Postgres
import Store
import Testing

/// `APIKeyStore` against the real schema: what authenticates, what is stored, what is written.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct APIKeyStoreTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func aCreatedKeyAuthenticatesAsItsNameAndScope() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let store = APIKeyStore(client: client)
            let (record, secret) = try await store.create(
                name: try APIKeyName("grafana"), scope: .write, expiresAt: nil, createdBy: "alice"
            )
            #expect(record.name.rawValue == "grafana" && record.scope == .write && record.createdBy == "alice")
            #expect(record.expiresAt == nil && record.revokedAt == nil && record.lastUsedAt == nil)
            let key = try #require(APIKeySecret(parsing: secret))
            #expect(key.id == record.id)
            let principal = try await store.authenticate(secret, now: Self.now)
            #expect(principal == APIPrincipal(keyId: record.id, name: try APIKeyName("grafana"), scope: .write))

            // Only the id and the hash of the key are stored: no column holds the key or its secret.
            let stored = try await client.query("SELECT row_to_json(k)::text, hash FROM api_keys k WHERE id = \(record.id)")
            let (row, hash) = try stored[0].decode((String, Data).self)
            #expect(Array(hash) == SHA256.hash(secret))
            #expect(!row.contains(secret))
            #expect(!row.contains(String(secret.suffix(43))))
        }
    }

    @Test func wrongUnknownMalformedExpiredAndRevokedKeysAuthenticateNobody() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let store = APIKeyStore(client: client)
            let (good, secret) = try await store.create(name: try APIKeyName("good"), scope: .admin, expiresAt: nil, createdBy: "t")
            // The right id with another secret.
            let wrongSecret = "mpsk_\(good.id)_" + Base64URL.encode(SecureRandom.bytes(count: 32))
            #expect(try await store.authenticate(wrongSecret, now: Self.now) == nil)
            // A well-formed key whose id is not stored.
            #expect(try await store.authenticate(APIKeySecret.generate().text, now: Self.now) == nil)
            // Malformed: refused, and without a query: a store whose database is unreachable answers
            // nil rather than failing.
            let unreachable = PostgresClient(configuration: PostgresConfiguration(url: "postgresql://nobody@127.0.0.1:1/none"))
            for text in ["", "Bearer " + secret, secret + " ", secret.uppercased(), String(repeating: "a", count: 100_000)] {
                #expect(try await store.authenticate(text, now: Self.now) == nil)
                #expect(try await APIKeyStore(client: unreachable).authenticate(text, now: Self.now) == nil)
            }
            await #expect(throws: PostgresError.self) { try await APIKeyStore(client: unreachable).authenticate(secret, now: Self.now) }
            await unreachable.shutdown()

            let expiry = Self.now.addingTimeInterval(3600)
            let (expiring, expiringSecret) = try await store.create(
                name: try APIKeyName("expiring"), scope: .read, expiresAt: expiry, createdBy: "t"
            )
            #expect(try await store.authenticate(expiringSecret, now: expiry.addingTimeInterval(-1))?.keyId == expiring.id)
            #expect(try await store.authenticate(expiringSecret, now: expiry) == nil)
            #expect(try await store.authenticate(expiringSecret, now: expiry.addingTimeInterval(1)) == nil)

            #expect(try await store.authenticate(secret, now: Self.now)?.scope == .admin)
            #expect(try await store.revoke(nameOrId: "good"))
            #expect(try await store.authenticate(secret, now: Self.now) == nil)
        }
    }

    /// The whole table of what authenticates, decided by the pure rule (`APIKeyStatus`), and the
    /// SQL guard of the `last_used_at` write agreeing with it: only an accepted key is recorded.
    @Test(arguments: [
        // (expires in, revoked, right secret, accepted)
        (nil as TimeInterval?, false, true, true),
        (60, false, true, true),
        (0, false, true, false),
        (-60, false, true, false),
        (nil, true, true, false),
        (60, true, true, false),
        (nil, false, false, false),
        (-60, true, false, false),
    ])
    func onlyAnAcceptedKeyIsRecordedAsUsed(expiresIn: TimeInterval?, revoked: Bool, rightSecret: Bool, accepted: Bool) async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let store = APIKeyStore(client: client)
            let (record, secret) = try await store.create(name: try APIKeyName("k"), scope: .read, expiresAt: nil, createdBy: "t")
            let expiresAt = expiresIn.map { Self.now.addingTimeInterval($0) }
            _ = try await client.query("UPDATE api_keys SET expires_at = \(expiresAt) WHERE id = \(record.id)")
            if revoked { #expect(try await store.revoke(nameOrId: record.id)) }
            let presented = rightSecret ? secret : "mpsk_\(record.id)_" + Base64URL.encode(SecureRandom.bytes(count: 32))

            let principal = try await store.authenticate(presented, now: Self.now)
            #expect((principal != nil) == accepted)
            #expect((principal != nil) == (APIKeyStatus(expiresAt: expiresAt, revokedAt: revoked ? Self.now : nil, now: Self.now) == .active && rightSecret))
            let lastUsed = try await Self.lastUsed(record.id, client)
            #expect(lastUsed == (accepted ? Self.now : nil))
        }
    }

    @Test func lastUsedIsWrittenAtMostOnceAMinutePerKey() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let store = APIKeyStore(client: client)
            let (record, secret) = try await store.create(name: try APIKeyName("busy"), scope: .read, expiresAt: nil, createdBy: "t")
            let (other, otherSecret) = try await store.create(name: try APIKeyName("other"), scope: .read, expiresAt: nil, createdBy: "t")
            #expect(try await Self.lastUsed(record.id, client) == nil)
            try await Self.countWrites(client)

            #expect(try await store.authenticate(secret, now: Self.now) != nil)
            #expect(try await Self.rowUpdates(client) == 1)
            #expect(try await Self.lastUsed(record.id, client) == Self.now)
            let updatesBefore = try await Self.rowUpdates(client)
            // 100 requests within the minute: answered, no write.
            for second in stride(from: 0.5, to: 59.9, by: 0.59) {
                #expect(try await store.authenticate(secret, now: Self.now.addingTimeInterval(second)) != nil)
            }
            #expect(try await Self.lastUsed(record.id, client) == Self.now)
            #expect(try await Self.rowUpdates(client) == updatesBefore)

            // A minute on: written again, once.
            let later = Self.now.addingTimeInterval(60)
            #expect(try await store.authenticate(secret, now: later) != nil)
            #expect(try await store.authenticate(secret, now: later.addingTimeInterval(1)) != nil)
            #expect(try await Self.lastUsed(record.id, client) == later)
            #expect(try await Self.rowUpdates(client) == updatesBefore + 1)
            // Per key: the other key's first use is recorded although "busy" was just written.
            #expect(try await store.authenticate(otherSecret, now: later.addingTimeInterval(2)) != nil)
            #expect(try await Self.lastUsed(other.id, client) == later.addingTimeInterval(2))

            // 50 concurrent requests after another minute: one write between them.
            let third = later.addingTimeInterval(120)
            let before = try await Self.rowUpdates(client)
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<50 { group.addTask { try await store.authenticate(secret, now: third) != nil } }
                for try await accepted in group { #expect(accepted) }
            }
            #expect(try await Self.lastUsed(record.id, client) == third)
            #expect(try await Self.rowUpdates(client) == before + 1)
        }
    }

    @Test func revokeIsIdempotentAndTakesANameOrAnId() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let store = APIKeyStore(client: client)
            let (byName, _) = try await store.create(name: try APIKeyName("by-name"), scope: .read, expiresAt: nil, createdBy: "t")
            let (byId, _) = try await store.create(name: try APIKeyName("by-id"), scope: .read, expiresAt: nil, createdBy: "t")

            #expect(try await store.revoke(nameOrId: "by-name"))
            let revokedAt = try await Self.revokedAt(byName.id, client)
            #expect(revokedAt != nil)
            #expect(try await store.revoke(nameOrId: "by-name") == false)
            #expect(try await store.revoke(nameOrId: byName.id) == false)
            #expect(try await Self.revokedAt(byName.id, client) == revokedAt, "a repeated revoke keeps the first time")

            #expect(try await store.revoke(nameOrId: byId.id))
            #expect(try await store.revoke(nameOrId: byId.id) == false)
            #expect(try await store.revoke(nameOrId: "no-such-key") == false)
            #expect(try await store.revoke(nameOrId: "000000000000") == false)
            #expect(try await store.list().isEmpty)
        }
    }

    /// A name is unique among keys not revoked: taken while its key lives, free again once revoked.
    @Test func aLiveNameIsTakenAndARevokedOneCanBeUsedAgain() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let store = APIKeyStore(client: client)
            let name = try APIKeyName("dashboard")
            let (first, _) = try await store.create(name: name, scope: .read, expiresAt: nil, createdBy: "t")
            await #expect {
                _ = try await store.create(name: name, scope: .admin, expiresAt: nil, createdBy: "t")
            } throws: { error in
                (error as? APIKeyCreationError)?.code == .nameTaken
            }
            #expect(try await store.list(includeRevoked: true).count == 1)

            #expect(try await store.revoke(nameOrId: "dashboard"))
            let (second, secret) = try await store.create(name: name, scope: .admin, expiresAt: nil, createdBy: "t")
            #expect(second.id != first.id)
            #expect(try await store.authenticate(secret, now: Self.now)?.keyId == second.id)
            // Revoking by name reaches the live key only.
            #expect(try await store.revoke(nameOrId: "dashboard"))
            #expect(try await store.list(includeRevoked: true).map(\.id).sorted() == [first.id, second.id].sorted())
        }
    }

    @Test func listShowsNewestFirstWithoutRevokedUnlessAskedAndNothingSecret() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let store = APIKeyStore(client: client)
            let expiry = Date().addingTimeInterval(86_400).rounded()
            var secrets: [String] = []
            for (name, scope) in [("one", APIScope.read), ("two", .write), ("three", .admin)] {
                let (_, secret) = try await store.create(name: try APIKeyName(name), scope: scope, expiresAt: expiry, createdBy: "ops")
                secrets.append(secret)
            }
            #expect(try await store.revoke(nameOrId: "two"))
            let live = try await store.list()
            #expect(live.map(\.name.rawValue) == ["three", "one"])
            #expect(live.allSatisfy { $0.expiresAt == expiry && $0.createdBy == "ops" && $0.status(at: Date()) == .active })
            let all = try await store.list(includeRevoked: true)
            #expect(all.map(\.name.rawValue) == ["three", "two", "one"])
            #expect(all[1].status(at: Date()) == .revoked)
            // The record has no field that could hold the key or its hash.
            let fields = Set(Mirror(reflecting: all[0]).children.compactMap(\.label))
            #expect(fields == ["id", "name", "scope", "createdAt", "createdBy", "expiresAt", "revokedAt", "lastUsedAt"])
            let printed = "\(all)"
            for secret in secrets {
                #expect(!printed.contains(String(secret.suffix(43))))
            }
        }
    }

    @Test func theSchemaRefusesWhatTheTypesRefuse() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let hash = Data(SHA256.hash("x"))
            let rows: [(String, String, String, Data)] = [
                ("0123456789AB", "n", "read", hash), ("0123456789a", "n", "read", hash),
                ("0123456789ab", "two words", "read", hash), ("0123456789ab", "abcdef012345", "read", hash),
                ("0123456789ab", "n", "owner", hash), ("0123456789ab", "n", "read", Data([1, 2, 3])),
                ("0123456789ab", String(repeating: "n", count: 65), "read", hash),
            ]
            for (id, name, scope, hash) in rows {
                await #expect(throws: PostgresError.self) {
                    _ = try await client.query("""
                        INSERT INTO api_keys (id, name, scope, hash, created_by) VALUES (\(id), \(name), \(scope), \(hash), 't')
                        """)
                }
            }
        }
    }

    static func lastUsed(_ id: String, _ client: PostgresClient) async throws -> Date? {
        try await client.query("SELECT last_used_at FROM api_keys WHERE id = \(id)")[0].decode(Date?.self, at: 0)
    }

    static func revokedAt(_ id: String, _ client: PostgresClient) async throws -> Date? {
        try await client.query("SELECT revoked_at FROM api_keys WHERE id = \(id)")[0].decode(Date?.self, at: 0)
    }

    /// Counts every row update of `api_keys` from now on, in a table of the test's own (a
    /// trigger: exact, unlike the statistics views, which other sessions report late).
    static func countWrites(_ client: PostgresClient) async throws {
        _ = try await client.query("CREATE TABLE key_writes (n integer NOT NULL)")
        _ = try await client.query("INSERT INTO key_writes VALUES (0)")
        _ = try await client.query("""
            CREATE FUNCTION count_key_write() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN UPDATE key_writes SET n = n + 1; RETURN NEW; END $$
            """)
        _ = try await client.query("CREATE TRIGGER count_key_writes AFTER UPDATE ON api_keys FOR EACH ROW EXECUTE FUNCTION count_key_write()")
    }

    static func rowUpdates(_ client: PostgresClient) async throws -> Int {
        try await client.query("SELECT n FROM key_writes")[0].decode(Int.self, at: 0)
    }
}

extension Date {
    /// Whole seconds: what survives a round trip through the database exactly.
    fileprivate func rounded() -> Date {
        Date(timeIntervalSince1970: timeIntervalSince1970.rounded())
    }
}
