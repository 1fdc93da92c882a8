import Foundation

/// Conversion between `UUID` and PostgreSQL's text form (`a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11`).
///
/// Written by hand because it runs for every UUID cell and every UUID bound: Foundation's
/// `uuidString` and `UUID(uuidString:)` go through `snprintf`/`sscanf` on Linux, which was a
/// tenth of the applier's CPU.
enum PostgresUUIDText {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Lower-case hyphenated text (what the server prints; it reads either case).
    static func format(_ uuid: UUID) -> String {
        withUnsafeBytes(of: uuid.uuid) { raw in
            String(unsafeUninitializedCapacity: 36) { buffer in
                var out = 0
                for (index, byte) in raw.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        buffer[out] = UInt8(ascii: "-")
                        out += 1
                    }
                    buffer[out] = digits[Int(byte >> 4)]
                    buffer[out + 1] = digits[Int(byte & 0x0f)]
                    out += 2
                }
                return out
            }
        }
    }

    /// Parses the hyphenated form in either case; nil for anything else (no braces, no other
    /// grouping: the server only ever prints this one).
    static func parse(_ text: some Collection<UInt8>) -> UUID? {
        guard text.count == 36 else { return nil }
        var bytes: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let parsed = withUnsafeMutableBytes(of: &bytes) { out -> Bool in
            var high: UInt8?
            var written = 0
            for (position, character) in text.enumerated() {
                if position == 8 || position == 13 || position == 18 || position == 23 {
                    guard character == UInt8(ascii: "-") else { return false }
                    continue
                }
                guard let nibble = nibble(character) else { return false }
                if let first = high {
                    out[written] = first << 4 | nibble
                    written += 1
                    high = nil
                } else {
                    high = nibble
                }
            }
            return written == 16
        }
        return parsed ? UUID(uuid: bytes) : nil
    }

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
