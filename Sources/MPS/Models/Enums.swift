/// `TaskMode`: how the inputs of one batch task run. MPS defaults to `Parallel`.
public enum TaskMode: String, Sendable, Hashable, CaseIterable, Codable, WireEnum {
    case parallel = "Parallel"
    case serial = "Serial"

    static let wireField = "TaskMode"
    static let wireErrorCode = ErrorCode.invalidParameterValue

    /// Accepts exactly `Parallel` or `Serial`.
    public init(_ raw: String) throws(ValidationProblem) { self = try Self.validated(raw) }
    public init(from decoder: any Decoder) throws { self = try Self.decoded(from: decoder) }
}

/// `SkipMateData` (sic): whether MPS skips probing the input's metadata. MPS defaults to `0`.
public enum SkipMetadata: Int, Sendable, Hashable, CaseIterable, Codable, WireEnum {
    case doNotSkip = 0
    case skip = 1

    static let wireField = "SkipMateData"
    static let wireErrorCode = ErrorCode.invalidParameterValue

    /// Accepts exactly `0` or `1`.
    public init(_ raw: Int) throws(ValidationProblem) { self = try Self.validated(raw) }
    public init(from decoder: any Decoder) throws { self = try Self.decoded(from: decoder) }
}

/// `TaskNotifyConfig.NotifyType`. Leaving it unset means `TDMQ-CMQ` to MPS, never `URL`.
public enum NotifyType: String, Sendable, Hashable, CaseIterable, Codable, WireEnum {
    /// Retired by Tencent; use `tdmqCMQ`.
    case cmq = "CMQ"
    case tdmqCMQ = "TDMQ-CMQ"
    /// HTTP(S) POST of the `ParseNotification` output to `NotifyUrl`.
    case url = "URL"
    case scf = "SCF"
    case awsSQS = "AWS-SQS"

    static let wireField = "TaskNotifyConfig.NotifyType"
    static let wireErrorCode = ErrorCode.invalidParameterValue

    /// Accepts exactly one of the five wire values (case-sensitive).
    public init(_ raw: String) throws(ValidationProblem) { self = try Self.validated(raw) }
    public init(from decoder: any Decoder) throws { self = try Self.decoded(from: decoder) }
}

/// `TaskNotifyConfig.NotifyMode`. MPS defaults to `Finish`.
public enum NotifyMode: String, Sendable, Hashable, CaseIterable, Codable, WireEnum {
    /// One notification when the whole task finishes.
    case finish = "Finish"
    /// A notification on every status change (meaning taken from VOD; unconfirmed for MPS).
    case change = "Change"

    static let wireField = "TaskNotifyConfig.NotifyMode"
    static let wireErrorCode = ErrorCode.invalidParameterValue

    /// Accepts exactly `Finish` or `Change`.
    public init(_ raw: String) throws(ValidationProblem) { self = try Self.validated(raw) }
    public init(from decoder: any Decoder) throws { self = try Self.decoded(from: decoder) }
}

/// `RawParameter.SubtitleType`: which subtitles to produce.
public enum SubtitleType: Int, Sendable, Hashable, CaseIterable, Codable, WireEnum {
    /// Source language only; requires `TranslateSwitch` OFF (or unset).
    case source = 0
    /// Translation only; requires `TranslateSwitch` ON.
    case translation = 1
    /// Source and translation; requires `TranslateSwitch` ON.
    case sourceAndTranslation = 2

    static let wireField = "SmartSubtitlesTask.RawParameter.SubtitleType"
    static let wireErrorCode = ErrorCode.subtitleType

    /// Accepts exactly `0`, `1` or `2`.
    public init(_ raw: Int) throws(ValidationProblem) { self = try Self.validated(raw) }
    public init(from decoder: any Decoder) throws { self = try Self.decoded(from: decoder) }
}

/// An `ON`/`OFF` switch (`TranslateSwitch`, `AsrHotWordsConfigure.Switch`).
public enum Switch: String, Sendable, Hashable, CaseIterable, Codable, WireEnum {
    case on = "ON"
    case off = "OFF"

    static let wireField = "SmartSubtitlesTask.RawParameter.TranslateSwitch"
    static let wireErrorCode = ErrorCode.translateSwitch

    /// Accepts exactly `ON` or `OFF` (upper case).
    public init(_ raw: String) throws(ValidationProblem) { self = try Self.validated(raw) }
    public init(from decoder: any Decoder) throws { self = try Self.decoded(from: decoder) }
}

/// `RawParameter.ProcessType`: what the smart-subtitle task does. MPS defaults to `asr`.
public enum ProcessType: Int, Sendable, Hashable, CaseIterable, Codable, WireEnum {
    /// Speech recognition subtitles (the default).
    case asr = 0
    /// Translation of an existing subtitle file.
    case translation = 1
    /// Subtitles read from the picture (OCR).
    case ocr = 2

    static let wireField = "SmartSubtitlesTask.RawParameter.ProcessType"
    static let wireErrorCode = ErrorCode.invalidParameterValue

    /// Accepts exactly `0`, `1` or `2`.
    public init(_ raw: Int) throws(ValidationProblem) { self = try Self.validated(raw) }
    public init(from decoder: any Decoder) throws { self = try Self.decoded(from: decoder) }
}

/// `EraseArea.Unit`.
public enum AreaUnit: Int, Sendable, Hashable, CaseIterable, Codable, WireEnum {
    /// Coordinates are fractions of the frame, each in [0, 1].
    case percent = 1
    /// Coordinates are pixels.
    case pixel = 2

    static let wireField = "SmartSubtitlesTask.RawParameter.SelectingSubtitleAreasConfig.AutoAreas.Unit"
    static let wireErrorCode = ErrorCode.invalidParameterValue

    /// Accepts exactly `1` or `2`.
    public init(_ raw: Int) throws(ValidationProblem) { self = try Self.validated(raw) }
    public init(from decoder: any Decoder) throws { self = try Self.decoded(from: decoder) }
}

/// `MediaInputInfo.Type`: where an input lives.
public enum MediaInputType: String, Sendable, Hashable, CaseIterable, Codable, WireEnum {
    case url = "URL"
    case cos = "COS"
    /// AWS S3 (Tencent: transcoding tasks only).
    case awsS3 = "AWS-S3"
    /// VOD professional edition.
    case vod = "VOD"

    static let wireField = "InputInfo.Type"
    static let wireErrorCode = ErrorCode.inputInfoValue

    /// Accepts exactly `URL`, `COS`, `AWS-S3` or `VOD`.
    public init(_ raw: String) throws(ValidationProblem) { self = try Self.validated(raw) }
    public init(from decoder: any Decoder) throws { self = try Self.decoded(from: decoder) }
}

/// `TaskOutputStorage.Type`: where outputs are written. URL input supports only `COS`.
public enum StorageType: String, Sendable, Hashable, CaseIterable, Codable, WireEnum {
    case cos = "COS"
    case awsS3 = "AWS-S3"
    case vod = "VOD"

    static let wireField = "OutputStorage.Type"
    static let wireErrorCode = ErrorCode.output

    /// Accepts exactly `COS`, `AWS-S3` or `VOD`.
    public init(_ raw: String) throws(ValidationProblem) { self = try Self.validated(raw) }
    public init(from decoder: any Decoder) throws { self = try Self.decoded(from: decoder) }
}

/// `RawParameter.SubtitleFormat`. An empty string on the wire means "no subtitle file" and is
/// modelled as `nil`.
public enum SubtitleFormat: String, Sendable, Hashable, CaseIterable, Codable, WireEnum {
    case vtt
    case srt
    /// Same format as the source subtitle file (pure translation, `ProcessType` 1, only).
    case original

    static let wireField = "SmartSubtitlesTask.RawParameter.SubtitleFormat"
    static let wireErrorCode = ErrorCode.subtitleFormat

    /// Accepts exactly `vtt`, `srt` or `original` (lower case).
    public init(_ raw: String) throws(ValidationProblem) { self = try Self.validated(raw) }
    public init(from decoder: any Decoder) throws { self = try Self.decoded(from: decoder) }
}
