extension NotificationReport {
    /// Why the event's outputs cannot be read, said where JSONDecoder said it: `not an object`
    /// (the event is not one, or an object on the way has a key that is not UTF-8), or
    /// `at SmartSubtitlesTaskResult.Outputs[1]` and the like. Never the values themselves.
    struct EventProblem: Error, Hashable {
        var location: String

        static let notAnObject = EventProblem(location: "not an object")

        static func at(_ path: String) -> EventProblem { EventProblem(location: "at \(path)") }
    }

    /// Reads a `BatchTaskEvent` into ``Wire`` in one pass with ``JSONValueReader``, with the
    /// result the Decodable structs it replaced gave through JSONDecoder:
    /// - the event, its `SmartSubtitlesTaskResult` (when not null) and each element of
    ///   `Outputs` (when not null) must be objects, and `Outputs` an array, or the event has a
    ///   problem (the first one in document order, where JSONDecoder would have stopped);
    /// - `Metadatas`, beside the result, is lenient throughout: an odd one gives nil durations
    ///   or none, never a problem (metadata is informational);
    /// - everything below an output is lenient: a missing, null or oddly typed field is nil;
    /// - the first of two equal keys counts, and keys are matched unescaped (`"Stat\u0075s"`);
    /// - an object with a key that is not valid UTF-8 cannot be read at all (JSONDecoder reads
    ///   every key of an object before any value): a problem on the event's own path, nil below;
    /// - a string that is not valid UTF-8 is nil.
    struct EventReader {
        let json: JSONValueReader

        init(_ json: JSONValueReader) { self.json = json }

        func event(at index: Int) -> Result<Wire.Event, EventProblem> {
            var event = Wire.Event()
            var problem: EventProblem?
            let read = object(at: index) { field, start in
                switch field {
                case .metadatas:
                    let (durations, end) = mediaDurations(at: start)
                    event.mediaDurations = durations
                    return end
                case .smartSubtitlesTaskResult:
                    switch json.kind(at: start) {
                    case .null: return json.end(ofValueAt: start)
                    case .object:
                        let (result, end) = self.result(at: start)
                        switch result {
                        case .success(let read): event.smartSubtitlesTaskResult = read
                        case .failure(let failure): problem = failure
                        }
                        return end
                    default:
                        problem = .at("SmartSubtitlesTaskResult")
                        return json.end(ofValueAt: start)
                    }
                default: return json.end(ofValueAt: start)
                }
            }
            // An unreadable key fails the object before any of its values is looked at.
            guard let read, read.isReadable else { return .failure(.notAnObject) }
            if let problem { return .failure(problem) }
            return .success(event)
        }

        /// `SmartSubtitlesTaskResult`, an object at `index`.
        func result(at index: Int) -> (Result<Wire.Result, EventProblem>, end: Int?) {
            var result = Wire.Result()
            var problem: EventProblem?
            let read = object(at: index) { field, start in
                switch field {
                case .input:
                    let (input, end) = self.input(at: start)
                    result.input = input
                    return end
                case .outputs:
                    switch json.kind(at: start) {
                    case .null: return json.end(ofValueAt: start)
                    case .array:
                        var outputs: [Wire.Output] = []
                        var index = 0
                        let end = json.forEachElement(ofArrayAt: start) { element in
                            defer { index += 1 }
                            // After the first problem the rest is only stepped over.
                            guard problem == nil else { return json.end(ofValueAt: element) }
                            guard json.kind(at: element) == .object else {
                                problem = .at("SmartSubtitlesTaskResult.Outputs[\(index)]")
                                return json.end(ofValueAt: element)
                            }
                            let (output, end) = self.output(at: element)
                            if let output { outputs.append(output) } else { problem = .notAnObject }
                            return end
                        }
                        result.outputs = outputs
                        return end
                    default:
                        problem = .at("SmartSubtitlesTaskResult.Outputs")
                        return json.end(ofValueAt: start)
                    }
                default:
                    return json.end(ofValueAt: start)
                }
            }
            guard let read else { return (.failure(.notAnObject), nil) }
            guard read.isReadable else { return (.failure(.notAnObject), read.end) }
            if let problem { return (.failure(problem), read.end) }
            return (.success(result), read.end)
        }

        func input(at index: Int) -> (Wire.Input?, end: Int?) {
            var input = Wire.Input()
            let (isRead, end) = lenient(at: index) { field, start in
                guard field == .rawParameter else { return json.end(ofValueAt: start) }
                let (raw, end) = rawParameter(at: start)
                input.rawParameter = raw
                return end
            }
            return (isRead ? input : nil, end)
        }

        func rawParameter(at index: Int) -> (Wire.RawParameter?, end: Int?) {
            var raw = Wire.RawParameter()
            let (isRead, end) = lenient(at: index) { field, start in
                switch field {
                case .videoSrcLanguage: string(at: start, into: &raw.videoSrcLanguage)
                case .translateDstLanguage: string(at: start, into: &raw.translateDstLanguage)
                default: json.end(ofValueAt: start)
                }
            }
            return (isRead ? raw : nil, end)
        }

        /// One element of `Outputs`, an object at `index`; nil when it cannot be read.
        func output(at index: Int) -> (Wire.Output?, end: Int?) {
            var output = Wire.Output()
            let (isRead, end) = lenient(at: index) { field, start in
                switch field {
                case .status: return string(at: start, into: &output.status)
                case .progress:
                    let end = json.end(ofValueAt: start)
                    if let end { output.progress = json.int(at: start, end: end) }
                    return end
                case .errCodeExt: return string(at: start, into: &output.errCodeExt)
                case .message: return string(at: start, into: &output.message)
                case .transTextTask:
                    let (trans, end) = transText(at: start)
                    output.transTextTask = trans
                    return end
                case .asrFullTextTask:
                    let (asr, end) = asrFullText(at: start)
                    output.asrFullTextTask = asr
                    return end
                default: return json.end(ofValueAt: start)
                }
            }
            return (isRead ? output : nil, end)
        }

        func transText(at index: Int) -> (Wire.TransText?, end: Int?) {
            var trans = Wire.TransText()
            let (isRead, end) = lenient(at: index) { field, start in
                switch field {
                case .path: return string(at: start, into: &trans.path)
                case .subtitlePath: return string(at: start, into: &trans.subtitlePath)
                case .segmentSet:
                    let (segments, end) = self.segments(at: start)
                    trans.segmentSet = segments
                    return end
                case .subtitleResults:
                    // The elements that are readable objects; nil when not an array.
                    guard json.kind(at: start) == .array else { return json.end(ofValueAt: start) }
                    var results: [Wire.TransResult] = []
                    let end = json.forEachElement(ofArrayAt: start) { element in
                        let (result, end) = transResult(at: element)
                        if let result { results.append(result) }
                        return end
                    }
                    trans.subtitleResults = results
                    return end
                default: return json.end(ofValueAt: start)
                }
            }
            return (isRead ? trans : nil, end)
        }

        func transResult(at index: Int) -> (Wire.TransResult?, end: Int?) {
            var result = Wire.TransResult()
            let (isRead, end) = lenient(at: index) { field, start in
                switch field {
                case .status: string(at: start, into: &result.status)
                case .transSrc: string(at: start, into: &result.transSrc)
                case .transDst: string(at: start, into: &result.transDst)
                case .path: string(at: start, into: &result.path)
                default: json.end(ofValueAt: start)
                }
            }
            return (isRead ? result : nil, end)
        }

        func asrFullText(at index: Int) -> (Wire.AsrFullText?, end: Int?) {
            var asr = Wire.AsrFullText()
            let (isRead, end) = lenient(at: index) { field, start in
                switch field {
                case .path: return string(at: start, into: &asr.path)
                case .subtitlePath: return string(at: start, into: &asr.subtitlePath)
                case .segmentSet:
                    let (segments, end) = self.segments(at: start)
                    asr.segmentSet = segments
                    return end
                case .subtitleInfo:
                    let (info, end) = subtitleInfo(at: start)
                    asr.subtitleInfo = info
                    return end
                default: return json.end(ofValueAt: start)
                }
            }
            return (isRead ? asr : nil, end)
        }

        func subtitleInfo(at index: Int) -> (Wire.SubtitleInfo?, end: Int?) {
            var info = Wire.SubtitleInfo()
            let (isRead, end) = lenient(at: index) { field, start in
                switch field {
                case .language: string(at: start, into: &info.language)
                case .status: string(at: start, into: &info.status)
                case .path: string(at: start, into: &info.path)
                default: json.end(ofValueAt: start)
                }
            }
            return (isRead ? info : nil, end)
        }

        /// A `SegmentSet`: nil unless an array. Every element is stepped over; only the last
        /// one's `EndTimeOffset` is read (nil unless it is a readable object with a number there).
        func segments(at index: Int) -> (Wire.Segments?, end: Int?) {
            guard json.kind(at: index) == .array else { return (nil, json.end(ofValueAt: index)) }
            var count = 0
            var last: Int?
            let end = json.forEachElement(ofArrayAt: index) { element in
                count += 1
                last = element
                return json.end(ofValueAt: element)
            }
            guard let end else { return (nil, nil) }
            var lastEnd: Double?
            if let last, json.kind(at: last) == .object {
                var endTime: Double?
                let read = object(at: last) { field, start in
                    guard field == .endTimeOffset else { return json.end(ofValueAt: start) }
                    let end = json.end(ofValueAt: start)
                    if let end { endTime = json.double(at: start, end: end) }
                    return end
                }
                if let read, read.isReadable { lastEnd = endTime }
            }
            return (Wire.Segments(count: count, lastEnd: lastEnd), end)
        }

        /// `Metadatas`: per element, its `Duration` when that is a usable one
        /// (``NotificationReport/mediaDuration(reported:)``), else nil (not an object, an
        /// unreadable key, no number there); none unless an array. Never a problem: metadata is
        /// informational. The rest of each element is stepped over, not read.
        func mediaDurations(at index: Int) -> ([Double?], end: Int?) {
            guard json.kind(at: index) == .array else { return ([], json.end(ofValueAt: index)) }
            var durations: [Double?] = []
            let end = json.forEachElement(ofArrayAt: index) { element in
                var duration: Double?
                let (isRead, end) = lenient(at: element) { field, start in
                    guard field == .duration else { return json.end(ofValueAt: start) }
                    let end = json.end(ofValueAt: start)
                    if let end { duration = json.double(at: start, end: end) }
                    return end
                }
                durations.append(isRead ? duration.flatMap(NotificationReport.mediaDuration(reported:)) : nil)
                return end
            }
            return (durations, end)
        }

        // MARK: Reading members

        /// A string field: its text when the value is a readable string, else nil.
        func string(at index: Int, into value: inout String?) -> Int? {
            guard let (string, end) = json.string(at: index) else { return json.end(ofValueAt: index) }
            value = json.text(string)
            return end
        }

        /// An object read leniently: whether it was read (false when the value at `index` is not
        /// an object or has a key JSONDecoder cannot read: the field is then nil), and its end.
        func lenient(at index: Int, _ member: (Field, Int) -> Int?) -> (isRead: Bool, end: Int?) {
            guard json.kind(at: index) == .object else { return (false, json.end(ofValueAt: index)) }
            guard let read = object(at: index, member) else { return (false, nil) }
            return (read.isReadable, read.end)
        }

        /// Reads the object at `index`: `member` gets the first member of each name it might
        /// want (every other member is stepped over here) and the index its value starts at,
        /// and returns the index past that value. Nil when the value is not a (well-formed)
        /// object; `isReadable` is false when a key is not valid UTF-8.
        func object(at index: Int, _ member: (Field, Int) -> Int?) -> (end: Int, isReadable: Bool)? {
            var seen: UInt32 = 0
            var isReadable = true
            let end = json.forEachMember(ofObjectAt: index) { key, start in
                guard let field = field(key, isReadable: &isReadable) else { return json.end(ofValueAt: start) }
                let bit: UInt32 = 1 << field.rawValue
                // JSONDecoder keeps the first of two equal keys.
                guard seen & bit == 0 else { return json.end(ofValueAt: start) }
                seen |= bit
                return member(field, start)
            }
            return end.map { ($0, isReadable) }
        }

        /// The field `key` names, unescaped; clears `isReadable` for a key that is not UTF-8.
        func field(_ key: JSONValueReader.StringBytes, isReadable: inout Bool) -> Field? {
            let inner = UnsafeBufferPointer(rebasing: json.bytes[key.inner])
            if !key.hasEscape, key.isASCII { return Field(name: inner) }
            guard json.isReadable(key) else {
                isReadable = false
                return nil
            }
            // Every name is ASCII, so a key with other characters names none. (JSONDecoder
            // compares Strings, which are equal under canonical equivalence; the only
            // non-ASCII characters equivalent to ASCII ones are K, ; and `, in no name.)
            guard key.hasEscape, var text = NotificationScanner.unescaped(inner) else { return nil }
            return text.withUTF8 { Field(name: $0) }
        }
    }

    /// The member names the report reads, across every object it reads (at most 32: ``EventReader``
    /// keeps the ones an object has shown in a `UInt32`).
    enum Field: UInt8 {
        case smartSubtitlesTaskResult, metadatas, duration, input, outputs, rawParameter, videoSrcLanguage, translateDstLanguage
        case status, progress, errCodeExt, message, transTextTask, asrFullTextTask
        case path, subtitlePath, segmentSet, subtitleResults, transSrc, transDst, subtitleInfo, language, endTimeOffset

        /// The field an unescaped key spells, compared byte for byte.
        init?(name: UnsafeBufferPointer<UInt8>) {
            // Called only with a candidate of the key's length.
            func spells(_ candidate: StaticString) -> Bool {
                let letters = candidate.utf8Start
                for index in 0..<min(name.count, candidate.utf8CodeUnitCount) where name[index] != letters[index] {
                    return false
                }
                return true
            }
            let field: Field? =
                switch name.count {
                case 4: spells("Path") ? .path : nil
                case 5: spells("Input") ? .input : nil
                case 6: spells("Status") ? .status : nil
                case 7: spells("Outputs") ? .outputs : spells("Message") ? .message : nil
                case 8:
                    spells("Progress") ? .progress : spells("TransSrc") ? .transSrc : spells("TransDst") ? .transDst
                        : spells("Language") ? .language : spells("Duration") ? .duration : nil
                case 9: spells("Metadatas") ? .metadatas : nil
                case 10: spells("ErrCodeExt") ? .errCodeExt : spells("SegmentSet") ? .segmentSet : nil
                case 12: spells("RawParameter") ? .rawParameter : spells("SubtitlePath") ? .subtitlePath : spells("SubtitleInfo") ? .subtitleInfo : nil
                case 13: spells("TransTextTask") ? .transTextTask : spells("EndTimeOffset") ? .endTimeOffset : nil
                case 15: spells("AsrFullTextTask") ? .asrFullTextTask : spells("SubtitleResults") ? .subtitleResults : nil
                case 16: spells("VideoSrcLanguage") ? .videoSrcLanguage : nil
                case 20: spells("TranslateDstLanguage") ? .translateDstLanguage : nil
                case 24: spells("SmartSubtitlesTaskResult") ? .smartSubtitlesTaskResult : nil
                default: nil
                }
            guard let field else { return nil }
            self = field
        }
    }
}
