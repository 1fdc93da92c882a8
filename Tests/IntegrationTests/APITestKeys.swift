import Access
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Postgres
import Store

/// Real API keys for tests that drive the API: made by ``APIKeyStore`` in the test's database,
/// as `mpshook keys create` makes them.
enum APITestKeys {
    /// A new key of `scope`; its `Authorization` header.
    static func bearer(_ client: PostgresClient, _ scope: APIScope = .admin, name: String? = nil) async throws -> HTTPFields {
        let keyName = try APIKeyName(name ?? "test-\(scope.rawValue)-\(UInt32.random(in: 0...UInt32.max))")
        let (_, secret) = try await APIKeyStore(client: client).create(name: keyName, scope: scope, expiresAt: nil, createdBy: "test")
        return [.authorization: "Bearer \(secret)"]
    }
}

/// A test client that sends an API key with every request that carries no `Authorization` of
/// its own: for tests about what the API does, not about who may call it.
struct KeyedTestClient: TestClientProtocol {
    let base: any TestClientProtocol
    let key: HTTPFields

    func executeRequest(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> TestResponse {
        var headers = headers
        if headers[.authorization] == nil, let value = key[.authorization] { headers[.authorization] = value }
        return try await base.executeRequest(uri: uri, method: method, headers: headers, body: body)
    }

    var port: Int? { base.port }

    /// `base` with a new admin key of `client`'s database.
    static func admin(_ base: any TestClientProtocol, client: PostgresClient) async throws -> KeyedTestClient {
        KeyedTestClient(base: base, key: try await APITestKeys.bearer(client, .admin))
    }
}
