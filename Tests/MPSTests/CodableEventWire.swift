import MPS

// The JSONDecoder reading of a `BatchTaskEvent` that `NotificationReport.decode` used before its
// hand-written reader (since extended, the same way, to each input's `Metadatas[i].Duration`),
// kept as the oracle of both checks of that reader: the
// differential tests here (NotificationReportOracle.swift) and the fuzz target
// FuzzNotificationReport, whose Fuzz/Sources/FuzzNotificationReport/CodableEventWire.swift is a
// symbolic link to this file. It uses only MPS's public API, so it compiles in both packages.

/// The event as JSONDecoder read it (``Wire``), and the outputs the old decode built from it.
enum CodableEventWire {
    /// Each input's usable `Metadatas[i].Duration` (none when there is no event).
    static func mediaDurations(of event: Wire.Event?) -> [Double?] {
        (event?.metadatas?.elements ?? []).map { $0.duration.flatMap(NotificationReport.mediaDuration(reported:)) }
    }

    /// The outputs of `event` in input order (none when there is no event), each with its
    /// input's duration.
    static func outputs(of event: Wire.Event?) -> [NotificationReport.Output] {
        let result = event?.smartSubtitlesTaskResult
        let echo = Echo(result?.input?.rawParameter)
        let durations = mediaDurations(of: event)
        return (result?.outputs ?? []).enumerated().map { index, output in
            NotificationReport.Output(
                status: output.status.map(OutputStatus.init(rawValue:)),
                progress: output.progress,
                errorCode: output.errCodeExt,
                message: output.message,
                path: output.transTextTask?.path ?? output.asrFullTextTask?.path,
                subtitleURL: output.transTextTask?.subtitlePath ?? output.asrFullTextTask?.subtitlePath,
                files: Self.files(output, echo: echo),
                mediaSeconds: index < durations.count ? durations[index] : nil
            )
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

    enum Wire {
        struct Event: Decodable {
            var smartSubtitlesTaskResult: Result?
            var metadatas: Metadatas?

            enum CodingKeys: String, CodingKey { case smartSubtitlesTaskResult = "SmartSubtitlesTaskResult", metadatas = "Metadatas" }

            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                smartSubtitlesTaskResult = try container.decodeIfPresent(Result.self, forKey: .smartSubtitlesTaskResult)
                // Metadata is informational: an odd `Metadatas` is no durations, never a failure.
                metadatas = container.oracleLenient(.metadatas)
            }
        }

        /// `Metadatas`: one element per input, whatever each element is.
        struct Metadatas: Decodable {
            var elements: [Metadata]

            init(from decoder: any Decoder) throws {
                var container = try decoder.unkeyedContainer()
                var elements: [Metadata] = []
                while !container.isAtEnd {
                    elements.append(try container.decode(Metadata.self))
                }
                self.elements = elements
            }
        }

        /// `MediaMetaData`, read only for its `Duration`; nil when the element is not an object
        /// or has no number there.
        struct Metadata: Decodable {
            var duration: Double?

            enum CodingKeys: String, CodingKey { case duration = "Duration" }

            init(from decoder: any Decoder) throws {
                duration = (try? decoder.container(keyedBy: CodingKeys.self))?.oracleLenient(.duration)
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
                input = container.oracleLenient(.input)
                outputs = try container.decodeIfPresent([Output].self, forKey: .outputs)
            }
        }

        struct Input: Decodable {
            var rawParameter: RawParameter?

            enum CodingKeys: String, CodingKey { case rawParameter = "RawParameter" }

            init(from decoder: any Decoder) throws {
                rawParameter = try decoder.container(keyedBy: CodingKeys.self).oracleLenient(.rawParameter)
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
                videoSrcLanguage = container.oracleLenient(.videoSrcLanguage)
                translateDstLanguage = container.oracleLenient(.translateDstLanguage)
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
                status = container.oracleLenient(.status)
                progress = container.oracleLenient(.progress)
                errCodeExt = container.oracleLenient(.errCodeExt)
                message = container.oracleLenient(.message)
                transTextTask = container.oracleLenient(.transTextTask)
                asrFullTextTask = container.oracleLenient(.asrFullTextTask)
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
                path = container.oracleLenient(.path)
                subtitlePath = container.oracleLenient(.subtitlePath)
                segmentSet = container.oracleLenient(.segmentSet)
                let results: ObjectsOnly<TransResult>? = container.oracleLenient(.subtitleResults)
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
                status = container.oracleLenient(.status)
                transSrc = container.oracleLenient(.transSrc)
                transDst = container.oracleLenient(.transDst)
                path = container.oracleLenient(.path)
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
                path = container.oracleLenient(.path)
                subtitlePath = container.oracleLenient(.subtitlePath)
                segmentSet = container.oracleLenient(.segmentSet)
                subtitleInfo = container.oracleLenient(.subtitleInfo)
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
                language = container.oracleLenient(.language)
                status = container.oracleLenient(.status)
                path = container.oracleLenient(.path)
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
                    endTimeOffset = (try? decoder.container(keyedBy: CodingKeys.self))?.oracleLenient(.endTimeOffset)
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
    /// As MPS's internal `lenient`: nil when missing, null or of another type.
    fileprivate func oracleLenient<T: Decodable>(_ key: Key) -> T? {
        (try? self.decodeIfPresent(T.self, forKey: key)) ?? nil
    }
}

/// A string that says something: empty reads as absent (MPS fills unused fields with `""`).
private func nonEmpty(_ value: String?) -> String? {
    guard let value, !value.isEmpty else { return nil }
    return value
}
