import Curl
import Testing
import Webhooks
import Workflows

@Suite struct AddressGuardTests {
    static func resolver(_ table: [String: [String]]) -> AddressGuard.Resolver {
        { host in
            guard let names = table[host] else {
                throw CurlError(code: .couldNotResolveHost, delivery: .notSent, message: "no such host", url: host)
            }
            return names.compactMap { IPAddress($0)?.bytes }
        }
    }

    static let table = [
        "hooks.example.com": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
        "localhost": ["127.0.0.1", "::1"],
        "rebind.example.com": ["93.184.216.34", "10.0.0.5"],
        "metadata.example.com": ["169.254.169.254"],
        "mapped.example.com": ["::ffff:192.168.0.1"],
    ]

    @Test func publicNamesArePinnedToEveryCheckedAddress() async throws {
        let guardian = AddressGuard(allowList: NetworkAllowList(), resolve: Self.resolver(Self.table))
        let target = try await guardian.check("https://hooks.example.com/done").get()
        #expect(target.pinned == [
            PinnedAddress(host: "hooks.example.com", port: 443, address: "93.184.216.34"),
            PinnedAddress(host: "hooks.example.com", port: 443, address: "2606:2800:220:1:248:1893:25c8:1946"),
        ])
    }

    @Test(arguments: ["http://localhost:8080/x", "http://rebind.example.com/", "http://metadata.example.com/", "http://mapped.example.com/"])
    func namesLeadingInsideAreRefused(url: String) async {
        let guardian = AddressGuard(allowList: NetworkAllowList(), resolve: Self.resolver(Self.table))
        guard case .failure(.refused(let why)) = await guardian.check(url) else {
            Issue.record("\(url) was not refused")
            return
        }
        #expect(why.contains("resolves to a"))
    }

    @Test func literalAddressesAreCheckedWithoutResolving() async throws {
        let guardian = AddressGuard(allowList: NetworkAllowList(), resolve: Self.resolver([:]))
        guard case .failure(.refused) = await guardian.check("http://[::ffff:127.0.0.1]:9/") else {
            Issue.record("a mapped loopback literal passed")
            return
        }
        let target = try await guardian.check("http://8.8.8.8/").get()
        #expect(target.pinned.isEmpty)
    }

    @Test func theAllowListLetsLoopbackThrough() async throws {
        let allow = try NetworkAllowList.parse("127.0.0.0/8,::1").get()
        let guardian = AddressGuard(allowList: allow, resolve: Self.resolver(Self.table))
        let target = try await guardian.check("http://localhost:8080/x").get()
        #expect(target.pinned.map(\.address) == ["127.0.0.1", "::1"])
        #expect(try await guardian.check("http://127.0.0.1:9/").get().pinned.isEmpty)
    }

    @Test func anUnresolvedHostIsWorthRetrying() async {
        let guardian = AddressGuard(allowList: NetworkAllowList(), resolve: Self.resolver([:]))
        guard case .failure(.unresolved) = await guardian.check("https://nowhere.example/") else {
            Issue.record("expected unresolved")
            return
        }
        guard case .failure(.refused) = await guardian.check("ftp://hooks.example.com/") else {
            Issue.record("expected refused")
            return
        }
    }
}
