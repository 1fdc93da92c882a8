import Hashing

/// An API key: `mpsk_<id>_<secret>`, where `<id>` is 12 lower-case hexadecimal digits (public,
/// finds the key's row) and `<secret>` is 32 random bytes in unpadded base64url (43 characters).
///
/// Only the id and the SHA-256 of the whole key are stored; the key itself is shown once, when it
/// is made. A presented key is parsed first: anything that is not exactly this shape is refused
/// without a database look-up, and at no more cost than reading its first 62 bytes.
public struct APIKeySecret: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// What every key starts with, so a leaked key is easy to recognise (and to scan for).
    public static let prefix = "mpsk_"
    /// Hexadecimal digits in a key id (48 random bits: unique by the primary key, regenerated on the
    /// rare collision).
    public static let idLength = 12
    /// Random bytes in the secret part.
    public static let secretByteCount = 32
    /// The length of every key, in bytes: prefix, id, `_`, 43 base64url characters.
    public static let length = prefix.utf8.count + idLength + 1 + 43

    /// The key's public id.
    public let id: String
    /// The whole key, as the client sends it. Show it once to the person who made it; never log it.
    public let text: String

    private init(id: String, text: String) {
        self.id = id
        self.text = text
    }

    /// A new key from the system's secure random source.
    public static func generate() -> APIKeySecret {
        let id = Hex.encode(SecureRandom.bytes(count: idLength / 2))
        let secret = Base64URL.encode(SecureRandom.bytes(count: secretByteCount))
        return APIKeySecret(id: id, text: prefix + id + "_" + secret)
    }

    /// The key in `presented`, or nil when it is not exactly `mpsk_` + 12 lower-case hex digits +
    /// `_` + the canonical unpadded base64url of 32 bytes (no whitespace, no padding, no other
    /// case). Reads at most ``length`` + 1 bytes of the input whatever its size.
    public init?(parsing presented: some StringProtocol) {
        let bytes = Array(presented.utf8.prefix(Self.length + 1))
        guard bytes.count == Self.length else { return nil }
        let prefixCount = Self.prefix.utf8.count
        guard bytes[0..<prefixCount].elementsEqual(Self.prefix.utf8) else { return nil }
        let idBytes = bytes[prefixCount..<(prefixCount + Self.idLength)]
        guard idBytes.allSatisfy(Self.isLowerHex) else { return nil }
        guard bytes[prefixCount + Self.idLength] == UInt8(ascii: "_") else { return nil }
        // Base64URL.decode accepts only the canonical spelling (no padding here: the length is
        // fixed at 43, and non-zero unused bits are refused), so one key has one accepted text.
        let secretBytes = bytes[(prefixCount + Self.idLength + 1)...]
        guard let secret = Base64URL.decode(String(decoding: secretBytes, as: UTF8.self)),
            secret.count == Self.secretByteCount
        else { return nil }
        self.init(id: String(decoding: idBytes, as: UTF8.self), text: String(decoding: bytes, as: UTF8.self))
    }

    /// The SHA-256 of the whole key: what is stored. The secret has 256 random bits, so a plain
    /// (unsalted, fast) hash is enough: there is nothing to guess from it.
    public var hash: [UInt8] {
        SHA256.hash(text.utf8)
    }

    /// True when `storedHash` is this key's hash. Compared in constant time, so the time taken
    /// says nothing about how much of it matched.
    public func matches(storedHash: some Sequence<UInt8>) -> Bool {
        ConstantTime.equals(hash, storedHash)
    }

    /// True when `text` is spelled like a key id: exactly 12 lower-case hexadecimal digits.
    public static func isKeyId(_ text: some StringProtocol) -> Bool {
        let bytes = text.utf8.prefix(idLength + 1)
        return bytes.count == idLength && bytes.allSatisfy(isLowerHex)
    }

    /// Never the secret: `mpsk_<id>_…`, safe in logs and test failures.
    public var description: String {
        Self.prefix + id + "_…"
    }

    public var debugDescription: String {
        description
    }

    /// `dump` and reflection show the id only.
    public var customMirror: Mirror {
        Mirror(self, children: ["id": id], displayStyle: .struct)
    }

    private static func isLowerHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }
}
