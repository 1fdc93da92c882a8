/// A job's callback URL (where its "job finished" webhook goes), read strictly so that mpshook,
/// libcurl and a resolver all see the same host: `http` or `https`, a host name or literal
/// address, an optional port, and printable ASCII with no spaces, backslashes or userinfo.
public struct CallbackURL: Sendable, Hashable, CustomStringConvertible {
    /// The longest URL accepted (the `jobs.callback_url` column's limit too).
    public static let maximumLength = 2000

    /// The URL as given.
    public let text: String
    /// `http` or `https`, lower case.
    public let scheme: String
    /// The host in lower case, without brackets for IPv6.
    public let host: String
    /// The port given, or the scheme's (80, 443).
    public let port: Int
    /// Set when the host is a literal address (in any form a resolver reads without DNS).
    public let address: IPAddress?

    public var description: String { text }

    /// Why a URL is not accepted, in words for a problem document.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// Reads `text`; a problem naming what is wrong otherwise.
    public static func parse(_ text: String) -> Result<CallbackURL, Problem> {
        guard !text.isEmpty else { return .failure(Problem("must not be empty (omit it instead)")) }
        guard text.utf8.count <= maximumLength else {
            return .failure(Problem("must be at most \(maximumLength) characters; got \(text.utf8.count)"))
        }
        // Printable ASCII only: a space, a backslash or a control character is where URL parsers
        // disagree about the host (and libcurl might then call another one than the one checked).
        guard text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") }) else {
            return .failure(Problem("must be printable ASCII without spaces or backslashes (percent-encode the rest)"))
        }
        guard let separator = text.firstRange(of: "://") else {
            return .failure(Problem("must be an absolute http:// or https:// URL"))
        }
        let scheme = text[..<separator.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else {
            return .failure(Problem("must use http or https, not \(scheme.isEmpty ? "no scheme" : scheme)"))
        }
        let rest = text[separator.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.contains("@") else {
            return .failure(Problem("must not carry a user name or password (user@host); put credentials in the path or query if you must"))
        }
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return .failure(Problem("has an unclosed [ in its host")) }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return .failure(Problem("has characters after its IPv6 host")) }
                portText = after.dropFirst()
            }
            guard let literal = IPAddress(host), !literal.isIPv4 else { return .failure(Problem("has an invalid IPv6 address")) }
        } else {
            if let colon = authority.firstIndex(of: ":") {
                host = authority[..<colon]
                portText = authority[authority.index(after: colon)...]
            } else {
                host = authority
            }
            let allowed = host.unicodeScalars.allSatisfy { scalar in
                ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "-" || scalar == "."
            }
            guard !host.isEmpty else { return .failure(Problem("has no host")) }
            guard allowed, host.utf8.count <= 253 else {
                return .failure(Problem("has a host that is not a DNS name or address (letters, digits, - and . only)"))
            }
        }
        var port = scheme == "https" ? 443 : 80
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy(\.isASCII), let value = Int(portText), (1...65535).contains(value) else {
                return .failure(Problem("has an invalid port (1–65535)"))
            }
            port = value
        }
        let lowerHost = host.lowercased()
        // A trailing dot names the same host; the resolver and libcurl both accept it.
        let bare = lowerHost.hasSuffix(".") ? String(lowerHost.dropLast()) : lowerHost
        return .success(CallbackURL(text: text, scheme: scheme, host: lowerHost, port: port, address: IPAddress(bare)))
    }

    /// The address to refuse before anything is resolved: a literal address outside `.global`
    /// that `allowList` does not allow (nil otherwise).
    public func literalRefusal(allowList: NetworkAllowList) -> String? {
        guard let address, address.scope != .global, !allowList.allows(host: host, address: address) else { return nil }
        return "points at a \(address.scope.words) address (\(address)); callbacks go to public addresses only unless MPSHOOK_WEBHOOK_ALLOW allows it"
    }
}

extension IPAddress.Scope {
    /// The scope in words, for messages.
    public var words: String {
        switch self {
        case .global: "public"
        case .unspecified: "unspecified"
        case .loopback: "loopback"
        case .private: "private"
        case .linkLocal: "link-local"
        case .sharedAddressSpace: "shared (carrier-grade NAT)"
        case .multicast: "multicast"
        case .reserved: "reserved"
        }
    }
}

/// The networks and hosts a callback may reach although they are not public
/// (`MPSHOOK_WEBHOOK_ALLOW`): CIDRs (`10.1.0.0/16`, `fd00::/8`), single addresses, and host
/// names (exact, case-insensitive: `hooks.internal`).
public struct NetworkAllowList: Sendable, Equatable {
    public private(set) var networks: [Network] = []
    public private(set) var hosts: Set<String> = []

    /// One allowed network.
    public struct Network: Sendable, Equatable, CustomStringConvertible {
        public let address: IPAddress
        public let prefixLength: Int
        public var description: String { "\(address)/\(prefixLength)" }
    }

    /// Nothing allowed: only public addresses are reached.
    public init() {}

    /// Reads comma- or space-separated entries; nil with the entry that is not one.
    public static func parse(_ text: String) -> Result<NetworkAllowList, CallbackURL.Problem> {
        var list = NetworkAllowList()
        for entry in text.split(whereSeparator: { $0 == "," || $0 == " " }) {
            let parts = entry.split(separator: "/", omittingEmptySubsequences: false)
            if let address = IPAddress(parts[0]), parts.count <= 2 {
                let maximum = address.bytes.count * 8
                let length = parts.count == 2 ? Int(parts[1]) : maximum
                guard let length, (0...maximum).contains(length) else {
                    return .failure(CallbackURL.Problem("\"\(entry)\": the prefix length must be 0–\(maximum)"))
                }
                list.networks.append(Network(address: address, prefixLength: length))
            } else if parts.count == 1, !entry.isEmpty,
                entry.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "." }) {
                list.hosts.insert(entry.lowercased())
            } else {
                return .failure(CallbackURL.Problem("\"\(entry)\" is neither an address, a CIDR nor a host name"))
            }
        }
        return .success(list)
    }

    /// Whether a callback to `host` (as in the URL, lower case) at `address` may go although the
    /// address is not public: the host is listed, or the address (or the IPv4 address an IPv6
    /// form carries) is in a listed network.
    public func allows(host: String, address: IPAddress) -> Bool {
        let bare = host.hasSuffix(".") ? String(host.dropLast()) : host
        if hosts.contains(bare) { return true }
        let candidates = [address] + (address.embeddedIPv4.flatMap { IPAddress(bytes: $0) }.map { [$0] } ?? [])
        return candidates.contains { candidate in networks.contains { candidate.isIn($0.address, prefixLength: $0.prefixLength) } }
    }
}
