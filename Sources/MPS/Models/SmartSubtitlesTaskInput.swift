/// `SmartSubtitlesTask`: the smart-subtitle task of a `BatchProcessMedia` request. MPS reads
/// `rawParameter` only when `definition` is 0 or absent; sending `definition: 0` with it is clearest.
/// A task with neither a template ID nor `rawParameter` is refused (`InvalidParameterValue.Definition`).
public struct SmartSubtitlesTaskInput: Sendable, Hashable, Codable {
    /// Smart-subtitle template ID; 0 means "use `rawParameter`".
    public var definition: UInt64?
    public var userExtPara: String?
    public var rawParameter: RawSmartSubtitleParameter?
    /// Task-level output storage; the top-level `OutputStorage` is what URL inputs need.
    public var outputStorage: TaskOutputStorage?
    /// Subtitle output path ending in `.{format}` (or `.vtt`/`.srt`); filename variables allowed.
    public var outputObjectPath: String?

    enum CodingKeys: String, CodingKey {
        case definition = "Definition"
        case userExtPara = "UserExtPara"
        case rawParameter = "RawParameter"
        case outputStorage = "OutputStorage"
        case outputObjectPath = "OutputObjectPath"
    }

    public init(
        definition: UInt64? = nil,
        userExtPara: String? = nil,
        rawParameter: RawSmartSubtitleParameter? = nil,
        outputStorage: TaskOutputStorage? = nil,
        outputObjectPath: String? = nil
    ) {
        self.definition = definition
        self.userExtPara = userExtPara
        self.rawParameter = rawParameter
        self.outputStorage = outputStorage
        self.outputObjectPath = outputObjectPath
    }
}

/// `RawSmartSubtitleParameter`: custom smart-subtitle parameters, every field of the 2019-06-12 API.
///
/// Each value is individually valid by type; the rules between fields (switch vs subtitle type,
/// formats per process type, speaker label vs mode, …) are `BatchProcessMediaValidator`'s job.
/// An empty `SubtitleFormat` or `TranslateDstLanguage` on the wire decodes as `nil` (MPS reads
/// both as "not set").
public struct RawSmartSubtitleParameter: Sendable, Hashable, Codable {
    public var subtitleType: SubtitleType
    public var videoSrcLanguage: SourceLanguage
    public var subtitleFormat: SubtitleFormat?
    public var translateSwitch: Switch?
    public var translateDstLanguage: TargetLanguages?
    public var asrHotWordsConfigure: AsrHotWordsConfigure?
    public var extInfo: String?
    public var processType: ProcessType?
    public var selectingSubtitleAreasConfig: SelectingSubtitleAreasConfig?
    /// Subtitle-embedding template ID (`ProcessType` 0 or 2 only).
    public var subtitleEmbedId: Int?
    /// Speaker recognition: 0 off (default), 1 on.
    public var speakerMode: Int?
    /// 1 writes the speaker into the vtt file; needs `speakerMode` 1.
    public var speakerLabel: Int?

    enum CodingKeys: String, CodingKey {
        case subtitleType = "SubtitleType"
        case videoSrcLanguage = "VideoSrcLanguage"
        case subtitleFormat = "SubtitleFormat"
        case translateSwitch = "TranslateSwitch"
        case translateDstLanguage = "TranslateDstLanguage"
        case asrHotWordsConfigure = "AsrHotWordsConfigure"
        case extInfo = "ExtInfo"
        case processType = "ProcessType"
        case selectingSubtitleAreasConfig = "SelectingSubtitleAreasConfig"
        case subtitleEmbedId = "SubtitleEmbedId"
        case speakerMode = "SpeakerMode"
        case speakerLabel = "SpeakerLabel"
    }

    public init(
        subtitleType: SubtitleType,
        videoSrcLanguage: SourceLanguage,
        subtitleFormat: SubtitleFormat? = nil,
        translateSwitch: Switch? = nil,
        translateDstLanguage: TargetLanguages? = nil,
        asrHotWordsConfigure: AsrHotWordsConfigure? = nil,
        extInfo: String? = nil,
        processType: ProcessType? = nil,
        selectingSubtitleAreasConfig: SelectingSubtitleAreasConfig? = nil,
        subtitleEmbedId: Int? = nil,
        speakerMode: Int? = nil,
        speakerLabel: Int? = nil
    ) {
        self.subtitleType = subtitleType
        self.videoSrcLanguage = videoSrcLanguage
        self.subtitleFormat = subtitleFormat
        self.translateSwitch = translateSwitch
        self.translateDstLanguage = translateDstLanguage
        self.asrHotWordsConfigure = asrHotWordsConfigure
        self.extInfo = extInfo
        self.processType = processType
        self.selectingSubtitleAreasConfig = selectingSubtitleAreasConfig
        self.subtitleEmbedId = subtitleEmbedId
        self.speakerMode = speakerMode
        self.speakerLabel = speakerLabel
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.subtitleType = try container.decode(SubtitleType.self, forKey: .subtitleType)
        self.videoSrcLanguage = try container.decode(SourceLanguage.self, forKey: .videoSrcLanguage)
        if let format = try container.decodeIfPresent(String.self, forKey: .subtitleFormat), !format.isEmpty {
            self.subtitleFormat = try container.decode(SubtitleFormat.self, forKey: .subtitleFormat)
        } else {
            self.subtitleFormat = nil
        }
        self.translateSwitch = try container.decodeIfPresent(Switch.self, forKey: .translateSwitch)
        if let languages = try container.decodeIfPresent(String.self, forKey: .translateDstLanguage), !languages.isEmpty
        {
            self.translateDstLanguage = try container.decode(TargetLanguages.self, forKey: .translateDstLanguage)
        } else {
            self.translateDstLanguage = nil
        }
        self.asrHotWordsConfigure = try container.decodeIfPresent(
            AsrHotWordsConfigure.self,
            forKey: .asrHotWordsConfigure
        )
        self.extInfo = try container.decodeIfPresent(String.self, forKey: .extInfo)
        self.processType = try container.decodeIfPresent(ProcessType.self, forKey: .processType)
        self.selectingSubtitleAreasConfig = try container.decodeIfPresent(
            SelectingSubtitleAreasConfig.self,
            forKey: .selectingSubtitleAreasConfig
        )
        self.subtitleEmbedId = try container.decodeIfPresent(Int.self, forKey: .subtitleEmbedId)
        self.speakerMode = try container.decodeIfPresent(Int.self, forKey: .speakerMode)
        self.speakerLabel = try container.decodeIfPresent(Int.self, forKey: .speakerLabel)
    }
}

/// `AsrHotWordsConfigure`: a hotword lexicon for speech recognition; `libraryId` is needed when `switch` is ON.
public struct AsrHotWordsConfigure: Sendable, Hashable, Codable {
    public var `switch`: Switch?
    public var libraryId: String?

    enum CodingKeys: String, CodingKey {
        case `switch` = "Switch"
        case libraryId = "LibraryId"
    }

    public init(switch: Switch? = nil, libraryId: String? = nil) {
        self.switch = `switch`
        self.libraryId = libraryId
    }
}

/// `SelectingSubtitleAreasConfig`: where OCR looks for subtitles, relative to a sample frame size.
public struct SelectingSubtitleAreasConfig: Sendable, Hashable, Codable {
    public var autoAreas: [EraseArea]?
    public var sampleWidth: Int?
    public var sampleHeight: Int?

    enum CodingKeys: String, CodingKey {
        case autoAreas = "AutoAreas"
        case sampleWidth = "SampleWidth"
        case sampleHeight = "SampleHeight"
    }

    public init(autoAreas: [EraseArea]? = nil, sampleWidth: Int? = nil, sampleHeight: Int? = nil) {
        self.autoAreas = autoAreas
        self.sampleWidth = sampleWidth
        self.sampleHeight = sampleHeight
    }
}

/// `EraseArea`: a rectangle, in fractions of the frame (`unit` percent, each coordinate in [0, 1])
/// or in pixels. The validator checks ranges and that the bottom-right corner is not above or
/// left of the top-left one.
public struct EraseArea: Sendable, Hashable, Codable {
    public var leftTopX: Double
    public var leftTopY: Double
    public var rightBottomX: Double
    public var rightBottomY: Double
    public var unit: AreaUnit

    enum CodingKeys: String, CodingKey {
        case leftTopX = "LeftTopX"
        case leftTopY = "LeftTopY"
        case rightBottomX = "RightBottomX"
        case rightBottomY = "RightBottomY"
        case unit = "Unit"
    }

    public init(leftTopX: Double, leftTopY: Double, rightBottomX: Double, rightBottomY: Double, unit: AreaUnit) {
        self.leftTopX = leftTopX
        self.leftTopY = leftTopY
        self.rightBottomX = rightBottomX
        self.rightBottomY = rightBottomY
        self.unit = unit
    }
}
