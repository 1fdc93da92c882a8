import Foundation
import MPS

/// One task the emulator accepted, and how its notifications and query answers look at each
/// stage. Built from the raw request JSON, so echoes carry exactly what the caller sent.
struct EmulatedTask: Sendable {
    enum Stage: Int, Sendable, Comparable {
        case waiting, processing, finished
        static func < (lhs: Stage, rhs: Stage) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    struct Notify: Sendable {
        var mode: String
        var url: String
        var key: String
    }

    let taskId: String
    let request: [String: JSONValue]
    let createdAt: Date
    let started: ContinuousClock.Instant
    let processingTime: Duration
    /// One per input: true when that output ends in FAIL.
    let failing: [Bool]
    let notify: Notify?
    let sessionContext: String
    let priority: Int

    var inputs: [JSONValue] { request["InputInfo"]?.arrayValue ?? [] }

    /// The stage at `now`: waiting for the first 10 % of the processing time, then processing.
    func stage(at now: ContinuousClock.Instant) -> Stage {
        let elapsed = now - started
        if elapsed >= processingTime { return .finished }
        if elapsed >= processingTime / 10 { return .processing }
        return .waiting
    }

    /// When each stage's notification is due, relative to acceptance.
    func notificationOffsets() -> [(Stage, Duration)] {
        guard let notify else { return [] }
        if notify.mode == "Change" {
            return [(.waiting, .zero), (.processing, processingTime / 10), (.finished, processingTime)]
        }
        return [(.finished, processingTime)]
    }

    // MARK: JSON

    /// The output statuses at a stage, in input order.
    func statuses(at stage: Stage) -> [String] {
        failing.map { fails in
            switch stage {
            case .waiting: "WAITING"
            case .processing: "PROCESSING"
            case .finished: fails ? "FAIL" : "SUCCESS"
            }
        }
    }

    /// The notification body MPS would POST to `NotifyUrl` at `stage`.
    func notification(at stage: Stage, timestamp: Int64) -> JSONValue {
        .object([
            "EventType": .string("BatchTask"),
            "WorkflowTaskEvent": .null,
            "EditMediaTaskEvent": .null,
            "ScheduleTaskEvent": .null,
            "ExtractBlindWatermarkTask": .null,
            "BatchTaskEvent": batchResult(at: stage),
            "SessionId": .string(""),
            "SessionContext": .string(sessionContext),
            "Timestamp": .number(Double(timestamp)),
            "Sign": .string(NotificationVerifier.sign(timestamp: timestamp, notifyKey: notify?.key ?? "")),
        ])
    }

    /// The `DescribeBatchTaskDetail` answer at `now`.
    func detail(at now: ContinuousClock.Instant, requestId: String) -> JSONValue {
        let stage = stage(at: now)
        let begin = createdAt.addingTimeInterval(Self.seconds(processingTime / 10))
        let finish = createdAt.addingTimeInterval(Self.seconds(processingTime))
        var notifyConfig = request["TaskNotifyConfig"]?.objectValue ?? [:]
        if notifyConfig["NotifyKey"] != nil { notifyConfig["NotifyKey"] = .string("") }
        return .object([
            "TaskType": .string("BatchTask"),
            "Status": .string(stage == .finished ? "FINISH" : stage == .processing ? "PROCESSING" : "WAITING"),
            "CreateTime": .string(Self.iso8601(createdAt)),
            "BeginProcessTime": .string(stage == .waiting ? "" : Self.iso8601(begin)),
            "FinishTime": .string(stage == .finished ? Self.iso8601(finish) : ""),
            "TaskId": .string(taskId),
            "BatchTaskResult": batchResult(at: stage),
            "TaskNotifyConfig": notifyConfig.isEmpty ? .null : .object(notifyConfig),
            "TasksPriority": .number(Double(priority)),
            "SessionId": .string(""),
            "SessionContext": .string(sessionContext),
            "ExtInfo": .string(""),
            "RequestId": .string(requestId),
        ])
    }

    private func batchResult(at stage: Stage) -> JSONValue {
        let smart = request["SmartSubtitlesTask"]?.objectValue ?? [:]
        var raw = smart["RawParameter"]?.objectValue ?? [:]
        if raw["AsrHotWordsConfigure"] == nil { raw["AsrHotWordsConfigure"] = .null }
        if raw["ExtInfo"] == nil { raw["ExtInfo"] = .string("") }
        let inputInfos: [JSONValue] = inputs.map { input in
            var echoed = input.objectValue ?? [:]
            if echoed["CosInputInfo"] == nil {
                echoed["CosInputInfo"] = .object(["Bucket": .string(""), "Region": .string(""), "Object": .string("")])
            }
            if echoed["S3InputInfo"] == nil { echoed["S3InputInfo"] = .null }
            return .object(echoed)
        }
        // Failed inputs have no metadata (it could not be probed); nothing is known while waiting.
        let probed = failing.indices.filter { !failing[$0] }
        let metadatas: [JSONValue] = stage == .waiting ? [] : probed.map { Self.metadata(seed: $0) }
        let outputs: [JSONValue] = failing.enumerated().map { index, fails in
            output(index: index, stage: stage, fails: fails, raw: raw)
        }
        return .object([
            "InputInfos": .array(inputInfos),
            "Metadatas": .array(metadatas),
            "SmartSubtitlesTaskResult": .object([
                "Input": .object([
                    "Definition": smart["Definition"] ?? .number(0),
                    "RawParameter": raw.isEmpty ? .null : .object(raw),
                    "UserExtPara": smart["UserExtPara"] ?? .string(""),
                ]),
                "Outputs": .array(outputs),
            ]),
        ])
    }

    private func output(index: Int, stage: Stage, fails: Bool, raw: [String: JSONValue]) -> JSONValue {
        var fields: [String: JSONValue] = [
            "Progress": .number(0), "Status": .string("WAITING"), "ErrCodeExt": .string(""), "Message": .string(""),
            "TransTextTask": .null, "AsrFullTextTask": .null,
        ]
        switch stage {
        case .waiting:
            break
        case .processing:
            fields["Progress"] = .number(40)
            fields["Status"] = .string("PROCESSING")
        case .finished where fails:
            fields["Status"] = .string("FAIL")
            fields["ErrCodeExt"] = .string("SourceFileError")
            fields["Message"] = .string("source file error")
        case .finished:
            fields["Progress"] = .number(100)
            fields["Status"] = .string("SUCCESS")
            fields["Message"] = .string("SUCCESS")
            let translating = raw["TranslateSwitch"]?.stringValue == "ON"
            let source = sourceLanguage(index: index, raw: raw)
            let targets = (raw["TranslateDstLanguage"]?.stringValue ?? "").split(separator: "/").map(String.init)
            // One language: the default path and no SubtitleResults, as in the official example.
            // Several: one file per language, and the task's own path is the first language's.
            let defaultPath = subtitlePath(index: index, raw: raw)
            let several = translating && targets.count > 1
            let path = several ? Self.path(defaultPath, language: targets[0]) : defaultPath
            let subtitleResults: [JSONValue] = several ? targets.map { target in
                .object([
                    "Status": .string("Success"), "TransSrc": .string(source), "TransDst": .string(target),
                    "Path": .string(Self.path(defaultPath, language: target)),
                    "SubtitleEmbedPath": .string(""), "SubtitleFileId": .string(""),
                ])
            } : []
            let storage = request["OutputStorage"] ?? .null
            let location = subtitleURL(path: path)
            let segments: [JSONValue] = Self.sampleSegments.map { start, end, text, trans in
                var segment: [String: JSONValue] = [
                    "Confidence": .number(97), "StartTimeOffset": .number(start), "EndTimeOffset": .number(end),
                    "Text": .string(text), "Wordlist": .array([]), "SpeakerId": .string(""),
                ]
                if translating { segment["Trans"] = .string(trans) }
                return .object(segment)
            }
            if translating {
                fields["TransTextTask"] = .object([
                    "SegmentSet": .array(segments), "SubtitlePath": .string(location), "OutputStorage": storage,
                    "Path": .string(path), "SubtitleResults": .array(subtitleResults),
                ])
            } else {
                fields["AsrFullTextTask"] = .object([
                    "SegmentSet": .array(segments), "Path": .string(path), "SubtitlePath": .string(location),
                    "SubtitleInfo": .object([
                        "Language": .string(source), "Status": .string("Success"),
                        "Path": .string(path), "SubtitleEmbedPath": .string(""), "SubtitleFileId": .string(""),
                    ]),
                    "OutputStorage": storage,
                ])
            }
        }
        return .object(fields)
    }

    /// `OutputDir` + `<input name>_smartsubtitle_<definition>.<format>`, as MPS names it by default.
    func subtitlePath(index: Int, raw: [String: JSONValue]) -> String {
        let directory = request["OutputDir"]?.stringValue ?? "/"
        let url = inputs[index]["UrlInputInfo"]?["Url"]?.stringValue ?? "input\(index)"
        let file = url.split(separator: "?").first.map(String.init) ?? url
        let name = file.split(separator: "/").last.map { $0.split(separator: ".").first.map(String.init) ?? String($0) } ?? "input"
        let definition = request["SmartSubtitlesTask"]?["Definition"]?.intValue ?? 0
        var format = raw["SubtitleFormat"]?.stringValue ?? "vtt"
        if format.isEmpty || format == "original" { format = "vtt" }
        return directory + "\(name)_smartsubtitle_\(definition).\(format)"
    }

    /// `/out/a_smartsubtitle_0.vtt` → `/out/a_smartsubtitle_0_ja.vtt`: one language's file.
    static func path(_ path: String, language: String) -> String {
        let name = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
        guard let dot = path[name...].lastIndex(of: ".") else { return path + "_" + language }
        return String(path[..<dot]) + "_" + language + String(path[dot...])
    }

    /// The source language recognition reports for input `index`: `VideoSrcLanguage` as given,
    /// or for `auto` the one detected (see ``detectedLanguage(url:)``).
    func sourceLanguage(index: Int, raw: [String: JSONValue]) -> String {
        let given = raw["VideoSrcLanguage"]?.stringValue ?? ""
        guard given == "auto" else { return given }
        return Self.detectedLanguage(url: inputs[index]["UrlInputInfo"]?["Url"]?.stringValue ?? "")
    }

    /// What "detection" finds in a URL, so tests choose it: the value of a `lang=xx` or `lang-xx`
    /// marker (letters, digits, `-` and `_` up to the next other character; the marker must not
    /// follow a letter or digit, so `slang-` is no marker), else `en`.
    static func detectedLanguage(url: String) -> String {
        var rest = Substring(url)
        while let marker = rest.firstRange(of: "lang") {
            let after = rest[marker.upperBound...]
            let before = marker.lowerBound > url.startIndex ? url[url.index(before: marker.lowerBound)] : "/"
            if let separator = after.first, separator == "=" || separator == "-", !(before.isLetter || before.isNumber) {
                let code = after.dropFirst().prefix { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" || $0 == "_" }
                if !code.isEmpty { return String(code) }
            }
            rest = after
        }
        return "en"
    }

    private func subtitleURL(path: String) -> String {
        let cos = request["OutputStorage"]?["CosOutputStorage"]
        let bucket = cos?["Bucket"]?.stringValue ?? "bucket"
        let region = cos?["Region"]?.stringValue ?? "ap-guangzhou"
        return "https://\(bucket).cos.\(region).myqcloud.com\(path)"
    }

    private static let sampleSegments: [(Double, Double, String, String)] = [
        (1.774, 2.424, "Hello there.", "你好。"),
        (3.1, 5.62, "Welcome to the demo.", "欢迎观看演示。"),
    ]

    private static func metadata(seed: Int) -> JSONValue {
        .object([
            "Size": .number(Double(12_025_270 + seed)), "Container": .string("mp4"), "Bitrate": .number(1_734_778),
            "Height": .number(1080), "Width": .number(1920), "Duration": .number(55.455), "Rotate": .number(0),
            "VideoStreamSet": .array([.object([
                "Bitrate": .number(1_487_136), "Height": .number(1080), "Width": .number(1920), "Codec": .string("h264"),
                "Fps": .number(30), "ColorPrimaries": .string(""), "ColorSpace": .string(""), "ColorTransfer": .string(""),
                "HdrType": .string("sdr"), "Codecs": .string(""), "FpsNumerator": .number(0), "FpsDenominator": .number(0),
            ])]),
            "AudioStreamSet": .array([.object([
                "Bitrate": .number(252_293), "SamplingRate": .number(44100), "Codec": .string("aac"),
                "Channel": .number(2), "Codecs": .string(""), "Loudness": .number(0),
            ])]),
            "VideoDuration": .number(54.955), "AudioDuration": .number(55.454),
        ])
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func iso8601(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false).timeZone(separator: .omitted))
    }
}
