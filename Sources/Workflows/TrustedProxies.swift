/// The reverse proxies whose forwarding header mpshook believes, as a list of networks, and the
/// rule that picks a request's client address with them: the TCP peer, unless the peer is one
/// of these proxies; then the right-most address in the forwarding header that is not itself
/// one of them. A header from anyone else is the caller's own say and is ignored.
public struct TrustedProxies: Sendable, Hashable, CustomStringConvertible {
    /// The networks, in the order configured.
    public let networks: [IPNetwork]

    /// No proxy: every forwarding header is ignored and the client is the TCP peer.
    public static let none = TrustedProxies(networks: [])

    public init(networks: [IPNetwork]) {
        self.networks = networks
    }

    /// Reads a list of addresses and networks (`127.0.0.1, ::1, 10.0.0.0/8`), separated by
    /// commas and/or spaces; empty text is ``none``. Strict: every entry must be an IPv4 dotted
    /// quad or an IPv6 address, optionally with a prefix length, and without host bits set past
    /// the prefix (`10.0.0.1/8` is refused: it is a typo for either `10.0.0.1` or `10.0.0.0/8`).
    public init(parsing text: some StringProtocol) throws(IPNetwork.ParseError) {
        var networks: [IPNetwork] = []
        for entry in text.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }) {
            networks.append(try IPNetwork(parsing: entry))
        }
        self.networks = networks
    }

    /// Whether `address` (an IPv4-mapped IPv6 address as its IPv4 one) is in one of the networks.
    public func contains(_ address: IPAddress) -> Bool {
        let address = address.unmapped
        return networks.contains { $0.contains(address) }
    }

    /// The client of a request that came from `peer` carrying `forwardedFor` (every value of the
    /// forwarding header, in order; each a comma-separated list, oldest hop first).
    ///
    /// - An unknown peer (nil): nil; the header is not believed without a peer to trust.
    /// - A peer that is not a trusted proxy: the peer; the header is ignored.
    /// - A trusted peer: the header read from the right, skipping trusted proxies; the first
    ///   address that is not one is the client. Where the header ends (no header, or every hop
    ///   trusted) or holds something that is not an address (`unknown`, garbage), the client is
    ///   the last trusted hop reached: what is left of it was written by no one we trust.
    ///
    /// Addresses come back as IPv4 when they are IPv4-mapped IPv6 (`::ffff:a.b.c.d`).
    public func client(peer: IPAddress?, forwardedFor values: [String]) -> IPAddress? {
        guard let peer = peer?.unmapped else { return nil }
        guard contains(peer) else { return peer }
        var reached = peer
        for value in values.reversed() {
            for element in value.split(separator: ",", omittingEmptySubsequences: true).reversed() {
                let entry = element.trimmingSpaces
                // RFC 9110 lists may hold empty elements ("a, , b"): they are no hop.
                if entry.isEmpty { continue }
                guard let hop = Self.hop(entry) else { return reached }
                guard contains(hop) else { return hop }
                reached = hop
            }
        }
        return reached
    }

    /// One hop of a forwarding header: an address, as nginx writes it, or with a port as some
    /// proxies write it (`192.0.2.1:4711`, `[2001:db8::1]:4711`). Strict, so a value a proxy
    /// did not write (`127.1`, `0x7f.0.0.1`) is not taken for an address.
    static func hop(_ entry: Substring) -> IPAddress? {
        if entry.hasPrefix("[") {
            guard let close = entry.firstIndex(of: "]") else { return nil }
            let rest = entry[entry.index(after: close)...]
            guard rest.isEmpty || Self.isPort(rest) else { return nil }
            return IPAddress(strict: entry[entry.index(after: entry.startIndex)..<close])?.unmapped
        }
        if let address = IPAddress(strict: entry) { return address.unmapped }
        // An IPv4 address with a port: exactly one colon.
        guard let colon = entry.firstIndex(of: ":"), entry[entry.index(after: colon)...].firstIndex(of: ":") == nil,
            Self.isPort(entry[colon...])
        else { return nil }
        guard let address = IPAddress(strict: entry[..<colon]), address.isIPv4 else { return nil }
        return address
    }

    /// `:` and a port number (1–5 ASCII digits, at most 65535).
    private static func isPort(_ text: Substring) -> Bool {
        guard text.first == ":" else { return false }
        let digits = text.dropFirst()
        return (1...5).contains(digits.count) && digits.allSatisfy { $0.isASCII && $0.isNumber } && UInt16(digits) != nil
    }

    /// The list as it would be configured (`127.0.0.1/32, ::1/128`); empty for ``none``.
    public var description: String {
        networks.map(\.description).joined(separator: ", ")
    }
}

/// An IPv4 or IPv6 network: an address and a prefix length (`10.0.0.0/8`; one address is `/32`
/// or `/128`). The address has no bits set past the prefix.
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    public let address: IPAddress
    public let prefixLength: Int

    /// Why a network's text was refused, naming the entry (never a secret: these are addresses).
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public let entry: String
        public let reason: String
        public var description: String { "\"\(entry)\": \(reason)" }
    }

    /// Reads `address` or `address/prefix`, strictly (see ``TrustedProxies/init(parsing:)``).
    public init(parsing text: some StringProtocol) throws(ParseError) {
        let text = Substring(text)
        let refuse = { (reason: String) in ParseError(entry: String(text.prefix(100)), reason: reason) }
        let addressText: Substring
        let prefixText: Substring?
        if let slash = text.firstIndex(of: "/") {
            addressText = text[..<slash]
            prefixText = text[text.index(after: slash)...]
        } else {
            addressText = text
            prefixText = nil
        }
        guard let address = IPAddress(strict: addressText) else {
            throw refuse("not an IPv4 address (four decimal numbers, as 192.0.2.1) or an IPv6 address (as 2001:db8::1)")
        }
        let bits = address.bytes.count * 8
        var prefixLength = bits
        if let prefixText {
            guard !prefixText.isEmpty, prefixText.count <= 3, prefixText.allSatisfy({ $0.isASCII && $0.isNumber }),
                prefixText.count == 1 || prefixText.first != "0", let length = Int(prefixText), length <= bits
            else { throw refuse("the prefix length must be a number from 0 to \(bits)") }
            prefixLength = length
        }
        let network = address.masked(to: prefixLength)
        guard network == address else {
            throw refuse("bits are set past the prefix length: did you mean \(network)/\(prefixLength), or \(address) alone?")
        }
        self.address = address
        self.prefixLength = prefixLength
    }

    /// Whether `candidate` is in this network (an address of the other family never is).
    public func contains(_ candidate: IPAddress) -> Bool {
        candidate.isIn(address, prefixLength: prefixLength)
    }

    /// `address/prefix`, always with the prefix.
    public var description: String { "\(address)/\(prefixLength)" }
}

extension IPAddress {
    /// An address as configuration and proxies write it, and nothing looser: IPv4 as exactly
    /// four decimal numbers 0–255 without leading zeros (`010.0.0.1` could mean octal to one
    /// reader and decimal to another), IPv6 without brackets or a zone. nil for anything else.
    public init?(strict text: some StringProtocol) {
        let text = Substring(text)
        if text.contains(":") {
            guard !text.contains("%"), !text.contains("["), let bytes = Self.parseIPv6(text) else { return nil }
            self.init(bytes: bytes)
            return
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
                part.count == 1 || part.first != "0", let value = UInt8(part)
            else { return nil }
            bytes.append(value)
        }
        self.init(bytes: bytes)
    }

    /// The IPv4 address of an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, what a dual-stack
    /// socket reports for an IPv4 peer); any other address unchanged.
    public var unmapped: IPAddress {
        guard !isIPv4, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF,
            let v4 = IPAddress(bytes: Array(bytes[12..<16]))
        else { return self }
        return v4
    }

    /// The address with every bit past the first `prefixLength` cleared.
    func masked(to prefixLength: Int) -> IPAddress {
        var remaining = prefixLength
        var masked = bytes
        for index in masked.indices {
            let bits = min(8, max(0, remaining))
            masked[index] &= bits == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            remaining -= 8
        }
        return IPAddress(bytes: masked) ?? self
    }
}

extension Substring {
    /// Without the spaces and tabs around it (HTTP's optional whitespace).
    var trimmingSpaces: Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }
}
