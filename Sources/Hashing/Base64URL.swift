/// Base 64 with the URL- and filename-safe alphabet (RFC 4648 §5: `-` and `_` instead of `+` and
/// `/`), as used by JWS and URL tokens.
public enum Base64URL {
    /// The unpadded base64url form of `bytes`.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        withContiguousBytes(bytes) { pointer, count in
            let length = (count / 3) * 4 + [0, 2, 3][count % 3]
            return String(unsafeUninitializedCapacity: length) { output in
                var input = 0
                var written = 0
                while input + 3 <= count {
                    let chunk = UInt32(pointer[input]) << 16 | UInt32(pointer[input + 1]) << 8
                        | UInt32(pointer[input + 2])
                    output[written] = alphabet[Int(chunk >> 18)]
                    output[written + 1] = alphabet[Int(chunk >> 12 & 0x3F)]
                    output[written + 2] = alphabet[Int(chunk >> 6 & 0x3F)]
                    output[written + 3] = alphabet[Int(chunk & 0x3F)]
                    input += 3
                    written += 4
                }
                switch count - input {
                case 1:
                    let chunk = UInt32(pointer[input]) << 16
                    output[written] = alphabet[Int(chunk >> 18)]
                    output[written + 1] = alphabet[Int(chunk >> 12 & 0x3F)]
                    written += 2
                case 2:
                    let chunk = UInt32(pointer[input]) << 16 | UInt32(pointer[input + 1]) << 8
                    output[written] = alphabet[Int(chunk >> 18)]
                    output[written + 1] = alphabet[Int(chunk >> 12 & 0x3F)]
                    output[written + 2] = alphabet[Int(chunk >> 6 & 0x3F)]
                    written += 3
                default:
                    break
                }
                return written
            }
        }
    }

    /// The bytes encoded by `string`, with or without `=` padding. Nil for any character outside
    /// the base64url alphabet (including `+`, `/`, whitespace), misplaced or partial padding, an
    /// impossible length, or non-zero unused bits, so each byte string has exactly one accepted
    /// unpadded spelling.
    public static func decode(_ string: some StringProtocol) -> [UInt8]? {
        // One copy: the padding is stripped from it, and iterating an array is far cheaper than
        // iterating a generic string view through its protocol.
        var characters = Array(string.utf8)
        let padding = characters.reversed().prefix { $0 == UInt8(ascii: "=") }.count
        if padding > 0 {
            // Padding, when present, must complete the last quantum: "Zg==" and "Zm8=" only.
            guard padding <= 2, characters.count % 4 == 0 else { return nil }
            characters.removeLast(padding)
        }
        let remainder = characters.count % 4
        guard remainder != 1 else { return nil }

        var result: [UInt8] = []
        result.reserveCapacity(characters.count / 4 * 3 + 2)
        var accumulator: UInt32 = 0
        var bits = 0
        for character in characters {
            let value = decodingTable[Int(character)]
            guard value != invalid else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                result.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                accumulator &= (1 << UInt32(bits)) - 1
            }
        }
        // The bits left over from a partial quantum must be zero, otherwise two different
        // strings would decode to the same bytes.
        guard accumulator == 0 else { return nil }
        return result
    }

    private static let alphabet: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8
    )

    private static let invalid: UInt8 = 0xFF

    private static let decodingTable: [UInt8] = {
        var table = [UInt8](repeating: invalid, count: 256)
        for (index, character) in alphabet.enumerated() {
            table[Int(character)] = UInt8(index)
        }
        return table
    }()
}
