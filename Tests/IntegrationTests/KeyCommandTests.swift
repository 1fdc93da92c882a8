import Access
import Foundation
import Hashing
import Postgres
import Store
import Testing

/// `mpshook keys …`, the real binary run as a child process against the test database.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct KeyCommandTests {
    @Test func keysAreCreatedPrintedOnceListedWithoutSecretsAndRevoked() async throws {
        try await TestDatabase.withFreshDatabase { url in
            #expect(try await MPSHook.run(["migrate"], database: url).status == 0)

            let created = try await MPSHook.run(["keys", "create", "--name", "grafana", "--scope", "read", "--expires", "90d"], database: url)
            #expect(created.status == 0, "\(created.stderr)")
            let lines = created.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count == 2)
            let readKey = try #require(APIKeySecret(parsing: lines.first ?? ""), "the first line is the key")
            #expect(lines.last?.hasPrefix("\(readKey.id)  grafana  read  active  created=") == true)
            #expect(lines.last?.contains("expires=never") == false)
            #expect(lines.last?.contains("last-used=never") == true)
            #expect(created.stderr.contains("Store the key now: it is not shown again"))
            #expect(created.stderr.contains("\"message\":\"API key created\""))
            #expect(created.stderr.contains("\"api.key_id\":\"\(readKey.id)\""))
            #expect(!created.stderr.contains(readKey.text.suffix(43)), "the log never holds the key")

            let json = try await MPSHook.run(["keys", "create", "--name", "ops", "--scope", "admin", "--actor", "alice", "--json"], database: url)
            #expect(json.status == 0, "\(json.stderr)")
            let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            #expect(Set(document.keys) == ["key", "id", "name", "scope", "createdAt", "createdBy"])
            #expect(document["name"] as? String == "ops" && document["scope"] as? String == "admin")
            #expect(document["createdBy"] as? String == "alice")
            let adminKey = try #require(APIKeySecret(parsing: document["key"] as? String ?? ""))
            #expect(document["id"] as? String == adminKey.id)

            // The printed keys are the ones that authenticate.
            try await TestDatabase.withClient(url: url) { client in
                let store = APIKeyStore(client: client)
                #expect(try await store.authenticate(readKey.text, now: Date())?.scope == .read)
                let ops = APIPrincipal(keyId: adminKey.id, name: try APIKeyName("ops"), scope: .admin)
                #expect(try await store.authenticate(adminKey.text, now: Date()) == ops)
            }

            let taken = try await MPSHook.run(["keys", "create", "--name", "grafana", "--scope", "admin"], database: url)
            #expect(taken.status == 1)
            #expect(taken.stderr.contains("mpshook: a key named grafana exists already"))
            #expect(taken.stdout.isEmpty)

            // Listed without the key or its hash, in either form.
            let forbidden = [readKey, adminKey].flatMap { [String($0.text.suffix(43)), Hex.encode($0.hash), Base64.encode($0.hash)] }
            let listed = try await MPSHook.run(["keys", "list"], database: url)
            #expect(listed.status == 0)
            let listedLines = listed.stdout.split(separator: "\n")
            #expect(listedLines.count == 2)
            #expect(listedLines.first?.hasPrefix("\(adminKey.id)  ops  admin  active  ") == true)
            #expect(listedLines.first?.contains("by=alice") == true)
            #expect(listedLines.last?.hasPrefix("\(readKey.id)  grafana  read  active  ") == true)
            let listedJSON = try await MPSHook.run(["keys", "list", "--json"], database: url)
            let documents = try #require(try JSONSerialization.jsonObject(with: Data(listedJSON.stdout.utf8)) as? [[String: Any]])
            #expect(documents.map { $0["name"] as? String } == ["ops", "grafana"])
            #expect(documents.allSatisfy { Set($0.keys).isSubset(of: ["id", "name", "scope", "status", "createdAt", "createdBy", "expiresAt", "revokedAt", "lastUsedAt"]) })
            #expect(documents.last?["expiresAt"] != nil && documents.last?["lastUsedAt"] != nil)
            for text in forbidden {
                #expect(!listed.stdout.contains(text) && !listedJSON.stdout.contains(text) && !listed.stderr.contains(text))
            }

            let revoked = try await MPSHook.run(["keys", "revoke", "grafana"], database: url)
            #expect(revoked.status == 0, "\(revoked.stderr)")
            #expect(revoked.stdout == "revoked key grafana (id \(readKey.id))\n")
            #expect(revoked.stderr.contains("\"message\":\"API key revoked\""))
            let again = try await MPSHook.run(["keys", "revoke", readKey.id], database: url)
            #expect(again.status == 0)
            #expect(again.stdout == "key \(readKey.id) is revoked already: nothing to do\n")
            let unknown = try await MPSHook.run(["keys", "revoke", "nobody"], database: url)
            #expect(unknown.status == 1)
            #expect(unknown.stderr.contains("mpshook: no key named nobody or with id nobody"))

            let live = try await MPSHook.run(["keys", "list"], database: url)
            #expect(live.stdout.split(separator: "\n").count == 1)
            let all = try await MPSHook.run(["keys", "list", "--all"], database: url)
            #expect(all.stdout.contains("\(readKey.id)  grafana  read  revoked  "))
            #expect(all.stdout.contains("  revoked="))
            try await TestDatabase.withClient(url: url) { client in
                let principal = try await APIKeyStore(client: client).authenticate(readKey.text, now: Date())
                #expect(principal == nil)
            }
        }
    }

    @Test func badArgumentsAreRefusedBeforeTheDatabaseIsUsed() async throws {
        // No database at this address: each refusal below happens in argument checking.
        let nowhere = "postgresql://nobody@127.0.0.1:1/none"
        let cases: [([String], String)] = [
            (["keys", "create", "--name", "grafana", "--scope", "owner"], "--scope must be one of read, write, admin"),
            (["keys", "create", "--name", "two words", "--scope", "read"], "--name: a key name may hold only"),
            (["keys", "create", "--name", "0123456789ab", "--scope", "read"], "--name: a key name must not be 12 hexadecimal digits"),
            (["keys", "create", "--name", "g", "--scope", "read", "--expires", "2001-01-01"], "--expires 2001-01-01 is not in the future"),
            (["keys", "create", "--name", "g", "--scope", "read", "--expires", "soon"], "--expires takes a span"),
            (["keys", "create", "--scope", "read"], "--name"),
            (["keys", "revoke", "not a name!"], "is neither a key name nor a key id"),
        ]
        for (arguments, message) in cases {
            let result = try await MPSHook.run(arguments, database: nowhere)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }
}
