/// Removes secrets from what models print: URL query strings, fragments and userinfo, and keys.
enum MPSRedaction {
    static let placeholder = "<redacted>"

    /// `https://user:pw@host/cb?token=x#f` → `https://host/cb?<redacted>`.
    static func url(_ url: String) -> String {
        var result = url
        var hadQuery = false
        if let cut = result.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            result = String(result[..<cut])
            hadQuery = true
        }
        if let schemeEnd = result.firstRange(of: "://") {
            let authorityEnd = result[schemeEnd.upperBound...].firstIndex(of: "/") ?? result.endIndex
            if let at = result[schemeEnd.upperBound..<authorityEnd].lastIndex(of: "@") {
                result.removeSubrange(schemeEnd.upperBound...at)
            }
        }
        return hadQuery ? result + "?" + Self.placeholder : result
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
