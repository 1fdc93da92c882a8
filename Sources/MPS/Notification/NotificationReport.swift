/// What applying a `BatchTask` notification needs, and nothing more: the envelope the door
/// verified, and per output (in input order) its status, progress, error and every subtitle
/// file MPS reported (recognition and each translation, with its language). (A batch
/// notification carries no TaskId: correlation goes through `SessionContext`.)
///
/// The envelope comes from the door's own reading (``NotificationVerifier/read(_:)``), and the
/// outputs only from the `BatchTaskEvent` of the object that envelope is in, so what is applied
/// is what the door checked. Decoding the event skips every other field (segment texts and
/// words, metadata other than each input's duration, input echoes), so it costs a fraction of
/// ``MPSNotification``. Lenient like
/// the full model: a missing, null or oddly typed field in the event reads as nil.
public struct NotificationReport: Sendable, Hashable {
    /// Exactly what the door verifies for the same body.
    public var envelope: NotificationEnvelope
    public var outputs: [Output]
    /// Each input's media duration in seconds, as MPS reported it in `Metadatas[i].Duration`:
    /// one element per element of `Metadatas`, in input order, nil where that element has no
    /// usable duration (``mediaDuration(reported:)``); empty when `Metadatas` is missing, null or
    /// not an array. Metadata is informational: an odd `Metadatas` never makes an `eventProblem`.
    public var mediaDurations: [Double?] = []
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
        /// The duration of this output's input in seconds: the report's `mediaDurations` at this
        /// output's index (`Outputs[i]` and `Metadatas[i]` both describe input `i`), nil when
        /// there is none.
        public var mediaSeconds: Double?

        public init(
            status: OutputStatus? = nil, progress: Int? = nil, errorCode: String? = nil, message: String? = nil,
            path: String? = nil, subtitleURL: String? = nil, files: [SubtitleFile] = [], mediaSeconds: Double? = nil
        ) {
            self.status = status
            self.progress = progress
            self.errorCode = errorCode
            self.message = message
            self.path = path
            self.subtitleURL = subtitleURL
            self.files = files
            self.mediaSeconds = mediaSeconds
        }
    }

    /// The one rule for what a reported media duration may be: a finite number of seconds from 0
    /// up to (not including) 1e9 (about 31 years: no real video is longer, so a larger value is
    /// garbage that would swamp any total it is added to); nil for anything else. `-0` reads as 0.
    public static func mediaDuration(reported seconds: Double) -> Double? {
        guard seconds.isFinite, seconds >= 0, seconds < 1e9 else { return nil }
        return seconds == 0 ? 0 : seconds
    }

    /// Decodes `body`, top level or inside a `{"Response": …}` wrapper. Throws exactly when the
    /// door refuses the body as unreadable (``NotificationVerifier/parse(_:)``): a body the door
    /// accepted always decodes, with the same envelope.
    ///
    /// The event is read by ``JSONValueReader`` in one pass over its bytes, with the result
    /// JSONDecoder gave when it decoded it into Decodable structs (kept as the tests' oracle):
    /// the first of two equal keys counts, keys are matched unescaped, and `Progress` and
    /// `EndTimeOffset` read as JSONDecoder reads an Int and a Double (including its quirk on
    /// zeros written with an exponent: ``JSONValueReader/isZeroAsJSONDecoderSeesIt(_:)``).
    public static func decode(_ body: some Sequence<UInt8>) throws(NotificationRejection) -> NotificationReport {
        let bytes = Array(body)
        return try bytes.withUnsafeBufferPointer { buffer -> Result<NotificationReport, NotificationRejection> in
            NotificationVerifier.reading(buffer).map { reading in
                // The event's bytes were validated as JSON by the scanner. A `null` event has no
                // outputs, like a missing one; any other value must be an event whose result and
                // outputs have MPS's shape (leaf fields stay lenient), or the report says why not.
                var event: Wire.Event?
                var eventProblem: String?
                if let range = reading.event, !buffer[range].elementsEqual("null".utf8) {
                    let reader = EventReader(JSONValueReader(bytes: UnsafeBufferPointer(rebasing: buffer[range])))
                    switch reader.event(at: 0) {
                    case .success(let read): event = read
                    case .failure(let problem): eventProblem = "BatchTaskEvent is not the shape MPS sends (\(problem.location))"
                    }
                }
                let result = event?.smartSubtitlesTaskResult
                let echo = Echo(result?.input?.rawParameter)
                let durations = event?.mediaDurations ?? []
                var outputs = (result?.outputs ?? []).map { output in
                    Output(
                        status: output.status.map(OutputStatus.init(rawValue:)),
                        progress: output.progress,
                        errorCode: output.errCodeExt,
                        message: output.message,
                        path: output.transTextTask?.path ?? output.asrFullTextTask?.path,
                        subtitleURL: output.transTextTask?.subtitlePath ?? output.asrFullTextTask?.subtitlePath,
                        files: Self.files(output, echo: echo)
                    )
                }
                // Outputs[i] and Metadatas[i] both describe input i. (Set in place: an indexed
                // `map` copies every wire output once more.)
                for index in outputs.indices where index < durations.count {
                    outputs[index].mediaSeconds = durations[index]
                }
                return NotificationReport(envelope: reading.envelope, outputs: outputs, mediaDurations: durations, eventProblem: eventProblem)
            }
        }.get()
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

    /// What the report reads of the event: the fields of MPS's types it needs, nothing else
    /// (read by ``EventReader``).
    enum Wire {
        struct Event {
            var smartSubtitlesTaskResult: Result?
            /// Each element of `Metadatas`: its usable `Duration`, or nil.
            var mediaDurations: [Double?] = []
        }

        struct Result {
            var input: Input?
            var outputs: [Output]?
        }

        struct Input {
            var rawParameter: RawParameter?
        }

        struct RawParameter {
            var videoSrcLanguage: String?
            var translateDstLanguage: String?
        }

        struct Output {
            var status: String?
            var progress: Int?
            var errCodeExt: String?
            var message: String?
            var transTextTask: TransText?
            var asrFullTextTask: AsrFullText?
        }

        /// `SmartSubtitleTaskTransTextResultOutput`.
        struct TransText {
            var path: String?
            var subtitlePath: String?
            var segmentSet: Segments?
            /// The elements of `SubtitleResults` that are objects (one per target language).
            var subtitleResults: [TransResult]?
        }

        /// `SubtitleTransResultItem`: one target language of a multi-language translation.
        struct TransResult {
            var status: String?
            var transSrc: String?
            var transDst: String?
            var path: String?
        }

        /// `SmartSubtitleTaskAsrFullTextResultOutput`.
        struct AsrFullText {
            var path: String?
            var subtitlePath: String?
            var segmentSet: Segments?
            var subtitleInfo: SubtitleInfo?
        }

        /// `SubtitleResult`: the recognised subtitle's language and status.
        struct SubtitleInfo {
            var language: String?
            var status: String?
            var path: String?
        }

        /// A `SegmentSet` read only as far as its summary needs: how many segments, and the
        /// `EndTimeOffset` of the last one. Texts and word lists are stepped over, not read.
        struct Segments {
            var count: Int
            var lastEnd: Double?
        }
    }
}

/// A string that says something: empty reads as absent (MPS fills unused fields with `""`).
private func nonEmpty(_ value: String?) -> String? {
    guard let value, !value.isEmpty else { return nil }
    return value
}
