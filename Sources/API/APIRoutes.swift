public import Access
public import HTTPTypes
public import Hummingbird

/// The API's routes under `/v1`, each in the group of the scope it needs. Every request under
/// `/v1` is authenticated first (``APIKeyAuthenticator``); a route can only be added with a
/// scope, so none is mounted without one. The routes added are recorded (``operations``), which
/// is how a test holds them to the spec.
public final class APIRoutes {
    /// One route: its method and full path template (`/v1/jobs/{id}`).
    public struct Operation: Hashable, Sendable, CustomStringConvertible {
        public var method: HTTPRequest.Method
        public var path: String
        public var scope: APIScope?
        public var description: String { "\(method.rawValue) \(path)" }
    }

    /// Every route added so far.
    public private(set) var operations: [Operation] = []
    private let groups: [APIScope: RouterGroup<APIRequestContext>]

    /// Mounts the groups at `/v1` on `router`, authenticating with `keys`.
    public init(router: Router<APIRequestContext>, keys: any APIKeyVerifying) {
        let v1 = router.group("v1").add(middleware: APIKeyAuthenticator<APIRequestContext>(keys: keys))
        var groups: [APIScope: RouterGroup<APIRequestContext>] = [:]
        for scope in APIScope.allCases {
            groups[scope] = v1.group().add(middleware: ScopeMiddleware<APIRequestContext>(scope))
        }
        self.groups = groups
    }

    /// Adds `handler` for `method` at `/v1/<path>`, reachable with keys of `scope` and above.
    public func on(
        _ method: HTTPRequest.Method, _ path: String, scope: APIScope,
        use handler: @escaping @Sendable (Request, APIRequestContext) async throws -> Response
    ) {
        guard let group = groups[scope] else { return }
        group.on(RouterPath(path), method: method, use: handler)
        operations.append(Operation(method: method, path: "/v1/" + path, scope: scope))
    }

    /// Records a route mounted outside `/v1` (open, like the spec itself).
    func recordOpen(_ method: HTTPRequest.Method, _ path: String) {
        operations.append(Operation(method: method, path: path, scope: nil))
    }
}
