import Foundation
public import MPS
import Redacting

/// What the API (and `mpshook steps show`) shows of stored text that may hold secrets: a step's
/// `BatchProcessMedia` request and a notification's body and headers. One rule for every reader.
///
/// Removed from JSON, at any depth: what ``MPSRedaction`` removes from MPS payloads (`NotifyKey`
/// and the S3 keys become `<redacted>`; `NotifyUrl` and input `Url`s lose their query, fragment
/// and userinfo, where callback tokens and URL signatures live), `Sign` (a MAC of the NotifyKey,
/// which would let anyone guess a weak key offline), and the query, fragment and userinfo of
/// every other `http`/`https` URL. The stored request never holds the NotifyUrl token or the
/// NotifyKey, but an MPS answer echoes `TaskNotifyConfig` (a poll's stored body), and a row
/// written by an older version or by hand may hold anything.
public enum StoredSecrets {
    static let placeholder = "<redacted>"
    /// Members whose value is a secret, beyond ``MPSRedaction``'s.
    static let secretMembers: Set<String> = ["Sign"]

    /// `text` (JSON) with every secret removed; nil when it is not JSON.
    public static func json(_ text: String) -> JSONValue? {
        guard let value = try? MPSJSON.decoder.decode(JSONValue.self, from: Data(text.utf8)) else { return nil }
        return json(value)
    }

    /// `value` with every secret removed.
    public static func json(_ value: JSONValue) -> JSONValue {
        stripped(MPSRedaction.json(value))
    }

    /// Free text (a body that is not JSON, e.g. a row written by hand or cut short): every URL's
    /// query, fragment and userinfo removed, and the string value of every secret member
    /// (`"NotifyKey": "…"`, `"Sign": "…"`, the S3 keys) replaced, wherever such a member appears.
    public static func text(_ text: String) -> String {
        var result = Redaction.text(text)
        for name in MPSRedaction.secretMembers.union(secretMembers).sorted() {
            // "Name" : "value with \" escapes" (the value may run to the end of cut-short text).
            let pattern = "(\"\(name)\"\\s*:\\s*\")(?:[^\"\\\\]|\\\\.)*(\"?)"
            guard let expression = try? NSRegularExpression(pattern: pattern) else { continue }
            let range = NSRange(result.startIndex..., in: result)
            result = expression.stringByReplacingMatches(in: result, range: range, withTemplate: "$1\(placeholder)$2")
        }
        return result
    }

    /// A URL without its query, fragment and userinfo (signed input URLs carry credentials there).
    public static func url(_ url: String) -> String {
        Redaction.url(url)
    }

    /// Stored request headers (a JSON object of strings, as the door writes them) as a
    /// dictionary: credential headers left out (the door never stores them; this holds for rows
    /// written otherwise too) and every value's URL queries removed. Empty when not an object.
    public static func headers(_ text: String) -> [String: String] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return [:] }
        var headers: [String: String] = [:]
        for (name, value) in object {
            guard let value = value as? String else { continue }
            let lowered = name.lowercased()
            guard !CredentialHeaders.names.contains(lowered) else { continue }
            headers[lowered] = Redaction.text(value)
        }
        return headers
    }

    private static func stripped(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            var result: [String: JSONValue] = [:]
            for (name, member) in members {
                if secretMembers.contains(name), case .string(let text) = member {
                    result[name] = .string(text.isEmpty ? "" : placeholder)
                } else {
                    result[name] = stripped(member)
                }
            }
            return .object(result)
        case .array(let elements):
            return .array(elements.map(stripped))
        case .string(let text) where isWebURL(text):
            return .string(Redaction.url(text))
        default:
            return value
        }
    }

    private static func isWebURL(_ text: String) -> Bool {
        let prefix = text.prefix(8).lowercased()
        return prefix.hasPrefix("http://") || prefix.hasPrefix("https://")
    }
}
