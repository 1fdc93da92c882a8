/// An IPv4 or IPv6 address as bytes, read from text the way the resolver and libcurl would read
/// it, and what kind of network it belongs to: the rule that keeps a job's callback URL from
/// reaching mpshook's own machine or network (SSRF).
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes (IPv4) or 16 (IPv6), in network order.
    public let bytes: [UInt8]

    /// nil unless `bytes` has 4 or 16 bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// An IPv4 address in any form `inet_aton` takes (`127.0.0.1`, `127.1`, `0x7f.1`, `017700000001`,
    /// `2130706433`: what a resolver turns into an address without asking DNS), or an IPv6 address
    /// with or without brackets and zone (`[::ffff:127.0.0.1]`, `fe80::1%eth0`). nil for a name.
    public init?(_ text: some StringProtocol) {
        var text = Substring(text)
        if text.hasPrefix("["), text.hasSuffix("]") { text = text.dropFirst().dropLast() }
        if let v4 = Self.parseIPv4(text) {
            bytes = v4
        } else if let v6 = Self.parseIPv6(text) {
            bytes = v6
        } else {
            return nil
        }
    }

    public var isIPv4: Bool { bytes.count == 4 }

    /// Dotted quad, or RFC 5952 IPv6 (lower case, the longest run of zero groups as `::`).
    public var description: String {
        if isIPv4 { return bytes.map(String.init).joined(separator: ".") }
        let groups = stride(from: 0, to: 16, by: 2).map { Int(bytes[$0]) << 8 | Int(bytes[$0 + 1]) }
        var best = (start: -1, count: 0)
        var run = (start: -1, count: 0)
        for (index, group) in groups.enumerated() {
            if group == 0 {
                run = run.start < 0 ? (index, 1) : (run.start, run.count + 1)
                if run.count > best.count { best = run }
            } else {
                run = (-1, 0)
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard best.count >= 2 else { return hex.joined(separator: ":") }
        let head = hex[..<best.start].joined(separator: ":")
        let tail = hex[(best.start + best.count)...].joined(separator: ":")
        return head + "::" + tail
    }

    /// Where an address leads. Only `.global` is reachable by a callback unless allowed.
    public enum Scope: String, Sendable, Hashable, CaseIterable {
        case global
        /// 0.0.0.0/8, `::` (connecting to it reaches this machine).
        case unspecified
        /// 127.0.0.0/8, `::1`.
        case loopback
        /// 10/8, 172.16/12, 192.168/16, fc00::/7, and the deprecated site-local fec0::/10.
        case `private`
        /// 169.254/16 (cloud metadata services live there), fe80::/10.
        case linkLocal
        /// 100.64/10, carrier-grade NAT: another customer's or the provider's network.
        case sharedAddressSpace
        /// 224/4, ff00::/8.
        case multicast
        /// 240/4 and the broadcast address, 192.0.0.0/24, and the benchmarking 198.18/15.
        case reserved
    }

    /// The scope of the address; an IPv6 form that carries an IPv4 address (mapped `::ffff:a.b.c.d`,
    /// compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002:aabb:ccdd::/48`) has that address's.
    public var scope: Scope {
        if isIPv4 { return Self.scope(v4: bytes) }
        if let embedded = embeddedIPv4 { return Self.scope(v4: embedded) }
        if bytes.allSatisfy({ $0 == 0 }) { return .unspecified }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return .loopback }
        if bytes[0] & 0xFE == 0xFC { return .private }
        if bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80 { return .linkLocal }
        if bytes[0] == 0xFE && bytes[1] & 0xC0 == 0xC0 { return .private }
        if bytes[0] == 0xFF { return .multicast }
        return .global
    }

    /// The IPv4 address an IPv6 address stands for, when it is one of the forms that carry one.
    public var embeddedIPv4: [UInt8]? {
        guard !isIPv4 else { return nil }
        let first10Zero = bytes[0..<10].allSatisfy { $0 == 0 }
        // ::ffff:a.b.c.d (mapped)
        if first10Zero && bytes[10] == 0xFF && bytes[11] == 0xFF { return Array(bytes[12..<16]) }
        // ::a.b.c.d (compatible, deprecated), but not :: or ::1
        if first10Zero && bytes[10] == 0 && bytes[11] == 0 && !bytes[12..<15].allSatisfy({ $0 == 0 }) { return Array(bytes[12..<16]) }
        // 64:ff9b::/96 (NAT64)
        if bytes[0..<12] == [0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0] { return Array(bytes[12..<16]) }
        // 2002::/16 (6to4)
        if bytes[0] == 0x20 && bytes[1] == 0x02 { return Array(bytes[2..<6]) }
        return nil
    }

    private static func scope(v4 b: [UInt8]) -> Scope {
        switch (b[0], b[1]) {
        case (0, _): return .unspecified
        case (10, _): return .private
        case (100, 64...127): return .sharedAddressSpace
        case (127, _): return .loopback
        case (169, 254): return .linkLocal
        case (172, 16...31): return .private
        case (192, 168): return .private
        case (192, 0) where b[2] == 0: return .reserved
        case (198, 18...19): return .reserved
        case (224...239, _): return .multicast
        case (240...255, _): return .reserved
        default: return .global
        }
    }

    /// Whether the address is in `network`/`prefixLength` (same family only).
    public func isIn(_ network: IPAddress, prefixLength: Int) -> Bool {
        guard network.bytes.count == bytes.count, prefixLength >= 0, prefixLength <= bytes.count * 8 else { return false }
        var remaining = prefixLength
        for index in bytes.indices where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if bytes[index] & mask != network.bytes[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    // MARK: Reading

    /// `inet_aton`'s forms: 1–4 parts, each decimal, octal (leading 0) or hex (0x); the last part
    /// fills the bytes the others leave.
    static func parseIPv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...4).contains(parts.count) else { return nil }
        var values: [UInt64] = []
        for part in parts {
            guard let value = number(part) else { return nil }
            values.append(value)
        }
        for value in values.dropLast() where value > 255 { return nil }
        guard let last = values.last else { return nil }
        let lastBytes = 5 - values.count
        guard last < (UInt64(1) << (8 * UInt64(lastBytes))) else { return nil }
        var result = values.dropLast().map { UInt8($0) }
        for shift in (0..<lastBytes).reversed() { result.append(UInt8(truncatingIfNeeded: last >> (8 * UInt64(shift)))) }
        return result
    }

    private static func number(_ part: Substring) -> UInt64? {
        guard !part.isEmpty, part.count <= 32 else { return nil }
        let lower = part.lowercased()
        func only(_ text: Substring, _ digits: String) -> Bool { text.allSatisfy { digits.contains($0) } }
        if lower.hasPrefix("0x") {
            let digits = lower.dropFirst(2)
            guard only(digits, "0123456789abcdef") else { return nil }
            // inet_aton takes "0x" alone as 0.
            return digits.isEmpty ? 0 : UInt64(digits, radix: 16)
        }
        if lower.hasPrefix("0") {
            let digits = lower.dropFirst()
            guard only(digits, "01234567") else { return nil }
            return digits.isEmpty ? 0 : UInt64(digits, radix: 8)
        }
        guard only(lower[...], "0123456789") else { return nil }
        return UInt64(lower, radix: 10)
    }

    /// RFC 4291 text: eight groups, one `::`, an optional dotted-quad tail; a `%zone` is dropped.
    static func parseIPv6(_ given: Substring) -> [UInt8]? {
        var text = given
        if let percent = text.firstIndex(of: "%") {
            guard text.index(after: percent) < text.endIndex else { return nil }
            text = text[..<percent]
        }
        guard text.contains(":") else { return nil }
        var tail: [UInt8] = []
        if let lastColon = text.lastIndex(of: ":"), text[text.index(after: lastColon)...].contains(".") {
            let quad = text[text.index(after: lastColon)...]
            let parts = quad.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4 else { return nil }
            for part in parts {
                guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isNumber), let value = UInt8(part) else { return nil }
                tail.append(value)
            }
            text = text[...lastColon]
            // "::ffff:1.2.3.4" leaves "::ffff:": drop the colon the tail hung on; "::1.2.3.4" leaves "::", kept.
            if !text.hasSuffix("::") { text = text.dropLast() }
        }
        let characters = Array(text)
        var halves: [String] = []
        var start = 0
        var index = 0
        while index < characters.count {
            if characters[index] == ":", index + 1 < characters.count, characters[index + 1] == ":" {
                halves.append(String(characters[start..<index]))
                index += 2
                start = index
            } else {
                index += 1
            }
        }
        halves.append(String(characters[start...]))
        guard halves.count <= 2 else { return nil }
        func groups(_ half: String) -> [UInt16]? {
            guard !half.isEmpty else { return [] }
            var result: [UInt16] = []
            for group in half.split(separator: ":", omittingEmptySubsequences: false) {
                guard (1...4).contains(group.count), group.allSatisfy(\.isHexDigit), let value = UInt16(group, radix: 16) else { return nil }
                result.append(value)
            }
            return result
        }
        let wanted = tail.isEmpty ? 8 : 6
        var all: [UInt16]
        if halves.count == 2 {
            guard let head = groups(halves[0]), let rest = groups(halves[1]), head.count + rest.count < wanted else { return nil }
            all = head + Array(repeating: 0, count: wanted - head.count - rest.count) + rest
        } else {
            guard let only = groups(halves[0]), only.count == wanted else { return nil }
            all = only
        }
        var bytes = all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        bytes += tail
        return bytes.count == 16 ? bytes : nil
    }
}
