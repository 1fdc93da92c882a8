import Access
import Testing

@Suite struct APIScopeTests {
    /// The whole table: a higher scope includes the lower ones, never the other way.
    @Test(arguments: [
        (APIScope.read, APIScope.read, true), (.read, .write, false), (.read, .admin, false),
        (.write, .read, true), (.write, .write, true), (.write, .admin, false),
        (.admin, .read, true), (.admin, .write, true), (.admin, .admin, true),
    ])
    func aScopeAllowsItselfAndTheScopesBelowIt(held: APIScope, required: APIScope, allowed: Bool) throws {
        #expect(held.allows(required) == allowed)
        let principal = APIPrincipal(keyId: "0123456789ab", name: try APIKeyName("k"), scope: held)
        #expect(principal.allows(required) == allowed)
    }

    @Test func scopesAreSpelledAsTheCommandAndTheDatabaseSpellThem() {
        #expect(APIScope.allCases.map(\.rawValue) == ["read", "write", "admin"])
        #expect(APIScope(rawValue: "Admin") == nil)
    }

    @Test func theAuditActorNamesTheKeyAndItsId() throws {
        let principal = APIPrincipal(keyId: "0123456789ab", name: try APIKeyName("grafana"), scope: .read)
        #expect(principal.actor == "key:grafana/0123456789ab")
    }
}
