import Foundation
import MPS

// The reference the fuzzer compares NotificationReport.decode with: the JSONDecoder decode of
// the event it replaced (Tests/MPSTests/NotificationReportOracle.swift, where it is kept
// unchanged), here over the whole body, as the door's internal reading of the event's range
// is not public: the event is the `BatchTaskEvent` of the `Response` object when there is one,
// else of the top level, which is where the door reads it in every body it accepts.

/// The outputs and problem JSONDecoder read from a body's event.
enum CodableEventOracle {
    struct Reading: Equatable {
        var outputs: [NotificationReport.Output]
        var eventProblem: String?
    }

    /// What the old decode read from `body`'s event; nil when JSONDecoder cannot open the
    /// object the envelope is in (not JSON, or a key there that is not UTF-8), where this
    /// whole-body reading cannot stand in for the old one.
    static func read(_ body: [UInt8]) -> Reading? {
        guard let outcome = try? JSONDecoder().decode(Body.self, from: Data(body)) else { return nil }
        let event: Wire.Event?
        var eventProblem: String?
        switch outcome.event {
        case .absent: event = nil
        case .event(let read): event = read
        case .failed(let error, let prefix):
            event = nil
            eventProblem = "BatchTaskEvent is not the shape MPS sends (\(Self.describe(error, prefix: prefix)))"
        }
        let result = event?.smartSubtitlesTaskResult
        let echo = Echo(result?.input?.rawParameter)
        let outputs = (result?.outputs ?? []).map { output in
            NotificationReport.Output(
                status: output.status.map(OutputStatus.init(rawValue:)),
                progress: output.progress,
                errorCode: output.errCodeExt,
                message: output.message,
                path: output.transTextTask?.path ?? output.asrFullTextTask?.path,
                subtitleURL: output.transTextTask?.subtitlePath ?? output.asrFullTextTask?.subtitlePath,
                files: Self.files(output, echo: echo)
            )
        }
        return Reading(outputs: outputs, eventProblem: eventProblem)
    }

    /// A body: its event, read where the door reads it.
    private struct Body: Decodable {
        enum Event {
            /// Missing or `null`: no outputs.
            case absent
            case event(Wire.Event)
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
                return .event(try container.decode(Wire.Event.self, forKey: .event))
            } catch {
                return .failed(error, prefix: prefix)
            }
        }
    }

    /// The languages the request asked for, as MPS echoes them in `Input.RawParameter`: used
    /// only where a file does not name its own, and only when they name one language.
    private struct Echo {
        /// `VideoSrcLanguage`, unless `auto` (the language recognition detected is not echoed).
        var source: String?
        /// `TranslateDstLanguage` when it names exactly one language (`en/ko` names several).
        var target: String?

        init(_ raw: Wire.RawParameter?) {
            source = nonEmpty(raw?.videoSrcLanguage).flatMap { $0 == "auto" ? nil : $0 }
            target = nonEmpty(raw?.translateDstLanguage).flatMap { $0.contains("/") ? nil : $0 }
        }
    }

    /// Every subtitle file of one output: the recognition, then each translation. A file with
    /// neither path nor URL is left out (it says nothing a later step could read).
    private static func files(_ output: Wire.Output, echo: Echo) -> [SubtitleFile] {
        var files: [SubtitleFile] = []
        if let asr = output.asrFullTextTask {
            let info = asr.subtitleInfo
            files.append(
                SubtitleFile(
                    kind: .recognition, language: nonEmpty(info?.language) ?? echo.source, status: nonEmpty(info?.status),
                    path: nonEmpty(asr.path) ?? nonEmpty(info?.path), url: nonEmpty(asr.subtitlePath),
                    segmentCount: asr.segmentSet?.count, lastSegmentEnd: asr.segmentSet?.lastEnd
                )
            )
        }
        if let trans = output.transTextTask {
            let taskPath = nonEmpty(trans.path)
            let results = trans.subtitleResults ?? []
            if results.isEmpty {
                files.append(
                    SubtitleFile(
                        kind: .translation, language: echo.target, sourceLanguage: echo.source,
                        path: taskPath, url: nonEmpty(trans.subtitlePath),
                        segmentCount: trans.segmentSet?.count, lastSegmentEnd: trans.segmentSet?.lastEnd
                    )
                )
            } else {
                for item in results {
                    let path = nonEmpty(item.path)
                    // A task reports one `SubtitlePath` and one `SegmentSet`: they describe the
                    // item whose file is the task's `Path`, and no other item's.
                    let isTasksOwn = path != nil && path == taskPath
                    files.append(
                        SubtitleFile(
                            kind: .translation, language: nonEmpty(item.transDst), sourceLanguage: nonEmpty(item.transSrc) ?? echo.source,
                            status: nonEmpty(item.status), path: path, url: isTasksOwn ? nonEmpty(trans.subtitlePath) : nil,
                            segmentCount: isTasksOwn ? trans.segmentSet?.count : nil,
                            lastSegmentEnd: isTasksOwn ? trans.segmentSet?.lastEnd : nil
                        )
                    )
                }
            }
        }
        return files.filter { $0.path != nil || $0.url != nil }
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
            var input: Input?
            var outputs: [Output]?

            enum CodingKeys: String, CodingKey { case input = "Input", outputs = "Outputs" }

            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                // The echo only fills in languages: an odd one is ignored. The outputs are what
                // gets applied: an odd `Outputs` fails the event (the report's `eventProblem`).
                input = container.lenient(.input)
                outputs = try container.decodeIfPresent([Output].self, forKey: .outputs)
            }
        }

        struct Input: Decodable {
            var rawParameter: RawParameter?

            enum CodingKeys: String, CodingKey { case rawParameter = "RawParameter" }

            init(from decoder: any Decoder) throws {
                rawParameter = try decoder.container(keyedBy: CodingKeys.self).lenient(.rawParameter)
            }
        }

        struct RawParameter: Decodable {
            var videoSrcLanguage: String?
            var translateDstLanguage: String?

            enum CodingKeys: String, CodingKey {
                case videoSrcLanguage = "VideoSrcLanguage", translateDstLanguage = "TranslateDstLanguage"
            }

            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                videoSrcLanguage = container.lenient(.videoSrcLanguage)
                translateDstLanguage = container.lenient(.translateDstLanguage)
            }
        }

        struct Output: Decodable {
            var status: String?
            var progress: Int?
            var errCodeExt: String?
            var message: String?
            var transTextTask: TransText?
            var asrFullTextTask: AsrFullText?

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

        /// `SmartSubtitleTaskTransTextResultOutput`.
        struct TransText: Decodable {
            var path: String?
            var subtitlePath: String?
            var segmentSet: Segments?
            /// The elements of `SubtitleResults` that are objects (one per target language).
            var subtitleResults: [TransResult]?

            enum CodingKeys: String, CodingKey {
                case path = "Path", subtitlePath = "SubtitlePath", segmentSet = "SegmentSet", subtitleResults = "SubtitleResults"
            }

            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                path = container.lenient(.path)
                subtitlePath = container.lenient(.subtitlePath)
                segmentSet = container.lenient(.segmentSet)
                let results: ObjectsOnly<TransResult>? = container.lenient(.subtitleResults)
                subtitleResults = results?.elements
            }
        }

        /// `SubtitleTransResultItem`: one target language of a multi-language translation.
        struct TransResult: Decodable {
            var status: String?
            var transSrc: String?
            var transDst: String?
            var path: String?

            enum CodingKeys: String, CodingKey { case status = "Status", transSrc = "TransSrc", transDst = "TransDst", path = "Path" }

            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                status = container.lenient(.status)
                transSrc = container.lenient(.transSrc)
                transDst = container.lenient(.transDst)
                path = container.lenient(.path)
            }
        }

        /// `SmartSubtitleTaskAsrFullTextResultOutput`.
        struct AsrFullText: Decodable {
            var path: String?
            var subtitlePath: String?
            var segmentSet: Segments?
            var subtitleInfo: SubtitleInfo?

            enum CodingKeys: String, CodingKey {
                case path = "Path", subtitlePath = "SubtitlePath", segmentSet = "SegmentSet", subtitleInfo = "SubtitleInfo"
            }

            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                path = container.lenient(.path)
                subtitlePath = container.lenient(.subtitlePath)
                segmentSet = container.lenient(.segmentSet)
                subtitleInfo = container.lenient(.subtitleInfo)
            }
        }

        /// `SubtitleResult`: the recognised subtitle's language and status.
        struct SubtitleInfo: Decodable {
            var language: String?
            var status: String?
            var path: String?

            enum CodingKeys: String, CodingKey { case language = "Language", status = "Status", path = "Path" }

            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                language = container.lenient(.language)
                status = container.lenient(.status)
                path = container.lenient(.path)
            }
        }

        /// A `SegmentSet` read only as far as its summary needs: how many segments, and the
        /// `EndTimeOffset` of the last one. Texts and word lists are skipped, not decoded.
        struct Segments: Decodable {
            var count: Int
            var lastEnd: Double?

            init(from decoder: any Decoder) throws {
                var container = try decoder.unkeyedContainer()
                var count = 0
                var last: End?
                while !container.isAtEnd {
                    // Only the last element's end is read; the others are stepped over.
                    if let total = container.count, container.currentIndex < total - 1 {
                        _ = try container.decode(Skip.self)
                    } else {
                        last = try container.decode(End.self)
                    }
                    count += 1
                }
                self.count = count
                self.lastEnd = last?.endTimeOffset
            }

            /// A segment's `EndTimeOffset`; nil when the segment is not an object or has none.
            private struct End: Decodable {
                var endTimeOffset: Double?

                enum CodingKeys: String, CodingKey { case endTimeOffset = "EndTimeOffset" }

                init(from decoder: any Decoder) throws {
                    endTimeOffset = (try? decoder.container(keyedBy: CodingKeys.self))?.lenient(.endTimeOffset)
                }
            }
        }

        /// Any JSON value, consumed without reading it.
        struct Skip: Decodable {
            init(from decoder: any Decoder) throws {}
        }

        /// An array's elements that decode as `Element`; the others are skipped.
        struct ObjectsOnly<Element: Decodable>: Decodable {
            var elements: [Element]

            init(from decoder: any Decoder) throws {
                var container = try decoder.unkeyedContainer()
                var elements: [Element] = []
                while !container.isAtEnd {
                    if let element = try? container.decode(Element.self) {
                        elements.append(element)
                    } else {
                        _ = try container.decode(Skip.self)
                    }
                }
                self.elements = elements
            }
        }
    }
}

extension KeyedDecodingContainer {
    /// As in MPS (where it is internal): nil when missing, null or of another type.
    func lenient<T: Decodable>(_ key: Key) -> T? {
        (try? self.decodeIfPresent(T.self, forKey: key)) ?? nil
    }
}

/// A string that says something: empty reads as absent (MPS fills unused fields with `""`).
private func nonEmpty(_ value: String?) -> String? {
    guard let value, !value.isEmpty else { return nil }
    return value
}
