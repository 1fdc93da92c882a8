public import Foundation
public import Hummingbird

/// A request's query parameters, read and checked: every problem is a 400 ``APIProblem`` naming
/// the parameter. A parameter the route does not know is refused (a typo like `?stat=failed`
/// would otherwise list everything); a single-valued one given twice is refused; lists may be
/// repeated (`state=a&state=b`) or comma-separated (`state=a,b`).
public struct QueryReader: Sendable {
    /// The most a list of values may hold, and the longest any value may be.
    public static let maximumValues = 20
    public static let maximumLength = 200

    let values: [String: [String]]

    /// Reads `request`'s query; `allowed` are the names the route documents.
    public init(_ request: Request, allowed: Set<String>) throws(APIProblem) {
        var values: [String: [String]] = [:]
        for (key, value) in request.uri.queryParameters {
            let name = String(key)
            guard allowed.contains(name) else {
                let known = allowed.sorted().joined(separator: ", ")
                throw .invalidParameter(
                    String(name.prefix(50)), allowed.isEmpty ? "this route takes no query parameters" : "unknown parameter (known: \(known))"
                )
            }
            values[name, default: []].append(String(value))
        }
        self.values = values
    }

    /// The one value of `name` (nil when absent): at most ``maximumLength`` characters, not empty.
    public func string(_ name: String, maximumLength: Int = QueryReader.maximumLength) throws(APIProblem) -> String? {
        guard let all = values[name] else { return nil }
        guard all.count == 1, let value = all.first else { throw .invalidParameter(name, "give it once") }
        guard !value.isEmpty else { throw .invalidParameter(name, "must not be empty") }
        guard value.count <= maximumLength else { throw .invalidParameter(name, "longer than \(maximumLength) characters") }
        return value
    }

    /// A UUID (any case).
    public func uuid(_ name: String) throws(APIProblem) -> UUID? {
        guard let text = try string(name, maximumLength: 36) else { return nil }
        guard let id = UUID(uuidString: text) else { throw .invalidParameter(name, "not a UUID") }
        return id
    }

    /// An integer within `range`.
    public func integer(_ name: String, in range: ClosedRange<Int>) throws(APIProblem) -> Int? {
        guard let text = try string(name, maximumLength: 20) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw .invalidParameter(name, "an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// A time, RFC 3339 (`2026-12-02T04:00:00Z`, fractional seconds and offsets allowed).
    public func time(_ name: String) throws(APIProblem) -> Date? {
        guard let text = try string(name, maximumLength: 40) else { return nil }
        guard let date = Self.parseTime(text) else {
            throw .invalidParameter(name, "an RFC 3339 time, e.g. 2026-12-02T04:00:00Z")
        }
        return date
    }

    /// The page size: `limit` from 1 to `maximum`, `standard` when absent.
    public func limit(standard: Int = 50, maximum: Int = 200) throws(APIProblem) -> Int {
        try integer("limit", in: 1...maximum) ?? standard
    }

    /// Values of an enumeration (repeated or comma-separated); an unknown one is refused with
    /// the accepted values listed. Empty when absent.
    public func values<Value: RawRepresentable & CaseIterable>(
        _ name: String, as type: Value.Type
    ) throws(APIProblem) -> [Value] where Value.RawValue == String {
        try list(name).map { (text) throws(APIProblem) -> Value in
            guard let value = Value(rawValue: text) else {
                let accepted = Value.allCases.map(\.rawValue).joined(separator: ", ")
                throw .invalidParameter(name, "unknown value \"\(text.prefix(50))\" (accepted: \(accepted))")
            }
            return value
        }
    }

    /// One value of an enumeration.
    public func value<Value: RawRepresentable & CaseIterable>(
        _ name: String, as type: Value.Type
    ) throws(APIProblem) -> Value? where Value.RawValue == String {
        guard try string(name) != nil else { return nil }
        let all = try values(name, as: type)
        guard all.count == 1 else { throw .invalidParameter(name, "give one value") }
        return all[0]
    }

    /// Plain strings of a list parameter (repeated or comma-separated), each non-empty.
    public func list(_ name: String) throws(APIProblem) -> [String] {
        guard let all = values[name] else { return [] }
        var items: [String] = []
        for value in all {
            guard value.count <= Self.maximumLength else { throw .invalidParameter(name, "longer than \(Self.maximumLength) characters") }
            for item in value.split(separator: ",", omittingEmptySubsequences: false) {
                guard !item.isEmpty else { throw .invalidParameter(name, "empty value") }
                items.append(String(item))
            }
        }
        guard items.count <= Self.maximumValues else { throw .invalidParameter(name, "at most \(Self.maximumValues) values") }
        return items
    }

    /// Parses RFC 3339 date-times (with or without fractional seconds).
    public static func parseTime(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }
}
