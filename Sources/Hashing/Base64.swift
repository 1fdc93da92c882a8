/// Base 64 with the standard alphabet and padding (RFC 4648 §4), as Standard Webhooks writes
/// signatures and `whsec_` secrets. The same coder as ``Base64URL`` with `+` and `/` for `-`
/// and `_`.
public enum Base64 {
    /// The padded base64 form of `bytes`.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var text = Array(Base64URL.encode(bytes).utf8)
        for index in text.indices {
            switch text[index] {
            case UInt8(ascii: "-"): text[index] = UInt8(ascii: "+")
            case UInt8(ascii: "_"): text[index] = UInt8(ascii: "/")
            default: break
            }
        }
        text += repeatElement(UInt8(ascii: "="), count: (4 - text.count % 4) % 4)
        return String(decoding: text, as: UTF8.self)
    }

    /// The bytes encoded by `string`, padded or not. Nil for any character outside the standard
    /// alphabet (`-`, `_` and whitespace included), misplaced padding or non-zero unused bits.
    public static func decode(_ string: some StringProtocol) -> [UInt8]? {
        var text = Array(string.utf8)
        for index in text.indices {
            switch text[index] {
            case UInt8(ascii: "-"), UInt8(ascii: "_"): return nil
            case UInt8(ascii: "+"): text[index] = UInt8(ascii: "-")
            case UInt8(ascii: "/"): text[index] = UInt8(ascii: "_")
            default: break
            }
        }
        return Base64URL.decode(String(decoding: text, as: UTF8.self))
    }
}
