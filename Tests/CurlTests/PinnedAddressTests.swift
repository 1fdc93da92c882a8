import Curl
import Testing

/// Resolving with the system resolver, and connections pinned to checked addresses.
@Suite struct PinnedAddressTests {
    /// A name that does not resolve (`.invalid` is reserved) still reaches the server when it is
    /// pinned: the connection goes where the caller checked, not where DNS says.
    @Test func aPinnedHostConnectsToThePinnedAddress() async throws {
        try await withServerAndClient { server, client in
            var settings = client.configuration
            settings.pinnedAddresses = [PinnedAddress(host: "pinned.invalid", port: server.port, address: "127.0.0.1")]
            let response = try await client.execute(HTTPRequest(url: "http://pinned.invalid:\(server.port)/echo"), configuration: settings)
            #expect(response.status == 200)
            #expect(response.header("X-Echo-Method") == "GET")
        }
    }

    @Test func withoutThePinTheSameNameDoesNotResolve() async throws {
        try await withServerAndClient { server, client in
            let error = try await failure { () async throws(CurlError) -> HTTPResponse in
                try await client.execute(HTTPRequest(url: "http://pinned.invalid:\(server.port)/echo"))
            }
            #expect(error.code == .couldNotResolveHost)
        }
    }

    @Test func resolvesNamesAndLiterals() async throws {
        try await withServerAndClient { _, client in
            let localhost = try await client.resolve(host: "localhost")
            #expect(localhost.contains([127, 0, 0, 1]) || localhost.contains(Array(repeating: 0, count: 15) + [1]))
            #expect(try await client.resolve(host: "127.0.0.1") == [[127, 0, 0, 1]])
            // inet_aton's shorthand is an address to the resolver too.
            #expect(try await client.resolve(host: "127.1") == [[127, 0, 0, 1]])
            await #expect(throws: CurlError.self) { try await client.resolve(host: "nothing.invalid") }
        }
    }
}
