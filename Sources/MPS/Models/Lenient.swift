extension KeyedDecodingContainer {
    /// The value for `key`, or `nil` when it is missing, `null` or of another type: response-side
    /// models use this so one odd field never fails a whole callback or poll.
    func lenient<T: Decodable>(_ key: Key) -> T? {
        (try? self.decodeIfPresent(T.self, forKey: key)) ?? nil
    }
}

/// `SmartSubtitleTaskBatchOutput.Status`: per-output state in callbacks and polls. A value MPS
/// adds later decodes as `.unknown` instead of failing.
public enum OutputStatus: Sendable, Hashable, Codable, CustomStringConvertible {
    case waiting
    case processing
    case success
    case fail
    case unknown(String)

    public init(rawValue: String) {
        switch rawValue {
        case "WAITING": self = .waiting
        case "PROCESSING": self = .processing
        case "SUCCESS": self = .success
        case "FAIL": self = .fail
        default: self = .unknown(rawValue)
        }
    }

    /// The wire value.
    public var rawValue: String {
        switch self {
        case .waiting: "WAITING"
        case .processing: "PROCESSING"
        case .success: "SUCCESS"
        case .fail: "FAIL"
        case .unknown(let value): value
        }
    }

    /// `true` for `.success` and `.fail`: MPS will not change such an output again.
    public var isTerminal: Bool {
        self == .success || self == .fail
    }

    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.rawValue)
    }

    public var description: String { self.rawValue }
}

/// `DescribeBatchTaskDetail`'s task-level `Status`. `FINISH` means done, successful or not:
/// read the outputs. A value MPS adds later decodes as `.unknown`.
public enum BatchTaskStatus: Sendable, Hashable, Codable, CustomStringConvertible {
    case waiting
    case processing
    case finish
    case unknown(String)

    public init(rawValue: String) {
        switch rawValue {
        case "WAITING": self = .waiting
        case "PROCESSING": self = .processing
        case "FINISH": self = .finish
        default: self = .unknown(rawValue)
        }
    }

    /// The wire value.
    public var rawValue: String {
        switch self {
        case .waiting: "WAITING"
        case .processing: "PROCESSING"
        case .finish: "FINISH"
        case .unknown(let value): value
        }
    }

    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.rawValue)
    }

    public var description: String { self.rawValue }
}
