public import Access
public import Hummingbird
public import HummingbirdAuth
import Foundation
import Logging
import Postgres
public import Store

/// Checks a presented API key: the principal it stands for, or nil when it is malformed,
/// unknown, expired or revoked. ``APIKeyStore`` is the product's; tests may give their own.
public protocol APIKeyVerifying: Sendable {
    func authenticate(_ presented: String) async throws -> APIPrincipal?
}

extension APIKeyStore: APIKeyVerifying {
    public func authenticate(_ presented: String) async throws -> APIPrincipal? {
        try await authenticate(presented, now: .now)
    }
}

/// Authenticates every request of the API's routes from `Authorization: Bearer <key>`.
///
/// No `Authorization` header: the request goes on without an identity, and ``ScopePolicy``
/// answers 401. A header that is not a valid key (another scheme, malformed, unknown, expired,
/// revoked): 401 at once, the same answer for each so a caller learns nothing about which keys
/// exist. The database failing: 503. The key itself is never logged.
public struct APIKeyAuthenticator<Context: AuthRequestContext<APIPrincipal>>: AuthenticatorMiddleware {
    public typealias Identity = APIPrincipal
    let keys: any APIKeyVerifying

    public init(keys: any APIKeyVerifying) {
        self.keys = keys
    }

    public func authenticate(request: Request, context: Context) async throws -> APIPrincipal? {
        guard let header = request.headers[.authorization] else { return nil }
        // RFC 9110: the scheme is case-insensitive.
        guard header.count > 7, header.prefix(7).lowercased() == "bearer " else {
            throw APIProblem.unauthorized("the Authorization header must be `Bearer <API key>`", invalidToken: true)
        }
        let presented = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        let principal = try await DatabaseCall.run("API key not checked", context: context) { try await keys.authenticate(presented) }
        guard let principal else {
            throw APIProblem.unauthorized("the API key is not valid (unknown, expired or revoked)", invalidToken: true)
        }
        context.logger.debug("authenticated", metadata: ["api.key_id": "\(principal.keyId)"])
        return principal
    }
}

/// Lets a request through when its key's scope covers `required`: 401 without a key, 403 with a
/// key of a lower scope.
public struct ScopeMiddleware<Context: AuthRequestContext<APIPrincipal>>: RouterMiddleware {
    public let required: APIScope

    public init(_ required: APIScope) {
        self.required = required
    }

    public func handle(_ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response) async throws -> Response {
        guard let identity = context.identity else {
            throw APIProblem.unauthorized("an API key is required: send `Authorization: Bearer <API key>`", invalidToken: false)
        }
        guard identity.allows(required) else {
            throw APIProblem.insufficientScope(required: required.rawValue, held: identity.scope.rawValue)
        }
        return try await next(request, context)
    }
}
