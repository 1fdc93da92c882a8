public import Logging
import Synchronization

/// A log handler that keeps every line it is given, for asserting what reaches the logs: each
/// line with its level, message and metadata, and rendered as `level message key=value…`.
public final class CapturedLogs: Sendable {
    /// One logged line.
    public struct Line: Sendable {
        public var level: Logger.Level
        public var message: String
        public var metadata: Logger.Metadata
    }

    private let storage = Mutex<[Line]>([])

    public init() {}

    /// Every line so far, in order.
    public var lines: [Line] { storage.withLock { $0 } }

    /// Every line so far, rendered as `level message key=value…` (keys sorted).
    public var all: [String] {
        lines.map { line in
            let rendered = line.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            return "\(line.level) \(line.message) \(rendered)"
        }
    }

    /// A handler for `Logger(label:factory:)` that records into this sink.
    public func handler(label: String = "test") -> some LogHandler {
        Handler(sink: self)
    }

    private struct Handler: LogHandler {
        let sink: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let line = Line(level: event.level, message: "\(event.message)", metadata: metadata.merging(event.metadata ?? [:]) { $1 })
            sink.storage.withLock { $0.append(line) }
        }
    }
}
