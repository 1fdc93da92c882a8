/// An input as MPS echoes it in results (`InputInfos[n]`). Every field is optional and decoded
/// leniently (a `null`, missing or mistyped field becomes `nil`), so no echo can fail a decode.
public struct MediaInputInfoEcho: Sendable, Hashable, Codable {
    /// `URL`, `COS`, `AWS-S3` or `VOD` (kept as text: a new value never breaks decoding).
    public var type: String?
    public var urlInputInfo: UrlInputInfoEcho?
    public var cosInputInfo: CosInputInfoEcho?
    public var s3InputInfo: S3InputInfoEcho?
    public var vodInputInfo: VODInputInfoEcho?

    enum CodingKeys: String, CodingKey {
        case type = "Type"
        case urlInputInfo = "UrlInputInfo"
        case cosInputInfo = "CosInputInfo"
        case s3InputInfo = "S3InputInfo"
        case vodInputInfo = "VODInputInfo"
    }

    public init(
        type: String? = nil,
        urlInputInfo: UrlInputInfoEcho? = nil,
        cosInputInfo: CosInputInfoEcho? = nil,
        s3InputInfo: S3InputInfoEcho? = nil,
        vodInputInfo: VODInputInfoEcho? = nil
    ) {
        self.type = type
        self.urlInputInfo = urlInputInfo
        self.cosInputInfo = cosInputInfo
        self.s3InputInfo = s3InputInfo
        self.vodInputInfo = vodInputInfo
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.type = container.lenient(.type)
        self.urlInputInfo = container.lenient(.urlInputInfo)
        self.cosInputInfo = container.lenient(.cosInputInfo)
        self.s3InputInfo = container.lenient(.s3InputInfo)
        self.vodInputInfo = container.lenient(.vodInputInfo)
    }
}

/// `UrlInputInfo` as echoed in results.
public struct UrlInputInfoEcho: Sendable, Hashable, Codable {
    public var url: String?

    enum CodingKeys: String, CodingKey {
        case url = "Url"
    }

    public init(url: String? = nil) {
        self.url = url
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.url = container.lenient(.url)
    }
}

/// `CosInputInfo` as echoed in results (MPS sends it with empty strings even for URL inputs).
public struct CosInputInfoEcho: Sendable, Hashable, Codable {
    public var bucket: String?
    public var region: String?
    public var object: String?

    enum CodingKeys: String, CodingKey {
        case bucket = "Bucket"
        case region = "Region"
        case object = "Object"
    }

    public init(bucket: String? = nil, region: String? = nil, object: String? = nil) {
        self.bucket = bucket
        self.region = region
        self.object = object
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.bucket = container.lenient(.bucket)
        self.region = container.lenient(.region)
        self.object = container.lenient(.object)
    }
}

/// `S3InputInfo` as echoed in results. Its description never shows the secret id or key.
public struct S3InputInfoEcho: Sendable, Hashable, Codable, CustomStringConvertible, CustomDebugStringConvertible {
    public var s3Bucket: String?
    public var s3Region: String?
    public var s3Object: String?
    public var s3SecretId: String?
    public var s3SecretKey: String?

    enum CodingKeys: String, CodingKey {
        case s3Bucket = "S3Bucket"
        case s3Region = "S3Region"
        case s3Object = "S3Object"
        case s3SecretId = "S3SecretId"
        case s3SecretKey = "S3SecretKey"
    }

    public init(
        s3Bucket: String? = nil,
        s3Region: String? = nil,
        s3Object: String? = nil,
        s3SecretId: String? = nil,
        s3SecretKey: String? = nil
    ) {
        self.s3Bucket = s3Bucket
        self.s3Region = s3Region
        self.s3Object = s3Object
        self.s3SecretId = s3SecretId
        self.s3SecretKey = s3SecretKey
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.s3Bucket = container.lenient(.s3Bucket)
        self.s3Region = container.lenient(.s3Region)
        self.s3Object = container.lenient(.s3Object)
        self.s3SecretId = container.lenient(.s3SecretId)
        self.s3SecretKey = container.lenient(.s3SecretKey)
    }

    public var description: String {
        MPSRedaction.describe(
            "S3InputInfoEcho",
            [
                ("S3Bucket", self.s3Bucket),
                ("S3Region", self.s3Region),
                ("S3Object", self.s3Object),
                ("S3SecretId", self.s3SecretId.map { MPSRedaction.secret($0) }),
                ("S3SecretKey", self.s3SecretKey.map { MPSRedaction.secret($0) }),
            ]
        )
    }

    public var debugDescription: String { self.description }
}

/// `VODInputInfo` as echoed in results.
public struct VODInputInfoEcho: Sendable, Hashable, Codable {
    public var bucket: String?
    public var region: String?
    public var object: String?
    public var subAppId: Int?
    public var vodBasic: Int?
    public var fileId: String?

    enum CodingKeys: String, CodingKey {
        case bucket = "Bucket"
        case region = "Region"
        case object = "Object"
        case subAppId = "SubAppId"
        case vodBasic = "VodBasic"
        case fileId = "FileId"
    }

    public init(
        bucket: String? = nil,
        region: String? = nil,
        object: String? = nil,
        subAppId: Int? = nil,
        vodBasic: Int? = nil,
        fileId: String? = nil
    ) {
        self.bucket = bucket
        self.region = region
        self.object = object
        self.subAppId = subAppId
        self.vodBasic = vodBasic
        self.fileId = fileId
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.bucket = container.lenient(.bucket)
        self.region = container.lenient(.region)
        self.object = container.lenient(.object)
        self.subAppId = container.lenient(.subAppId)
        self.vodBasic = container.lenient(.vodBasic)
        self.fileId = container.lenient(.fileId)
    }
}

/// `TaskOutputStorage` as echoed in results; lenient like every response type.
public struct TaskOutputStorageEcho: Sendable, Hashable, Codable {
    /// `COS`, `AWS-S3` or `VOD`.
    public var type: String?
    public var cosOutputStorage: CosOutputStorageEcho?
    public var s3OutputStorage: S3OutputStorageEcho?
    public var vodOutputStorage: VODOutputStorageEcho?

    enum CodingKeys: String, CodingKey {
        case type = "Type"
        case cosOutputStorage = "CosOutputStorage"
        case s3OutputStorage = "S3OutputStorage"
        case vodOutputStorage = "VODOutputStorage"
    }

    public init(
        type: String? = nil,
        cosOutputStorage: CosOutputStorageEcho? = nil,
        s3OutputStorage: S3OutputStorageEcho? = nil,
        vodOutputStorage: VODOutputStorageEcho? = nil
    ) {
        self.type = type
        self.cosOutputStorage = cosOutputStorage
        self.s3OutputStorage = s3OutputStorage
        self.vodOutputStorage = vodOutputStorage
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.type = container.lenient(.type)
        self.cosOutputStorage = container.lenient(.cosOutputStorage)
        self.s3OutputStorage = container.lenient(.s3OutputStorage)
        self.vodOutputStorage = container.lenient(.vodOutputStorage)
    }
}

/// `CosOutputStorage` as echoed in results.
public struct CosOutputStorageEcho: Sendable, Hashable, Codable {
    public var bucket: String?
    public var region: String?

    enum CodingKeys: String, CodingKey {
        case bucket = "Bucket"
        case region = "Region"
    }

    public init(bucket: String? = nil, region: String? = nil) {
        self.bucket = bucket
        self.region = region
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.bucket = container.lenient(.bucket)
        self.region = container.lenient(.region)
    }
}

/// `S3OutputStorage` as echoed in results. Its description never shows the secret id or key.
public struct S3OutputStorageEcho: Sendable, Hashable, Codable, CustomStringConvertible, CustomDebugStringConvertible {
    public var s3Bucket: String?
    public var s3Region: String?
    public var s3SecretId: String?
    public var s3SecretKey: String?

    enum CodingKeys: String, CodingKey {
        case s3Bucket = "S3Bucket"
        case s3Region = "S3Region"
        case s3SecretId = "S3SecretId"
        case s3SecretKey = "S3SecretKey"
    }

    public init(
        s3Bucket: String? = nil,
        s3Region: String? = nil,
        s3SecretId: String? = nil,
        s3SecretKey: String? = nil
    ) {
        self.s3Bucket = s3Bucket
        self.s3Region = s3Region
        self.s3SecretId = s3SecretId
        self.s3SecretKey = s3SecretKey
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.s3Bucket = container.lenient(.s3Bucket)
        self.s3Region = container.lenient(.s3Region)
        self.s3SecretId = container.lenient(.s3SecretId)
        self.s3SecretKey = container.lenient(.s3SecretKey)
    }

    public var description: String {
        MPSRedaction.describe(
            "S3OutputStorageEcho",
            [
                ("S3Bucket", self.s3Bucket),
                ("S3Region", self.s3Region),
                ("S3SecretId", self.s3SecretId.map { MPSRedaction.secret($0) }),
                ("S3SecretKey", self.s3SecretKey.map { MPSRedaction.secret($0) }),
            ]
        )
    }

    public var debugDescription: String { self.description }
}

/// `VODOutputStorage` as echoed in results.
public struct VODOutputStorageEcho: Sendable, Hashable, Codable {
    public var bucket: String?
    public var region: String?
    public var subAppId: Int?
    public var vodBasic: Int?

    enum CodingKeys: String, CodingKey {
        case bucket = "Bucket"
        case region = "Region"
        case subAppId = "SubAppId"
        case vodBasic = "VodBasic"
    }

    public init(bucket: String? = nil, region: String? = nil, subAppId: Int? = nil, vodBasic: Int? = nil) {
        self.bucket = bucket
        self.region = region
        self.subAppId = subAppId
        self.vodBasic = vodBasic
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.bucket = container.lenient(.bucket)
        self.region = container.lenient(.region)
        self.subAppId = container.lenient(.subAppId)
        self.vodBasic = container.lenient(.vodBasic)
    }
}

/// `RawSmartSubtitleParameter` as echoed in results: plain strings and integers, so a language
/// code or value added by Tencent later never fails a decode (unlike the strict request type).
public struct RawSmartSubtitleParameterEcho: Sendable, Hashable, Codable {
    public var subtitleType: Int?
    public var videoSrcLanguage: String?
    public var subtitleFormat: String?
    public var translateSwitch: String?
    /// Target codes joined by `/`; empty when not translating.
    public var translateDstLanguage: String?
    public var asrHotWordsConfigure: AsrHotWordsConfigureEcho?
    public var extInfo: String?
    public var processType: Int?
    public var selectingSubtitleAreasConfig: SelectingSubtitleAreasConfigEcho?
    public var subtitleEmbedId: Int?
    public var speakerMode: Int?
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
        subtitleType: Int? = nil,
        videoSrcLanguage: String? = nil,
        subtitleFormat: String? = nil,
        translateSwitch: String? = nil,
        translateDstLanguage: String? = nil,
        asrHotWordsConfigure: AsrHotWordsConfigureEcho? = nil,
        extInfo: String? = nil,
        processType: Int? = nil,
        selectingSubtitleAreasConfig: SelectingSubtitleAreasConfigEcho? = nil,
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
        self.subtitleType = container.lenient(.subtitleType)
        self.videoSrcLanguage = container.lenient(.videoSrcLanguage)
        self.subtitleFormat = container.lenient(.subtitleFormat)
        self.translateSwitch = container.lenient(.translateSwitch)
        self.translateDstLanguage = container.lenient(.translateDstLanguage)
        self.asrHotWordsConfigure = container.lenient(.asrHotWordsConfigure)
        self.extInfo = container.lenient(.extInfo)
        self.processType = container.lenient(.processType)
        self.selectingSubtitleAreasConfig = container.lenient(.selectingSubtitleAreasConfig)
        self.subtitleEmbedId = container.lenient(.subtitleEmbedId)
        self.speakerMode = container.lenient(.speakerMode)
        self.speakerLabel = container.lenient(.speakerLabel)
    }

    /// `TranslateDstLanguage` split on `/`, without empty parts.
    public var targetLanguageCodes: [String] {
        (self.translateDstLanguage ?? "").split(separator: "/").map(String.init)
    }
}

/// `AsrHotWordsConfigure` as echoed in results.
public struct AsrHotWordsConfigureEcho: Sendable, Hashable, Codable {
    public var `switch`: String?
    public var libraryId: String?

    enum CodingKeys: String, CodingKey {
        case `switch` = "Switch"
        case libraryId = "LibraryId"
    }

    public init(switch: String? = nil, libraryId: String? = nil) {
        self.switch = `switch`
        self.libraryId = libraryId
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.switch = container.lenient(.`switch`)
        self.libraryId = container.lenient(.libraryId)
    }
}

/// `SelectingSubtitleAreasConfig` as echoed in results.
public struct SelectingSubtitleAreasConfigEcho: Sendable, Hashable, Codable {
    public var autoAreas: [EraseAreaEcho]?
    public var sampleWidth: Int?
    public var sampleHeight: Int?

    enum CodingKeys: String, CodingKey {
        case autoAreas = "AutoAreas"
        case sampleWidth = "SampleWidth"
        case sampleHeight = "SampleHeight"
    }

    public init(autoAreas: [EraseAreaEcho]? = nil, sampleWidth: Int? = nil, sampleHeight: Int? = nil) {
        self.autoAreas = autoAreas
        self.sampleWidth = sampleWidth
        self.sampleHeight = sampleHeight
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.autoAreas = container.lenient(.autoAreas)
        self.sampleWidth = container.lenient(.sampleWidth)
        self.sampleHeight = container.lenient(.sampleHeight)
    }
}

/// `EraseArea` as echoed in results.
public struct EraseAreaEcho: Sendable, Hashable, Codable {
    public var leftTopX: Double?
    public var leftTopY: Double?
    public var rightBottomX: Double?
    public var rightBottomY: Double?
    public var unit: Int?

    enum CodingKeys: String, CodingKey {
        case leftTopX = "LeftTopX"
        case leftTopY = "LeftTopY"
        case rightBottomX = "RightBottomX"
        case rightBottomY = "RightBottomY"
        case unit = "Unit"
    }

    public init(
        leftTopX: Double? = nil,
        leftTopY: Double? = nil,
        rightBottomX: Double? = nil,
        rightBottomY: Double? = nil,
        unit: Int? = nil
    ) {
        self.leftTopX = leftTopX
        self.leftTopY = leftTopY
        self.rightBottomX = rightBottomX
        self.rightBottomY = rightBottomY
        self.unit = unit
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.leftTopX = container.lenient(.leftTopX)
        self.leftTopY = container.lenient(.leftTopY)
        self.rightBottomX = container.lenient(.rightBottomX)
        self.rightBottomY = container.lenient(.rightBottomY)
        self.unit = container.lenient(.unit)
    }
}

/// `TaskNotifyConfig` as echoed by `DescribeBatchTaskDetail`: plain strings, lenient.
/// `description` and `debugDescription` never show `NotifyKey` or `NotifyUrl`'s query string.
public struct TaskNotifyConfigEcho: Sendable, Hashable, Codable, CustomStringConvertible, CustomDebugStringConvertible {
    public var notifyType: String?
    public var notifyMode: String?
    public var notifyUrl: String?
    public var cmqModel: String?
    public var cmqRegion: String?
    public var topicName: String?
    public var queueName: String?
    public var awsSQS: AwsSQSEcho?
    public var notifyKey: String?

    enum CodingKeys: String, CodingKey {
        case notifyType = "NotifyType"
        case notifyMode = "NotifyMode"
        case notifyUrl = "NotifyUrl"
        case cmqModel = "CmqModel"
        case cmqRegion = "CmqRegion"
        case topicName = "TopicName"
        case queueName = "QueueName"
        case awsSQS = "AwsSQS"
        case notifyKey = "NotifyKey"
    }

    public init(
        notifyType: String? = nil,
        notifyMode: String? = nil,
        notifyUrl: String? = nil,
        cmqModel: String? = nil,
        cmqRegion: String? = nil,
        topicName: String? = nil,
        queueName: String? = nil,
        awsSQS: AwsSQSEcho? = nil,
        notifyKey: String? = nil
    ) {
        self.notifyType = notifyType
        self.notifyMode = notifyMode
        self.notifyUrl = notifyUrl
        self.cmqModel = cmqModel
        self.cmqRegion = cmqRegion
        self.topicName = topicName
        self.queueName = queueName
        self.awsSQS = awsSQS
        self.notifyKey = notifyKey
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.notifyType = container.lenient(.notifyType)
        self.notifyMode = container.lenient(.notifyMode)
        self.notifyUrl = container.lenient(.notifyUrl)
        self.cmqModel = container.lenient(.cmqModel)
        self.cmqRegion = container.lenient(.cmqRegion)
        self.topicName = container.lenient(.topicName)
        self.queueName = container.lenient(.queueName)
        self.awsSQS = container.lenient(.awsSQS)
        self.notifyKey = container.lenient(.notifyKey)
    }

    public var description: String {
        MPSRedaction.describe(
            "TaskNotifyConfigEcho",
            [
                ("NotifyType", self.notifyType),
                ("NotifyMode", self.notifyMode),
                ("NotifyUrl", self.notifyUrl.map(MPSRedaction.url)),
                ("CmqModel", self.cmqModel),
                ("CmqRegion", self.cmqRegion),
                ("TopicName", self.topicName),
                ("QueueName", self.queueName),
                ("AwsSQS", self.awsSQS.map { "\($0)" }),
                ("NotifyKey", self.notifyKey.map { MPSRedaction.secret($0) }),
            ]
        )
    }

    public var debugDescription: String { self.description }
}

/// `AwsSQS` as echoed in results. Its description never shows the secrets.
public struct AwsSQSEcho: Sendable, Hashable, Codable, CustomStringConvertible, CustomDebugStringConvertible {
    public var sqsRegion: String?
    public var sqsQueueName: String?
    public var s3SecretId: String?
    public var s3SecretKey: String?

    enum CodingKeys: String, CodingKey {
        case sqsRegion = "SQSRegion"
        case sqsQueueName = "SQSQueueName"
        case s3SecretId = "S3SecretId"
        case s3SecretKey = "S3SecretKey"
    }

    public init(
        sqsRegion: String? = nil,
        sqsQueueName: String? = nil,
        s3SecretId: String? = nil,
        s3SecretKey: String? = nil
    ) {
        self.sqsRegion = sqsRegion
        self.sqsQueueName = sqsQueueName
        self.s3SecretId = s3SecretId
        self.s3SecretKey = s3SecretKey
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.sqsRegion = container.lenient(.sqsRegion)
        self.sqsQueueName = container.lenient(.sqsQueueName)
        self.s3SecretId = container.lenient(.s3SecretId)
        self.s3SecretKey = container.lenient(.s3SecretKey)
    }

    public var description: String {
        MPSRedaction.describe(
            "AwsSQSEcho",
            [
                ("SQSRegion", self.sqsRegion),
                ("SQSQueueName", self.sqsQueueName),
                ("S3SecretId", self.s3SecretId.map { MPSRedaction.secret($0) }),
                ("S3SecretKey", self.s3SecretKey.map { MPSRedaction.secret($0) }),
            ]
        )
    }

    public var debugDescription: String { self.description }
}
