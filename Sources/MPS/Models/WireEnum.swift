/// Shared plumbing for the closed request-side enums: a throwing `init(_:)` and a decoder
/// that fail with the same `ValidationProblem` message, naming the allowed values.
protocol WireEnum: RawRepresentable, CaseIterable, Sendable where RawValue: Sendable & Codable {
    /// The wire path reported when a bad raw value is found outside a full request.
    static var wireField: String { get }
    /// The MPS error code for a bad raw value.
    static var wireErrorCode: String { get }
}

extension WireEnum {
    /// The allowed wire values, in declaration order, for messages.
    static var allowedValues: String {
        Self.allCases.map { "\($0.rawValue)" }.joined(separator: ", ")
    }

    static func problem(for raw: RawValue) -> ValidationProblem {
        ValidationProblem(
            field: Self.wireField,
            message: "must be one of \(Self.allowedValues); got \(Quote.value(raw))",
            errorCode: Self.wireErrorCode
        )
    }

    static func validated(_ raw: RawValue) throws(ValidationProblem) -> Self {
        guard let value = Self(rawValue: raw) else { throw Self.problem(for: raw) }
        return value
    }

    static func decoded(from decoder: any Decoder) throws -> Self {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(RawValue.self)
        guard let value = Self(rawValue: raw) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: Self.problem(for: raw).message)
        }
        return value
    }
}

/// Quoting of user-supplied values in messages: short, and never a whole multi-kilobyte string.
enum Quote {
    static func value(_ raw: some Any) -> String {
        if let string = raw as? String {
            let limit = 40
            let shown = string.count > limit ? String(string.prefix(limit)) + "…" : string
            return "\"\(shown)\""
        }
        return "\(raw)"
    }
}
