import Foundation
@testable import MPS

// The reference for NotificationReportDifferentialTests: `NotificationReport.decode` as it was
// when it decoded the event with Foundation's JSONDecoder into private Decodable structs, moved
// here unchanged (only its name and the `Output` it builds are spelled out; the event's wire shape
// is CodableEventWire, shared with the fuzz target, and later fields such as the media durations
// are read there the JSONDecoder way too). The product keeps one implementation, the
// hand-written reader; this copy says what that reader must give.

/// The Codable decode of a notification body, kept as the oracle.
enum CodableNotificationReport {
    /// Decodes `body`, top level or inside a `{"Response": …}` wrapper. Throws exactly when the
    /// door refuses the body as unreadable (``NotificationVerifier/parse(_:)``): a body the door
    /// accepted always decodes, with the same envelope.
    static func decode(_ body: some Sequence<UInt8>) throws(NotificationRejection) -> NotificationReport {
        let bytes = Array(body)
        let reading = try bytes.withUnsafeBufferPointer { NotificationVerifier.reading($0) }.get()
        // The event's bytes were validated as JSON by the scanner. A `null` event has no
        // outputs, like a missing one; any other value must be an event whose result and
        // outputs have MPS's shape (leaf fields stay lenient), or the report says why not.
        var event: CodableEventWire.Wire.Event?
        var eventProblem: String?
        if let range = reading.event, !bytes[range].elementsEqual("null".utf8) {
            do {
                event = try MPSJSON.decoder.decode(CodableEventWire.Wire.Event.self, from: Data(bytes[range]))
            } catch {
                eventProblem = "BatchTaskEvent is not the shape MPS sends (\(Self.describe(error)))"
            }
        }
        return NotificationReport(
            envelope: reading.envelope, outputs: CodableEventWire.outputs(of: event),
            mediaDurations: CodableEventWire.mediaDurations(of: event), eventProblem: eventProblem
        )
    }

    /// Where decoding failed, without the values (a body is not echoed into errors).
    private static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "unreadable" }
        let path: [any CodingKey]
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context), .dataCorrupted(let context):
            path = context.codingPath
        @unknown default:
            path = []
        }
        let rendered = path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return rendered.isEmpty ? "not an object" : "at \(rendered.hasPrefix(".") ? String(rendered.dropFirst()) : rendered)"
    }
}
