public import Hummingbird
import Logging
public import NIOCore
public import Workflows

/// How a request's client address is found: the TCP peer, or, when the peer is one of the
/// configured reverse proxies, the right-most address in their forwarding header that is not a
/// proxy's (``TrustedProxies/client(peer:forwardedFor:)``). A forwarding header from anyone else
/// is ignored, so a caller cannot choose the address recorded for it.
public struct ClientAddressRule: Sendable {
    /// The forwarding header's name, lower-cased (`x-forwarded-for` unless configured).
    public let header: String
    /// The peers whose header is believed; ``TrustedProxies/none`` believes no header.
    public let proxies: TrustedProxies

    public init(header: String = "x-forwarded-for", proxies: TrustedProxies = .none) {
        self.header = header.lowercased()
        self.proxies = proxies
    }

    /// Whether `peer` is one of the trusted proxies, whose forwarding headers are believed.
    public func trusts(peer: SocketAddress?) -> Bool {
        Self.address(of: peer).map(proxies.contains) ?? false
    }

    /// The client of a request with `headers` from `peer`; nil when the peer is not an IP
    /// address (a Unix socket, an in-process test).
    public func client(_ headers: HTTPFields, peer: SocketAddress?) -> IPAddress? {
        guard let peer = Self.address(of: peer) else { return nil }
        // Most requests come from a peer that is not a proxy: no header is read for them.
        guard proxies.contains(peer) else { return peer }
        let values = headers.compactMap { $0.name.canonicalName == header ? $0.value : nil }
        return proxies.client(peer: peer, forwardedFor: values)
    }

    /// The peer's IP address (an IPv4-mapped one as IPv4); nil when it is not an IP address.
    private static func address(of peer: SocketAddress?) -> IPAddress? {
        peer?.ipAddress.flatMap { IPAddress($0) }?.unmapped
    }
}

/// Sets ``APIRequestContext/clientAddress`` by the ``ClientAddressRule`` and puts it in the
/// request's log metadata (`client.address`), so every line logged for the request, the request
/// log's included when this middleware comes first, says who made it.
public struct ClientAddressMiddleware: RouterMiddleware {
    public typealias Context = APIRequestContext
    let rule: ClientAddressRule

    public init(rule: ClientAddressRule) {
        self.rule = rule
    }

    public func handle(
        _ request: Request, context: APIRequestContext, next: @concurrent (Request, APIRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        context.clientAddress = rule.client(request.headers, peer: context.remoteAddress)
        if let address = context.clientAddress {
            context.logger[metadataKey: "client.address"] = "\(address)"
        }
        return try await next(request, context)
    }
}
