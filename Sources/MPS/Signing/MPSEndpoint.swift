/// Where MPS API calls go: a base URL (`https://mps.tencentcloudapi.com`, a regional or
/// international host, or the emulator's `http://127.0.0.1:PORT`), and the `Host` value signed.
public struct MPSEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// The URL requests are sent to, ending in `/`.
    public let url: String
    /// The `Host` header value, as sent and signed (`host` or `host:port`).
    public let host: String

    /// The China-site default.
    public static let china = MPSEndpoint(validated: "https://mps.tencentcloudapi.com/", host: "mps.tencentcloudapi.com")
    /// The international site.
    public static let international = MPSEndpoint(
        validated: "https://mps.intl.tencentcloudapi.com/", host: "mps.intl.tencentcloudapi.com"
    )

    /// A regional host such as `mps.ap-guangzhou.tencentcloudapi.com`.
    public static func region(_ region: String) -> MPSEndpoint? {
        guard !region.isEmpty, region.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            return nil
        }
        let host = "mps.\(region).tencentcloudapi.com"
        return MPSEndpoint(validated: "https://\(host)/", host: host)
    }

    private init(validated url: String, host: String) {
        self.url = url
        self.host = host
    }

    /// Parses `http(s)://host[:port][/]`. Anything else (a path, a query, userinfo) is refused.
    public init?(_ text: String) {
        let scheme: String
        if text.hasPrefix("https://") {
            scheme = "https://"
        } else if text.hasPrefix("http://") {
            scheme = "http://"
        } else {
            return nil
        }
        var authority = text.dropFirst(scheme.count)
        if authority.hasSuffix("/") { authority = authority.dropLast() }
        guard !authority.isEmpty,
            !authority.contains(where: { $0 == "/" || $0 == "?" || $0 == "#" || $0 == "@" || $0.isWhitespace })
        else { return nil }
        self.init(validated: scheme + authority + "/", host: String(authority))
    }

    public var description: String { url }
}
