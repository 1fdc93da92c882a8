import Redacting

/// Removes secrets from what models print: URL query strings, fragments and userinfo, and keys.
package enum MPSRedaction {
    static let placeholder = "<redacted>"

    /// Members whose value is a secret: shown as `<redacted>` (an empty one stays empty).
    package static let secretMembers: Set<String> = ["NotifyKey", "S3SecretId", "S3SecretKey"]
    /// Members whose value is a URL that may carry a token (callback) or a signature (presigned input).
    static let urlMembers: Set<String> = ["NotifyUrl", "Url"]

    /// An MPS answer (or request) as JSON, with the same secrets removed as the models'
    /// descriptions remove, at any depth: `NotifyKey` and the S3 keys, and the query of
    /// `NotifyUrl` and input `Url`s (where callback tokens and URL signatures live). For printing
    /// raw answers, such as `DescribeBatchTaskDetail`'s echo of `TaskNotifyConfig`.
    package static func json(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            var redacted: [String: JSONValue] = [:]
            for (name, member) in members {
                switch (name, member) {
                case (_, .string(let text)) where Self.secretMembers.contains(name):
                    redacted[name] = .string(text.isEmpty ? "" : Self.placeholder)
                case (_, .string(let text)) where Self.urlMembers.contains(name):
                    redacted[name] = .string(Self.url(text))
                default:
                    redacted[name] = Self.json(member)
                }
            }
            return .object(redacted)
        case .array(let elements):
            return .array(elements.map(Self.json))
        default:
            return value
        }
    }

    /// `https://user:pw@host/cb?token=x#f` → `https://host/cb?<redacted>` (the one rule, in `Redacting`).
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
