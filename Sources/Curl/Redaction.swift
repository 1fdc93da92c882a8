/// Removes the parts of URLs that carry secrets (query, fragment, userinfo) before anything is printed.
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

/// ASCII helpers for HTTP's case-insensitive names, without Foundation.
enum ASCII {
    static func lowercased(_ byte: UInt8) -> UInt8 {
        (byte >= 0x41 && byte <= 0x5A) ? byte | 0x20 : byte
    }

    static func equalsIgnoringCase(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.elementsEqual(rhs.utf8) { self.lowercased($0) == self.lowercased($1) }
    }

    /// RFC 9110 `tchar`: what a method or header name may consist of.
    static func isToken(_ string: String) -> Bool {
        !string.isEmpty
            && string.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                    UInt8(ascii: "A")...UInt8(ascii: "Z"):
                    true
                default:
                    "!#$%&'*+-.^_`|~".utf8.contains(byte)
                }
            }
    }

    /// A header value or user agent must not end the header line early.
    static func isSafeFieldValue(_ string: String) -> Bool {
        string.utf8.allSatisfy { $0 != 0x0D && $0 != 0x0A && $0 != 0x00 }
    }
}
