import Foundation
public import Logging
import Synchronization

/// A `LogHandler` that writes one line per record to standard error: a JSON object
/// (`{"time":…,"level":…,"logger":…,"message":…,"key":…}`) or, for people, plain text.
/// Metadata keys keep their dot notation; nested metadata is written as nested JSON.
public struct StreamLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String
    private let format: AppConfiguration.LogFormat

    public init(label: String, level: Logger.Level, format: AppConfiguration.LogFormat) {
        self.label = label
        self.logLevel = level
        self.format = format
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let line: String
        switch format {
        case .json: line = Self.jsonLine(level: event.level, label: label, message: "\(event.message)", metadata: merged)
        case .text: line = Self.textLine(level: event.level, label: label, message: "\(event.message)", metadata: merged)
        }
        Self.output.withLock { _ in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    private static let output = Mutex(())

    static func jsonLine(level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> String {
        var line = "{\"time\":\"" + timestamp() + "\",\"level\":\"\(level.rawValue)\",\"logger\":"
        appendJSONString(label, to: &line)
        line += ",\"message\":"
        appendJSONString(message, to: &line)
        for key in metadata.keys.sorted() where !["time", "level", "logger", "message"].contains(key) {
            line += ","
            appendJSONString(key, to: &line)
            line += ":"
            if let value = metadata[key] { appendJSON(value, to: &line) }
        }
        line += "}"
        return line
    }

    static func textLine(level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> String {
        var line = timestamp() + " " + level.rawValue.uppercased() + " " + label + ": " + message
        for key in metadata.keys.sorted() {
            line += " \(key)=\(metadata[key].map { "\($0)" } ?? "")"
        }
        return line
    }

    private static func appendJSON(_ value: Logger.Metadata.Value, to line: inout String) {
        switch value {
        case .string(let text): appendJSONString(text, to: &line)
        case .stringConvertible(let convertible): appendJSONString(convertible.description, to: &line)
        case .array(let values):
            line += "["
            for (index, element) in values.enumerated() {
                if index > 0 { line += "," }
                appendJSON(element, to: &line)
            }
            line += "]"
        case .dictionary(let dictionary):
            line += "{"
            for (index, key) in dictionary.keys.sorted().enumerated() {
                if index > 0 { line += "," }
                appendJSONString(key, to: &line)
                line += ":"
                if let element = dictionary[key] { appendJSON(element, to: &line) }
            }
            line += "}"
        }
    }

    static func appendJSONString(_ text: String, to line: inout String) {
        line += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": line += "\\\""
            case "\\": line += "\\\\"
            case "\n": line += "\\n"
            case "\r": line += "\\r"
            case "\t": line += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                line += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            default: line.unicodeScalars.append(scalar)
            }
        }
        line += "\""
    }

    private static func timestamp() -> String {
        Date.now.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }
}
