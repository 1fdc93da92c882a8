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
    }

    /// Decodes `body`, top level or inside a `{"Response": …}` wrapper. Throws exactly when the
    /// door refuses the body as unreadable (``NotificationVerifier/parse(_:)``): a body the door
    /// accepted always decodes, with the same envelope.
    public static func decode(_ body: some Sequence<UInt8>) throws(NotificationRejection) -> NotificationReport {
        let bytes = Array(body)
        let reading = try bytes.withUnsafeBufferPointer { NotificationVerifier.reading($0) }.get()
        // The event's bytes were validated as JSON by the scanner; a value that is not an event
        // object (null, a string) has no outputs, like a missing one.
        let event = reading.event.flatMap { range in try? MPSJSON.decoder.decode(Wire.Event.self, from: Data(bytes[range])) }
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
            }
        )
    }

    private enum Wire {
        struct Event: Decodable {
            var smartSubtitlesTaskResult: Result?

            enum CodingKeys: String, CodingKey { case smartSubtitlesTaskResult = "SmartSubtitlesTaskResult" }

            init(from decoder: any Decoder) throws {
                smartSubtitlesTaskResult = try decoder.container(keyedBy: CodingKeys.self).lenient(.smartSubtitlesTaskResult)
            }
        }

        struct Result: Decodable {
            var outputs: [Output]?

            enum CodingKeys: String, CodingKey { case outputs = "Outputs" }

            init(from decoder: any Decoder) throws {
                outputs = try decoder.container(keyedBy: CodingKeys.self).lenient(.outputs)
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
