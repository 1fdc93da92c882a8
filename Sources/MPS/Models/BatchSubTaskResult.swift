/// The result of a batch task, both in callbacks (`BatchTaskEvent`) and in `DescribeBatchTaskDetail`
/// (`BatchTaskResult`). It has no task ID and no task-level status: correlate by `SessionContext`
/// and read each output's `status`. Every field of this tree is optional and decoded leniently
/// (`null`, missing or mistyped → `nil`); unknown fields are ignored.
public struct BatchSubTaskResult: Sendable, Hashable, Codable {
    public var inputInfos: [MediaInputInfoEcho]?
    /// One per input; empty when probing failed or was skipped.
    public var metadatas: [MediaMetaData]?
    public var smartSubtitlesTaskResult: BatchSmartSubtitlesResult?

    enum CodingKeys: String, CodingKey {
        case inputInfos = "InputInfos"
        case metadatas = "Metadatas"
        case smartSubtitlesTaskResult = "SmartSubtitlesTaskResult"
    }

    public init(
        inputInfos: [MediaInputInfoEcho]? = nil,
        metadatas: [MediaMetaData]? = nil,
        smartSubtitlesTaskResult: BatchSmartSubtitlesResult? = nil
    ) {
        self.inputInfos = inputInfos
        self.metadatas = metadatas
        self.smartSubtitlesTaskResult = smartSubtitlesTaskResult
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.inputInfos = container.lenient(.inputInfos)
        self.metadatas = container.lenient(.metadatas)
        self.smartSubtitlesTaskResult = container.lenient(.smartSubtitlesTaskResult)
    }
}

/// Metadata MPS probed from an input.
public struct MediaMetaData: Sendable, Hashable, Codable {
    /// Bytes (HLS: m3u8 plus segments).
    public var size: Int?
    public var container: String?
    /// bps, video plus audio.
    public var bitrate: Int?
    public var height: Int?
    public var width: Int?
    /// Seconds.
    public var duration: Double?
    /// Degrees.
    public var rotate: Int?
    public var videoStreamSet: [MediaVideoStreamItem]?
    public var audioStreamSet: [MediaAudioStreamItem]?
    public var videoDuration: Double?
    public var audioDuration: Double?

    enum CodingKeys: String, CodingKey {
        case size = "Size"
        case container = "Container"
        case bitrate = "Bitrate"
        case height = "Height"
        case width = "Width"
        case duration = "Duration"
        case rotate = "Rotate"
        case videoStreamSet = "VideoStreamSet"
        case audioStreamSet = "AudioStreamSet"
        case videoDuration = "VideoDuration"
        case audioDuration = "AudioDuration"
    }

    public init(
        size: Int? = nil,
        container: String? = nil,
        bitrate: Int? = nil,
        height: Int? = nil,
        width: Int? = nil,
        duration: Double? = nil,
        rotate: Int? = nil,
        videoStreamSet: [MediaVideoStreamItem]? = nil,
        audioStreamSet: [MediaAudioStreamItem]? = nil,
        videoDuration: Double? = nil,
        audioDuration: Double? = nil
    ) {
        self.size = size
        self.container = container
        self.bitrate = bitrate
        self.height = height
        self.width = width
        self.duration = duration
        self.rotate = rotate
        self.videoStreamSet = videoStreamSet
        self.audioStreamSet = audioStreamSet
        self.videoDuration = videoDuration
        self.audioDuration = audioDuration
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.size = container.lenient(.size)
        self.container = container.lenient(.container)
        self.bitrate = container.lenient(.bitrate)
        self.height = container.lenient(.height)
        self.width = container.lenient(.width)
        self.duration = container.lenient(.duration)
        self.rotate = container.lenient(.rotate)
        self.videoStreamSet = container.lenient(.videoStreamSet)
        self.audioStreamSet = container.lenient(.audioStreamSet)
        self.videoDuration = container.lenient(.videoDuration)
        self.audioDuration = container.lenient(.audioDuration)
    }
}

/// One video stream of an input.
public struct MediaVideoStreamItem: Sendable, Hashable, Codable {
    public var bitrate: Int?
    public var height: Int?
    public var width: Int?
    public var codec: String?
    public var fps: Int?
    public var colorPrimaries: String?
    public var colorSpace: String?
    public var colorTransfer: String?
    public var hdrType: String?
    public var codecs: String?
    public var fpsNumerator: Int?
    public var fpsDenominator: Int?

    enum CodingKeys: String, CodingKey {
        case bitrate = "Bitrate"
        case height = "Height"
        case width = "Width"
        case codec = "Codec"
        case fps = "Fps"
        case colorPrimaries = "ColorPrimaries"
        case colorSpace = "ColorSpace"
        case colorTransfer = "ColorTransfer"
        case hdrType = "HdrType"
        case codecs = "Codecs"
        case fpsNumerator = "FpsNumerator"
        case fpsDenominator = "FpsDenominator"
    }

    public init(
        bitrate: Int? = nil,
        height: Int? = nil,
        width: Int? = nil,
        codec: String? = nil,
        fps: Int? = nil,
        colorPrimaries: String? = nil,
        colorSpace: String? = nil,
        colorTransfer: String? = nil,
        hdrType: String? = nil,
        codecs: String? = nil,
        fpsNumerator: Int? = nil,
        fpsDenominator: Int? = nil
    ) {
        self.bitrate = bitrate
        self.height = height
        self.width = width
        self.codec = codec
        self.fps = fps
        self.colorPrimaries = colorPrimaries
        self.colorSpace = colorSpace
        self.colorTransfer = colorTransfer
        self.hdrType = hdrType
        self.codecs = codecs
        self.fpsNumerator = fpsNumerator
        self.fpsDenominator = fpsDenominator
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.bitrate = container.lenient(.bitrate)
        self.height = container.lenient(.height)
        self.width = container.lenient(.width)
        self.codec = container.lenient(.codec)
        self.fps = container.lenient(.fps)
        self.colorPrimaries = container.lenient(.colorPrimaries)
        self.colorSpace = container.lenient(.colorSpace)
        self.colorTransfer = container.lenient(.colorTransfer)
        self.hdrType = container.lenient(.hdrType)
        self.codecs = container.lenient(.codecs)
        self.fpsNumerator = container.lenient(.fpsNumerator)
        self.fpsDenominator = container.lenient(.fpsDenominator)
    }
}

/// One audio stream of an input.
public struct MediaAudioStreamItem: Sendable, Hashable, Codable {
    public var bitrate: Int?
    public var samplingRate: Int?
    public var codec: String?
    public var channel: Int?
    public var codecs: String?
    public var loudness: Double?

    enum CodingKeys: String, CodingKey {
        case bitrate = "Bitrate"
        case samplingRate = "SamplingRate"
        case codec = "Codec"
        case channel = "Channel"
        case codecs = "Codecs"
        case loudness = "Loudness"
    }

    public init(
        bitrate: Int? = nil,
        samplingRate: Int? = nil,
        codec: String? = nil,
        channel: Int? = nil,
        codecs: String? = nil,
        loudness: Double? = nil
    ) {
        self.bitrate = bitrate
        self.samplingRate = samplingRate
        self.codec = codec
        self.channel = channel
        self.codecs = codecs
        self.loudness = loudness
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.bitrate = container.lenient(.bitrate)
        self.samplingRate = container.lenient(.samplingRate)
        self.codec = container.lenient(.codec)
        self.channel = container.lenient(.channel)
        self.codecs = container.lenient(.codecs)
        self.loudness = container.lenient(.loudness)
    }
}

/// The smart-subtitle part of a batch result: the parameters used and one output per input.
public struct BatchSmartSubtitlesResult: Sendable, Hashable, Codable {
    public var input: SmartSubtitleTaskResultInput?
    public var outputs: [SmartSubtitleTaskBatchOutput]?

    enum CodingKeys: String, CodingKey {
        case input = "Input"
        case outputs = "Outputs"
    }

    public init(input: SmartSubtitleTaskResultInput? = nil, outputs: [SmartSubtitleTaskBatchOutput]? = nil) {
        self.input = input
        self.outputs = outputs
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.input = container.lenient(.input)
        self.outputs = container.lenient(.outputs)
    }
}

/// The smart-subtitle parameters as MPS echoes them.
public struct SmartSubtitleTaskResultInput: Sendable, Hashable, Codable {
    public var definition: UInt64?
    public var rawParameter: RawSmartSubtitleParameterEcho?
    public var userExtPara: String?

    enum CodingKeys: String, CodingKey {
        case definition = "Definition"
        case rawParameter = "RawParameter"
        case userExtPara = "UserExtPara"
    }

    public init(
        definition: UInt64? = nil,
        rawParameter: RawSmartSubtitleParameterEcho? = nil,
        userExtPara: String? = nil
    ) {
        self.definition = definition
        self.rawParameter = rawParameter
        self.userExtPara = userExtPara
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.definition = container.lenient(.definition)
        self.rawParameter = container.lenient(.rawParameter)
        self.userExtPara = container.lenient(.userExtPara)
    }
}

/// One smart-subtitle output. `status` `.success` or `.fail` is final; `errCodeExt` is empty on
/// success, otherwise a media-processing error code such as `SourceFileError`.
public struct SmartSubtitleTaskBatchOutput: Sendable, Hashable, Codable {
    /// 0–100.
    public var progress: Int?
    public var status: OutputStatus?
    public var errCodeExt: String?
    public var message: String?
    /// Filled by translation runs.
    public var transTextTask: SmartSubtitleTaskTransTextResultOutput?
    /// Filled by recognition-only runs.
    public var asrFullTextTask: SmartSubtitleTaskAsrFullTextResultOutput?

    enum CodingKeys: String, CodingKey {
        case progress = "Progress"
        case status = "Status"
        case errCodeExt = "ErrCodeExt"
        case message = "Message"
        case transTextTask = "TransTextTask"
        case asrFullTextTask = "AsrFullTextTask"
    }

    public init(
        progress: Int? = nil,
        status: OutputStatus? = nil,
        errCodeExt: String? = nil,
        message: String? = nil,
        transTextTask: SmartSubtitleTaskTransTextResultOutput? = nil,
        asrFullTextTask: SmartSubtitleTaskAsrFullTextResultOutput? = nil
    ) {
        self.progress = progress
        self.status = status
        self.errCodeExt = errCodeExt
        self.message = message
        self.transTextTask = transTextTask
        self.asrFullTextTask = asrFullTextTask
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.progress = container.lenient(.progress)
        self.status = container.lenient(.status)
        self.errCodeExt = container.lenient(.errCodeExt)
        self.message = container.lenient(.message)
        self.transTextTask = container.lenient(.transTextTask)
        self.asrFullTextTask = container.lenient(.asrFullTextTask)
    }
}

/// The result of a recognition-plus-translation run.
public struct SmartSubtitleTaskTransTextResultOutput: Sendable, Hashable, Codable {
    public var segmentSet: [SmartSubtitleTaskTransTextSegmentItem]?
    /// Full URL of the subtitle file.
    public var subtitlePath: String?
    public var outputStorage: TaskOutputStorageEcho?
    /// Object key of the subtitle file.
    public var path: String?
    /// One per target language when translating into several.
    public var subtitleResults: [SubtitleTransResultItem]?

    enum CodingKeys: String, CodingKey {
        case segmentSet = "SegmentSet"
        case subtitlePath = "SubtitlePath"
        case outputStorage = "OutputStorage"
        case path = "Path"
        case subtitleResults = "SubtitleResults"
    }

    public init(
        segmentSet: [SmartSubtitleTaskTransTextSegmentItem]? = nil,
        subtitlePath: String? = nil,
        outputStorage: TaskOutputStorageEcho? = nil,
        path: String? = nil,
        subtitleResults: [SubtitleTransResultItem]? = nil
    ) {
        self.segmentSet = segmentSet
        self.subtitlePath = subtitlePath
        self.outputStorage = outputStorage
        self.path = path
        self.subtitleResults = subtitleResults
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.segmentSet = container.lenient(.segmentSet)
        self.subtitlePath = container.lenient(.subtitlePath)
        self.outputStorage = container.lenient(.outputStorage)
        self.path = container.lenient(.path)
        self.subtitleResults = container.lenient(.subtitleResults)
    }
}

/// One recognised and translated segment.
public struct SmartSubtitleTaskTransTextSegmentItem: Sendable, Hashable, Codable {
    /// 0–100.
    public var confidence: Double?
    /// Seconds.
    public var startTimeOffset: Double?
    /// Seconds.
    public var endTimeOffset: Double?
    public var text: String?
    public var trans: String?
    public var wordlist: [WordResult]?
    public var speakerId: String?

    enum CodingKeys: String, CodingKey {
        case confidence = "Confidence"
        case startTimeOffset = "StartTimeOffset"
        case endTimeOffset = "EndTimeOffset"
        case text = "Text"
        case trans = "Trans"
        case wordlist = "Wordlist"
        case speakerId = "SpeakerId"
    }

    public init(
        confidence: Double? = nil,
        startTimeOffset: Double? = nil,
        endTimeOffset: Double? = nil,
        text: String? = nil,
        trans: String? = nil,
        wordlist: [WordResult]? = nil,
        speakerId: String? = nil
    ) {
        self.confidence = confidence
        self.startTimeOffset = startTimeOffset
        self.endTimeOffset = endTimeOffset
        self.text = text
        self.trans = trans
        self.wordlist = wordlist
        self.speakerId = speakerId
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.confidence = container.lenient(.confidence)
        self.startTimeOffset = container.lenient(.startTimeOffset)
        self.endTimeOffset = container.lenient(.endTimeOffset)
        self.text = container.lenient(.text)
        self.trans = container.lenient(.trans)
        self.wordlist = container.lenient(.wordlist)
        self.speakerId = container.lenient(.speakerId)
    }
}

/// One word of a segment, with its timing.
public struct WordResult: Sendable, Hashable, Codable {
    public var word: String?
    public var start: Double?
    public var end: Double?
    public var trans: String?

    enum CodingKeys: String, CodingKey {
        case word = "Word"
        case start = "Start"
        case end = "End"
        case trans = "Trans"
    }

    public init(word: String? = nil, start: Double? = nil, end: Double? = nil, trans: String? = nil) {
        self.word = word
        self.start = start
        self.end = end
        self.trans = trans
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.word = container.lenient(.word)
        self.start = container.lenient(.start)
        self.end = container.lenient(.end)
        self.trans = container.lenient(.trans)
    }
}

/// The subtitle of one target language.
public struct SubtitleTransResultItem: Sendable, Hashable, Codable {
    /// `Success` or `Error`.
    public var status: String?
    public var transSrc: String?
    public var transDst: String?
    public var path: String?
    public var subtitleEmbedPath: String?
    public var subtitleFileId: String?

    enum CodingKeys: String, CodingKey {
        case status = "Status"
        case transSrc = "TransSrc"
        case transDst = "TransDst"
        case path = "Path"
        case subtitleEmbedPath = "SubtitleEmbedPath"
        case subtitleFileId = "SubtitleFileId"
    }

    public init(
        status: String? = nil,
        transSrc: String? = nil,
        transDst: String? = nil,
        path: String? = nil,
        subtitleEmbedPath: String? = nil,
        subtitleFileId: String? = nil
    ) {
        self.status = status
        self.transSrc = transSrc
        self.transDst = transDst
        self.path = path
        self.subtitleEmbedPath = subtitleEmbedPath
        self.subtitleFileId = subtitleFileId
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.status = container.lenient(.status)
        self.transSrc = container.lenient(.transSrc)
        self.transDst = container.lenient(.transDst)
        self.path = container.lenient(.path)
        self.subtitleEmbedPath = container.lenient(.subtitleEmbedPath)
        self.subtitleFileId = container.lenient(.subtitleFileId)
    }
}

/// The result of a recognition-only run.
public struct SmartSubtitleTaskAsrFullTextResultOutput: Sendable, Hashable, Codable {
    public var segmentSet: [SmartSubtitleTaskAsrFullTextSegmentItem]?
    public var path: String?
    public var subtitlePath: String?
    public var subtitleInfo: SubtitleResult?
    public var outputStorage: TaskOutputStorageEcho?

    enum CodingKeys: String, CodingKey {
        case segmentSet = "SegmentSet"
        case path = "Path"
        case subtitlePath = "SubtitlePath"
        case subtitleInfo = "SubtitleInfo"
        case outputStorage = "OutputStorage"
    }

    public init(
        segmentSet: [SmartSubtitleTaskAsrFullTextSegmentItem]? = nil,
        path: String? = nil,
        subtitlePath: String? = nil,
        subtitleInfo: SubtitleResult? = nil,
        outputStorage: TaskOutputStorageEcho? = nil
    ) {
        self.segmentSet = segmentSet
        self.path = path
        self.subtitlePath = subtitlePath
        self.subtitleInfo = subtitleInfo
        self.outputStorage = outputStorage
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.segmentSet = container.lenient(.segmentSet)
        self.path = container.lenient(.path)
        self.subtitlePath = container.lenient(.subtitlePath)
        self.subtitleInfo = container.lenient(.subtitleInfo)
        self.outputStorage = container.lenient(.outputStorage)
    }
}

/// One recognised segment.
public struct SmartSubtitleTaskAsrFullTextSegmentItem: Sendable, Hashable, Codable {
    public var confidence: Double?
    public var startTimeOffset: Double?
    public var endTimeOffset: Double?
    public var text: String?
    public var wordlist: [WordResult]?
    public var speakerId: String?

    enum CodingKeys: String, CodingKey {
        case confidence = "Confidence"
        case startTimeOffset = "StartTimeOffset"
        case endTimeOffset = "EndTimeOffset"
        case text = "Text"
        case wordlist = "Wordlist"
        case speakerId = "SpeakerId"
    }

    public init(
        confidence: Double? = nil,
        startTimeOffset: Double? = nil,
        endTimeOffset: Double? = nil,
        text: String? = nil,
        wordlist: [WordResult]? = nil,
        speakerId: String? = nil
    ) {
        self.confidence = confidence
        self.startTimeOffset = startTimeOffset
        self.endTimeOffset = endTimeOffset
        self.text = text
        self.wordlist = wordlist
        self.speakerId = speakerId
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.confidence = container.lenient(.confidence)
        self.startTimeOffset = container.lenient(.startTimeOffset)
        self.endTimeOffset = container.lenient(.endTimeOffset)
        self.text = container.lenient(.text)
        self.wordlist = container.lenient(.wordlist)
        self.speakerId = container.lenient(.speakerId)
    }
}

/// The subtitle file of a recognition-only run.
public struct SubtitleResult: Sendable, Hashable, Codable {
    public var language: String?
    public var status: String?
    public var path: String?
    public var subtitleEmbedPath: String?
    public var subtitleFileId: String?

    enum CodingKeys: String, CodingKey {
        case language = "Language"
        case status = "Status"
        case path = "Path"
        case subtitleEmbedPath = "SubtitleEmbedPath"
        case subtitleFileId = "SubtitleFileId"
    }

    public init(
        language: String? = nil,
        status: String? = nil,
        path: String? = nil,
        subtitleEmbedPath: String? = nil,
        subtitleFileId: String? = nil
    ) {
        self.language = language
        self.status = status
        self.path = path
        self.subtitleEmbedPath = subtitleEmbedPath
        self.subtitleFileId = subtitleFileId
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.language = container.lenient(.language)
        self.status = container.lenient(.status)
        self.path = container.lenient(.path)
        self.subtitleEmbedPath = container.lenient(.subtitleEmbedPath)
        self.subtitleFileId = container.lenient(.subtitleFileId)
    }
}
