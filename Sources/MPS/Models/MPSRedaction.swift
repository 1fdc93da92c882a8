import Curl

/// Removes secrets from what models print: URL query strings, fragments and userinfo, and keys.
enum MPSRedaction {
    static let placeholder = "<redacted>"

    /// `https://user:pw@host/cb?token=x#f` → `https://host/cb?<redacted>` (the Curl module's rule).
    static func url(_ url: String) -> String {
        Redaction.url(url)
    }

    /// A secret's presence, never its value.
    static func secret(_ value: String?) -> String {
        switch value {
        case nil: "nil"
        case .some(let value) where value.isEmpty: "\"\""
        case .some: Self.placeholder
        }
    }

    /// `Name(a: 1, b: "x")` from the non-nil fields, for hand-written descriptions.
    static func describe(_ name: String, _ fields: [(String, String?)]) -> String {
        let shown = fields.compactMap { field -> String? in
            guard let value = field.1 else { return nil }
            return "\(field.0): \(value)"
        }
        return "\(name)(\(shown.joined(separator: ", ")))"
    }
}
