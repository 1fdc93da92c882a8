/// The name a person gives an API key: 1–64 characters of `A–Z a–z 0–9 . _ -`, and not 12
/// lower-case hexadecimal digits (that spelling is a key id, and `mpshook keys revoke` takes
/// either). Names are unique among keys that are not revoked, so a name can be used again after
/// its key is revoked (rotation); the id stays unique for ever.
public struct APIKeyName: Sendable, Hashable, Codable, CustomStringConvertible, Comparable {
    /// The longest name accepted.
    public static let maximumLength = 64

    /// The name as given.
    public let rawValue: String

    /// Why a text is not a key name.
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public struct Code: Hashable, Sendable, CustomStringConvertible {
            private let name: String
            private init(_ name: String) { self.name = name }
            public static let empty = Code("empty")
            public static let tooLong = Code("tooLong")
            public static let character = Code("character")
            public static let looksLikeId = Code("looksLikeId")
            public var description: String { name }
        }

        public var code: Code
        /// A sentence for the person who typed the name.
        public var description: String
    }

    /// Checks `text`; throws ``Invalid`` saying what is wrong. Never echoes more than a short,
    /// printable prefix of hostile input.
    public init(_ text: some StringProtocol) throws(Invalid) {
        let bytes = text.utf8
        guard !bytes.isEmpty else {
            throw Invalid(code: .empty, description: "a key name must not be empty")
        }
        // Counted with a cap so a huge input costs no more than the limit.
        guard bytes.prefix(Self.maximumLength + 1).count <= Self.maximumLength else {
            throw Invalid(code: .tooLong, description: "a key name has at most \(Self.maximumLength) characters")
        }
        if let offset = bytes.firstIndex(where: { !Self.isAllowed($0) }).map({ bytes.distance(from: bytes.startIndex, to: $0) }) {
            throw Invalid(
                code: .character,
                description: "a key name may hold only letters A-Z a-z, digits, '.', '_' and '-' (character \(offset + 1) is not one)"
            )
        }
        guard !APIKeySecret.isKeyId(text) else {
            throw Invalid(code: .looksLikeId, description: "a key name must not be 12 hexadecimal digits: that is how key ids are spelled")
        }
        rawValue = String(text)
    }

    public var description: String { rawValue }

    public static func < (lhs: APIKeyName, rhs: APIKeyName) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }
}
