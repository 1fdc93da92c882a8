import Foundation
import MPS

// The reference the fuzzer compares NotificationReport.decode with: the JSONDecoder decode of
// the event it replaced (Tests/MPSTests/NotificationReportOracle.swift; the event's wire shape is
// CodableEventWire.swift, a symbolic link to Tests/MPSTests/CodableEventWire.swift), here over
// the whole body, as the door's internal reading of the event's range
// is not public: the event is the `BatchTaskEvent` of the `Response` object when there is one,
// else of the top level, which is where the door reads it in every body it accepts.

/// The outputs, media durations and problem JSONDecoder read from a body's event.
enum CodableEventOracle {
    struct Reading: Equatable {
        var outputs: [NotificationReport.Output]
        var mediaDurations: [Double?]
        var eventProblem: String?
    }

    /// What the old decode read from `body`'s event; nil when JSONDecoder cannot open the
    /// object the envelope is in (not JSON, or a key there that is not UTF-8), where this
    /// whole-body reading cannot stand in for the old one.
    static func read(_ body: [UInt8]) -> Reading? {
        guard let outcome = try? JSONDecoder().decode(Body.self, from: Data(body)) else { return nil }
        let event: CodableEventWire.Wire.Event?
        var eventProblem: String?
        switch outcome.event {
        case .absent: event = nil
        case .event(let read): event = read
        case .failed(let error, let prefix):
            event = nil
            eventProblem = "BatchTaskEvent is not the shape MPS sends (\(Self.describe(error, prefix: prefix)))"
        }
        return Reading(
            outputs: CodableEventWire.outputs(of: event), mediaDurations: CodableEventWire.mediaDurations(of: event), eventProblem: eventProblem
        )
    }

    /// A body: its event, read where the door reads it.
    private struct Body: Decodable {
        enum Event {
            /// Missing or `null`: no outputs.
            case absent
            case event(CodableEventWire.Wire.Event)
            /// The decode failed; the error's path starts with `prefix` envelope keys.
            case failed(any Error, prefix: Int)
        }

        var event: Event

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
            static let response = Key(stringValue: "Response")
            static let event = Key(stringValue: "BatchTaskEvent")
        }

        init(from decoder: any Decoder) throws {
            let top = try decoder.container(keyedBy: Key.self)
            if top.contains(.response) {
                // The door reads a `Response` object (anything else there it refuses).
                event = try Self.event(in: top.nestedContainer(keyedBy: Key.self, forKey: .response), prefix: 2)
            } else {
                event = try Self.event(in: top, prefix: 1)
            }
        }

        static func event(in container: KeyedDecodingContainer<Key>, prefix: Int) throws -> Event {
            guard container.contains(.event), try !container.decodeNil(forKey: .event) else { return .absent }
            do {
                return .event(try container.decode(CodableEventWire.Wire.Event.self, forKey: .event))
            } catch {
                return .failed(error, prefix: prefix)
            }
        }
    }

    /// Where decoding failed, as the old decode said it: the path below `BatchTaskEvent`
    /// (the first `prefix` keys of the whole-body path are the envelope's). JSONDecoder turns
    /// its own errors (a key that is not UTF-8) into a path-less `dataCorrupted` only at the
    /// top of a decode; decoded nested, they surface as they are: "not an object" either way.
    private static func describe(_ error: any Error, prefix: Int) -> String {
        guard let error = error as? DecodingError else { return "not an object" }
        let path: [any CodingKey]
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context), .dataCorrupted(let context):
            path = Array(context.codingPath.dropFirst(prefix))
        @unknown default:
            path = []
        }
        let rendered = path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return rendered.isEmpty ? "not an object" : "at \(rendered.hasPrefix(".") ? String(rendered.dropFirst()) : rendered)"
    }
}
