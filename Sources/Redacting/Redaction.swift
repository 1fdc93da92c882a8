/// Removes the parts of URLs that carry secrets (query, fragment, userinfo) before anything is printed.
///
/// A module of its own, with no dependency, so the one rule serves both `Curl` (its errors) and
/// the pure `MPS` (its models' descriptions) without `MPS` linking libcurl.
package enum Redaction {
    /// `https://user:pw@host:8080/cb?token=x#f` → `https://host:8080/cb?<redacted>`.
    package static func url(_ url: String) -> String {
        var scalars = Substring(url).unicodeScalars[...]
        var hadQuery = false
        if let cut = scalars.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            hadQuery = true
            scalars = scalars[..<cut]
        }
        var result = String(String.UnicodeScalarView(scalars))
        result = self.removingUserinfo(result)
        return hadQuery ? result + "?<redacted>" : result
    }

    /// Redacts every query string and userinfo found in free text, such as libcurl's messages.
    /// A query runs from `?` to the next whitespace or quote.
    package static func text(_ text: String) -> String {
        var output = String.UnicodeScalarView()
        var skipping = false
        for scalar in text.unicodeScalars {
            if skipping {
                if Self.endsURL(scalar) {
                    skipping = false
                    output.append(scalar)
                }
            } else if scalar == "?" || scalar == "#" {
                output.append(contentsOf: "?<redacted>".unicodeScalars)
                skipping = true
            } else {
                output.append(scalar)
            }
        }
        return self.removingUserinfo(String(output))
    }

    private static func endsURL(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" || scalar == "\"" || scalar == "'"
            || scalar == ")" || scalar == ">"
    }

    /// Drops `userinfo@` after every `://`, where the authority has one.
    private static func removingUserinfo(_ text: String) -> String {
        guard text.contains("@") else { return text }
        var result = ""
        var rest = Substring(text)
        while let schemeEnd = rest.firstRange(of: "://") {
            result += rest[..<schemeEnd.upperBound]
            rest = rest[schemeEnd.upperBound...]
            let authorityEnd = rest.firstIndex { $0 == "/" || $0 == " " || $0 == "\"" || $0 == "'" } ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@") {
                rest = rest[rest.index(after: at)...]
            }
        }
        return result + rest
    }
}
