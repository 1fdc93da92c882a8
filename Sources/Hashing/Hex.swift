/// Base 16 (RFC 4648 §8) without separators.
public enum Hex {
    /// The lower-case hexadecimal form of `bytes`, two characters per byte.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        withContiguousBytes(bytes) { pointer, count in
            String(unsafeUninitializedCapacity: count * 2) { output in
                for index in 0..<count {
                    let byte = pointer[index]
                    output[2 * index] = digits[Int(byte >> 4)]
                    output[2 * index + 1] = digits[Int(byte & 0x0F)]
                }
                return count * 2
            }
        }
    }

    /// The bytes spelled by `string`, accepting upper- and lower-case digits; nil if the length is
    /// odd or any character is not a hexadecimal digit.
    public static func decode(_ string: some StringProtocol) -> [UInt8]? {
        withContiguousBytes(string.utf8) { pointer, count in
            guard count % 2 == 0 else { return nil }
            var valid = true
            let bytes = [UInt8](unsafeUninitializedCapacity: count / 2) { output, initialized in
                for index in 0..<count / 2 {
                    guard let high = value(of: pointer[2 * index]),
                        let low = value(of: pointer[2 * index + 1])
                    else {
                        valid = false
                        return
                    }
                    output[index] = high << 4 | low
                    initialized = index + 1
                }
            }
            return valid ? bytes : nil
        }
    }

    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    @inline(__always)
    private static func value(of character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character &- UInt8(ascii: "a") &+ 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character &- UInt8(ascii: "A") &+ 10
        default: nil
        }
    }
}
