/// `SessionContext`: the pass-through string MPS echoes in callbacks. Holds at most 1000
/// characters, counted both as Swift `Character`s and as UTF-16 code units (the stricter wins,
/// since we cannot tell which of the two MPS counts).
public struct SessionContext: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The longest accepted value, in characters and in UTF-16 code units.
    public static let maxLength = 1000

    /// The string as sent.
    public let value: String

    /// Accepts a string of at most `maxLength` characters and UTF-16 code units.
    public init(_ value: String) throws(ValidationProblem) {
        if let problem = Self.problem(for: value) { throw problem }
        self.value = value
    }

    static func problem(for value: String) -> ValidationProblem? {
        // Every Character is at least one UTF-16 unit, so the UTF-16 count is the stricter bound.
        let units = value.utf16.count
        let characters = value.count
        guard units > Self.maxLength || characters > Self.maxLength else { return nil }
        return ValidationProblem(
            field: "SessionContext",
            message: "is too long: \(characters) characters (\(units) UTF-16 units); at most \(Self.maxLength) allowed",
            errorCode: ErrorCode.sessionContextTooLong
        )
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let value = try container.decode(String.self)
        if let problem = Self.problem(for: value) {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: problem.message)
        }
        self.value = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.value)
    }

    public var description: String { self.value }
}

/// `TasksPriority`: an integer in −10…10; larger runs earlier. MPS defaults to 0.
public struct TaskPriority: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    /// The accepted values.
    public static let range = -10...10
    /// MPS's default priority.
    public static let `default` = TaskPriority(unchecked: 0)

    /// The priority as sent.
    public let value: Int

    /// Accepts −10…10.
    public init(_ value: Int) throws(ValidationProblem) {
        if let problem = Self.problem(for: value) { throw problem }
        self.value = value
    }

    private init(unchecked value: Int) {
        self.value = value
    }

    static func problem(for value: Int) -> ValidationProblem? {
        guard !Self.range.contains(value) else { return nil }
        return ValidationProblem(
            field: "TasksPriority",
            message: "must be between \(Self.range.lowerBound) and \(Self.range.upperBound); got \(value)",
            errorCode: ErrorCode.invalidParameterValue
        )
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let value = try container.decode(Int.self)
        if let problem = Self.problem(for: value) {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: problem.message)
        }
        self.value = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.value)
    }

    public static func < (lhs: TaskPriority, rhs: TaskPriority) -> Bool { lhs.value < rhs.value }

    public var description: String { String(self.value) }
}

/// `OutputDir`: an output directory that starts and ends with `/` (so `/` itself is valid).
public struct OutputDirectory: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The directory as sent, e.g. `/movie/201907/`.
    public let path: String

    /// Accepts a path that starts and ends with `/`.
    public init(_ path: String) throws(ValidationProblem) {
        if let problem = Self.problem(for: path) { throw problem }
        self.path = path
    }

    static func problem(for path: String) -> ValidationProblem? {
        guard !(path.hasPrefix("/") && path.hasSuffix("/")) else { return nil }
        return ValidationProblem(
            field: "OutputDir",
            message: "must start and end with \"/\" (e.g. \"/movie/201907/\"); got \(Quote.value(path))",
            errorCode: ErrorCode.invalidParameterValue
        )
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let path = try container.decode(String.self)
        if let problem = Self.problem(for: path) {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: problem.message)
        }
        self.path = path
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.path)
    }

    public var description: String { self.path }
}
