import Foundation

/// What applying a `BatchTask` notification needs, and nothing more: per output (in input
/// order), its status, progress, subtitle location and error. (A batch notification carries no
/// TaskId: correlation goes through `SessionContext`.) Decoding skips every
/// other field (segments, metadata, echoes), so it costs a fraction of ``MPSNotification``.
/// Lenient like the full model: a missing, null or oddly typed field reads as nil.
public struct NotificationReport: Sendable, Hashable {
    public var eventType: String?
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

    /// Decodes `body`, top level or inside a `{"Response": …}` wrapper. Throws only when the
    /// body is not a JSON object.
    public static func decode(_ body: some Sequence<UInt8>) throws -> NotificationReport {
        let data = Data(body)
        let top = try MPSJSON.decoder.decode(Wire.Top.self, from: data)
        let wire = top.response ?? top.notification
        let outputs = wire.batchTaskEvent?.smartSubtitlesTaskResult?.outputs ?? []
        return NotificationReport(
            eventType: wire.eventType,
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
        struct Top: Decodable {
            var notification: Envelope
            var response: Envelope?

            enum Keys: String, CodingKey { case response = "Response" }

            init(from decoder: any Decoder) throws {
                notification = try Envelope(from: decoder)
                response = try decoder.container(keyedBy: Keys.self).lenient(.response)
            }
        }

        struct Envelope: Decodable {
            var eventType: String?
            var batchTaskEvent: Event?

            enum CodingKeys: String, CodingKey {
                case eventType = "EventType", batchTaskEvent = "BatchTaskEvent"
            }

            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                eventType = container.lenient(.eventType)
                batchTaskEvent = container.lenient(.batchTaskEvent)
            }
        }

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
