/// Limits and policy for requests made by a `CurlClient`.
///
/// TLS peer and host verification are always on and cannot be turned off here, and only
/// `http` and `https` are ever spoken, on the first request and on redirects.
public struct CurlConfiguration: Sendable {
    /// Longest time to resolve the host and establish the connection, TLS handshake included.
    public var connectTimeout: Duration
    /// Longest time for the whole transfer, connecting included.
    public var totalTimeout: Duration
    /// Most response body bytes accepted; a larger response aborts the transfer with
    /// `CurlError.Code.responseTooLarge`. Response headers are capped separately at 1 MiB.
    public var maxResponseBytes: Int
    /// Whether 3xx responses are followed. When false, a 3xx is returned as the response.
    public var followRedirects: Bool
    /// Most redirects followed when `followRedirects` is true.
    public var maxRedirects: Int
    /// The `User-Agent` sent unless the request sets its own; empty sends none.
    public var userAgent: String
    /// Addresses the connection must use instead of resolving the URL's host
    /// (`CURLOPT_RESOLVE` entries `host:port:address`), so a host checked before the call cannot
    /// resolve elsewhere during it (DNS rebinding); such a call never goes through a proxy
    /// (it would resolve the host itself). Empty: the host is resolved as usual.
    public var pinnedAddresses: [PinnedAddress] = []

    /// Creates a configuration; every parameter has a conservative default.
    public init(
        connectTimeout: Duration = .seconds(5),
        totalTimeout: Duration = .seconds(30),
        maxResponseBytes: Int = 10 << 20,
        followRedirects: Bool = false,
        maxRedirects: Int = 5,
        userAgent: String = "mpshook"
    ) {
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
        self.maxResponseBytes = maxResponseBytes
        self.followRedirects = followRedirects
        self.maxRedirects = maxRedirects
        self.userAgent = userAgent
    }
}

/// One `CURLOPT_RESOLVE` entry: connections to `host`:`port` go to `address` (a literal IPv4 or
/// IPv6 address, without brackets).
public struct PinnedAddress: Sendable, Hashable {
    public var host: String
    public var port: Int
    public var address: String

    public init(host: String, port: Int, address: String) {
        self.host = host
        self.port = port
        self.address = address
    }

    /// libcurl's form; an IPv6 address in brackets.
    var resolveEntry: String {
        "\(host):\(port):" + (address.contains(":") ? "[\(address)]" : address)
    }
}

extension Duration {
    /// Whole milliseconds for libcurl's `*_MS` options, at least 1: libcurl reads 0 as "no timeout".
    package var curlMilliseconds: Int {
        let (seconds, attoseconds) = self.components
        guard seconds >= 0 else { return 1 }
        guard seconds < Int64(Int.max / 1000) - 1 else { return Int.max / 1000 }
        let milliseconds = Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
        return Swift.max(1, milliseconds)
    }
}
