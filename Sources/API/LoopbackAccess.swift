import Hummingbird
public import NIOCore

/// Who may call the jobs API until it has authentication: callers on this machine only.
///
/// Hummingbird's `BasicRequestContext` (what mpshook's router uses) does not keep the peer's
/// address, so the guarantee has two parts:
/// 1. the application mounts the API only when the server listens on a loopback address
///    (`MPSHOOK_JOBS_API=loopback` with `MPSHOOK_HTTP_HOST` 127.x, ::1 or localhost), so no
///    other machine can connect at all;
/// 2. here, a request that carries a reverse proxy's forwarding header is refused, because a
///    proxy on the same host (the one MPS callbacks come through) makes every caller loopback.
///
/// When the context does know the peer (`RemoteAddressRequestContext`), a peer that is not
/// loopback, or that is unknown, is refused as well.
public enum LoopbackAccess {
    /// Throws `.forbidden` for a caller that is not known to be on this machine.
    static func check<Context: RequestContext>(
        _ request: Request, context: Context, proxyHeaders: [String]
    ) throws(JobsProblem) {
        if let name = request.headers.first(where: { proxyHeaders.contains($0.name.canonicalName) })?.name.canonicalName {
            throw .forbidden("the jobs API answers callers on this machine only; this request came through a proxy (\(name))")
        }
        if let peerAware = context as? any RemoteAddressRequestContext {
            guard let address = peerAware.remoteAddress, isLocal(address) else {
                throw .forbidden("the jobs API answers callers on this machine (loopback) only")
            }
        }
    }

    /// A loopback IP address (127.0.0.0/8, ::1, or IPv4-mapped 127.x) or a Unix socket peer.
    public static func isLocal(_ address: SocketAddress) -> Bool {
        switch address {
        case .unixDomainSocket:
            return true
        case .v4, .v6:
            guard let ip = address.ipAddress?.lowercased() else { return false }
            return isLoopbackHost(ip)
        }
    }

    /// Whether a host name or literal address means this machine's loopback interface.
    public static func isLoopbackHost(_ host: String) -> Bool {
        var host = host.lowercased()
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        if host.hasPrefix("::ffff:") { host = String(host.dropFirst("::ffff:".count)) }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}
