public import Access
public import Hummingbird
public import HummingbirdAuth
public import NIOCore
public import Workflows

/// The request context of every mpshook route: who is calling (the API key that authenticated
/// the request, once ``APIKeyAuthenticator`` has run) and from where (the TCP peer).
public struct APIRequestContext: AuthRequestContext, RemoteAddressRequestContext, RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The key the request acts as; nil before authentication or on open routes.
    public var identity: APIPrincipal?
    /// The TCP peer (a reverse proxy's address when there is one).
    public let remoteAddress: SocketAddress?
    /// Who made the request: the peer's address until ``ClientAddressMiddleware`` has run, then
    /// the address its ``ClientAddressRule`` finds (a trusted proxy's forwarded client). nil when
    /// the peer is not an IP address.
    public var clientAddress: IPAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.identity = nil
        self.remoteAddress = source.channel.remoteAddress
        self.clientAddress = ClientAddressRule().client([:], peer: source.channel.remoteAddress)
    }

    /// The principal, or a 401 when the route was reached without one (a route mounted outside
    /// the authenticated group by mistake fails closed).
    public func principal() throws(APIProblem) -> APIPrincipal {
        guard let identity else { throw APIProblem.unauthorized("an API key is required", invalidToken: false) }
        return identity
    }
}
