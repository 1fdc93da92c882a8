import Foundation

/// What applying a `BatchTask` notification needs, and nothing more: the envelope the door
/// verified, and per output (in input order) its status, progress, subtitle location and
/// error. (A batch notification carries no TaskId: correlation goes through `SessionContext`.)
///
/// The envelope comes from the door's own reading (``NotificationVerifier/read(_:)``), and the
/// outputs only from the `BatchTaskEvent` of the object that envelope is in, so what is applied
/// is what the door checked. Decoding the event skips every other field (segments, metadata,
/// echoes), so it costs a fraction of ``MPSNotification``. Lenient like the full model: a
/// missing, null or oddly typed field in the event reads as nil.
public struct NotificationReport: Sendable, Hashable {
    /// Exactly what the door verifies for the same body.
    public var envelope: NotificationEnvelope
    public var outputs: [Output]
    /// Why the event's outputs could not be read (a `SmartSubtitlesTaskResult` or `Outputs`
    /// that is not the shape MPS sends, such as an output that is not an object); nil when they
    /// were read or the body has none. A report with a problem must not be applied as if it
    /// reported nothing: the applier keeps such a notification `failed`, visible and re-appliable.
    public var eventProblem: String?

    /// One output of the smart-subtitle result.
    public struct Output: Sendable, Hashable {
        public var status: OutputStatus?
        public var progress: Int?
        public var errorCode: String?
        public var message: String?
        /// The subtitle's path in the output storage (translation first, else recognition).
        public var path: String?
        /// The subtitle's URL (translation first, else recognition).
        public var subtitleURL: String?
        /// Every subtitle file MPS reported for this output: the recognition, then each translation.
        public var files: [SubtitleFile]

        public init(
            status: OutputStatus? = nil, progress: Int? = nil, errorCode: String? = nil, message: String? = nil,
            path: String? = nil, subtitleURL: String? = nil, files: [SubtitleFile] = []
        ) {
            self.status = status
            self.progress = progress
            self.errorCode = errorCode
            self.message = message
            self.path = path
            self.subtitleURL = subtitleURL
            self.files = files
        }
    }

    /// Decodes `body`, top level or inside a `{"Response": …}` wrapper. Throws exactly when the
    /// door refuses the body as unreadable (``NotificationVerifier/parse(_:)``): a body the door
    /// accepted always decodes, with the same envelope.
    public static func decode(_ body: some Sequence<UInt8>) throws(NotificationRejection) -> NotificationReport {
        let bytes = Array(body)
        let reading = try bytes.withUnsafeBufferPointer { NotificationVerifier.reading($0) }.get()
        // The event's bytes were validated as JSON by the scanner. A `null` event has no
        // outputs, like a missing one; any other value must be an event whose result and
        // outputs have MPS's shape (leaf fields stay lenient), or the report says why not.
        var event: Wire.Event?
        var eventProblem: String?
        if let range = reading.event, !bytes[range].elementsEqual("null".utf8) {
            do {
                event = try MPSJSON.decoder.decode(Wire.Event.self, from: Data(bytes[range]))
            } catch {
                eventProblem = "BatchTaskEvent is not the shape MPS sends (\(Self.describe(error)))"
            }
        }
        let outputs = event?.smartSubtitlesTaskResult?.outputs ?? []
        return NotificationReport(
            envelope: reading.envelope,
            outputs: outputs.map { output in
                Output(
                    status: output.status.map(OutputStatus.init(rawValue:)),
                    progress: output.progress,
                    errorCode: output.errCodeExt,
                    message: output.message,
                    path: output.transTextTask?.path ?? output.asrFullTextTask?.path,
                    subtitleURL: output.transTextTask?.subtitlePath ?? output.asrFullTextTask?.subtitlePath
                )
            },
            eventProblem: eventProblem
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

    private enum Wire {
        struct Event: Decodable {
            var smartSubtitlesTaskResult: Result?

            enum CodingKeys: String, CodingKey { case smartSubtitlesTaskResult = "SmartSubtitlesTaskResult" }

            init(from decoder: any Decoder) throws {
                smartSubtitlesTaskResult = try decoder.container(keyedBy: CodingKeys.self)
                    .decodeIfPresent(Result.self, forKey: .smartSubtitlesTaskResult)
            }
        }

        struct Result: Decodable {
            var outputs: [Output]?

            enum CodingKeys: String, CodingKey { case outputs = "Outputs" }

            init(from decoder: any Decoder) throws {
                outputs = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent([Output].self, forKey: .outputs)
            }
        }

        struct Output: Decodable {
            var status: String?
            var progress: Int?
            var errCodeExt: String?
            var message: String?
            var transTextTask: Subtitle?
            var asrFullTextTask: Subtitle?

            enum CodingKeys: String, CodingKey {
                case status = "Status", progress = "Progress", errCodeExt = "ErrCodeExt", message = "Message"
                case transTextTask = "TransTextTask", asrFullTextTask = "AsrFullTextTask"
            }

            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                status = container.lenient(.status)
                progress = container.lenient(.progress)
                errCodeExt = container.lenient(.errCodeExt)
                message = container.lenient(.message)
                transTextTask = container.lenient(.transTextTask)
                asrFullTextTask = container.lenient(.asrFullTextTask)
            }
        }

        struct Subtitle: Decodable {
            var path: String?
            var subtitlePath: String?

            enum CodingKeys: String, CodingKey { case path = "Path", subtitlePath = "SubtitlePath" }

            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                path = container.lenient(.path)
                subtitlePath = container.lenient(.subtitlePath)
            }
        }
    }
}
