public import Foundation

/// How the API (and `mpshook`'s `--json` output) writes JSON: camelCase members, ISO 8601
/// times in UTC, lower-case UUIDs; one encoder for every document.
public enum APIJSON {
    /// Sorted keys, unescaped slashes, ISO 8601 dates; `pretty` for people.
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// Reads what ``encoder(pretty:)`` writes.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    /// A UUID as the API writes it: lower case, like PostgreSQL.
    public static func id(_ uuid: UUID) -> String {
        uuid.uuidString.lowercased()
    }
}
