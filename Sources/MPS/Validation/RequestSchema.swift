/// The shape of a `BatchProcessMedia` body: which members each object may have, their JSON
/// types and which are always required. Requirements that depend on other fields live in
/// `BatchProcessMediaValidator+Rules.swift`.
indirect enum Shape: Sendable {
    case string
    /// An integer that fits `Int` (64-bit signed).
    case integer
    /// An integer in 0 ..< 2^64 (`UInt64`); a negative value is a value error, not a type error.
    case unsignedInteger
    case number
    case object(ObjectSchema)
    case array(Shape)

    var typeName: String {
        switch self {
        case .string: "a string"
        case .integer, .unsignedInteger: "an integer"
        case .number: "a number"
        case .object: "an object"
        case .array: "an array"
        }
    }
}

struct FieldSchema: Sendable {
    let name: String
    let shape: Shape
    let required: Bool
    /// The code for a value error the walker itself finds (a negative unsigned integer).
    let valueErrorCode: String

    init(
        _ name: String,
        _ shape: Shape,
        required: Bool = false,
        valueErrorCode: String = ErrorCode.invalidParameterValue
    ) {
        self.name = name
        self.shape = shape
        self.required = required
        self.valueErrorCode = valueErrorCode
    }
}

struct ObjectSchema: Sendable {
    /// The model's name, for "is not a member of …" messages.
    let typeName: String
    let fields: [FieldSchema]

    var names: [String] { self.fields.map(\.name) }

    func field(named name: String) -> FieldSchema? {
        self.fields.first { $0.name == name }
    }
}

enum RequestSchema {
    static let urlInputInfo = ObjectSchema(
        typeName: "UrlInputInfo",
        fields: [FieldSchema("Url", .string, required: true)]
    )

    static let cosInputInfo = ObjectSchema(
        typeName: "CosInputInfo",
        fields: [
            FieldSchema("Bucket", .string, required: true),
            FieldSchema("Region", .string, required: true),
            FieldSchema("Object", .string, required: true),
        ]
    )

    static let s3InputInfo = ObjectSchema(
        typeName: "S3InputInfo",
        fields: [
            FieldSchema("S3Bucket", .string, required: true),
            FieldSchema("S3Region", .string, required: true),
            FieldSchema("S3Object", .string, required: true),
            FieldSchema("S3SecretId", .string),
            FieldSchema("S3SecretKey", .string),
        ]
    )

    static let vodInputInfo = ObjectSchema(
        typeName: "VODInputInfo",
        fields: [
            FieldSchema("Bucket", .string),
            FieldSchema("Region", .string),
            FieldSchema("Object", .string),
            FieldSchema("SubAppId", .integer),
            FieldSchema("VodBasic", .integer),
            FieldSchema("FileId", .string),
        ]
    )

    static let mediaInputInfo = ObjectSchema(
        typeName: "MediaInputInfo",
        fields: [
            FieldSchema("Type", .string, required: true),
            FieldSchema("UrlInputInfo", .object(urlInputInfo)),
            FieldSchema("CosInputInfo", .object(cosInputInfo)),
            FieldSchema("S3InputInfo", .object(s3InputInfo)),
            FieldSchema("VODInputInfo", .object(vodInputInfo)),
        ]
    )

    static let cosOutputStorage = ObjectSchema(
        typeName: "CosOutputStorage",
        fields: [
            FieldSchema("Bucket", .string),
            FieldSchema("Region", .string),
        ]
    )

    static let s3OutputStorage = ObjectSchema(
        typeName: "S3OutputStorage",
        fields: [
            FieldSchema("S3Bucket", .string, required: true),
            FieldSchema("S3Region", .string, required: true),
            FieldSchema("S3SecretId", .string),
            FieldSchema("S3SecretKey", .string),
        ]
    )

    static let vodOutputStorage = ObjectSchema(
        typeName: "VODOutputStorage",
        fields: [
            FieldSchema("Bucket", .string),
            FieldSchema("Region", .string),
            FieldSchema("SubAppId", .integer),
            FieldSchema("VodBasic", .integer),
        ]
    )

    static let taskOutputStorage = ObjectSchema(
        typeName: "TaskOutputStorage",
        fields: [
            FieldSchema("Type", .string, required: true),
            FieldSchema("CosOutputStorage", .object(cosOutputStorage)),
            FieldSchema("S3OutputStorage", .object(s3OutputStorage)),
            FieldSchema("VODOutputStorage", .object(vodOutputStorage)),
        ]
    )

    static let asrHotWordsConfigure = ObjectSchema(
        typeName: "AsrHotWordsConfigure",
        fields: [
            FieldSchema("Switch", .string),
            FieldSchema("LibraryId", .string),
        ]
    )

    static let eraseArea = ObjectSchema(
        typeName: "EraseArea",
        fields: [
            FieldSchema("LeftTopX", .number, required: true),
            FieldSchema("LeftTopY", .number, required: true),
            FieldSchema("RightBottomX", .number, required: true),
            FieldSchema("RightBottomY", .number, required: true),
            FieldSchema("Unit", .integer, required: true),
        ]
    )

    static let selectingSubtitleAreasConfig = ObjectSchema(
        typeName: "SelectingSubtitleAreasConfig",
        fields: [
            FieldSchema("AutoAreas", .array(.object(eraseArea))),
            FieldSchema("SampleWidth", .integer),
            FieldSchema("SampleHeight", .integer),
        ]
    )

    static let rawSmartSubtitleParameter = ObjectSchema(
        typeName: "RawSmartSubtitleParameter",
        fields: [
            FieldSchema("SubtitleType", .integer, required: true),
            FieldSchema("VideoSrcLanguage", .string, required: true),
            FieldSchema("SubtitleFormat", .string),
            FieldSchema("TranslateSwitch", .string),
            FieldSchema("TranslateDstLanguage", .string),
            FieldSchema("AsrHotWordsConfigure", .object(asrHotWordsConfigure)),
            FieldSchema("ExtInfo", .string),
            FieldSchema("ProcessType", .integer),
            FieldSchema("SelectingSubtitleAreasConfig", .object(selectingSubtitleAreasConfig)),
            FieldSchema("SubtitleEmbedId", .integer),
            FieldSchema("SpeakerMode", .integer),
            FieldSchema("SpeakerLabel", .integer),
        ]
    )

    static let smartSubtitlesTaskInput = ObjectSchema(
        typeName: "SmartSubtitlesTaskInput",
        fields: [
            FieldSchema("Definition", .unsignedInteger, valueErrorCode: ErrorCode.definition),
            FieldSchema("UserExtPara", .string),
            FieldSchema("RawParameter", .object(rawSmartSubtitleParameter)),
            FieldSchema("OutputStorage", .object(taskOutputStorage)),
            FieldSchema("OutputObjectPath", .string),
        ]
    )

    static let awsSQS = ObjectSchema(
        typeName: "AwsSQS",
        fields: [
            FieldSchema("SQSRegion", .string, required: true),
            FieldSchema("SQSQueueName", .string, required: true),
            FieldSchema("S3SecretId", .string),
            FieldSchema("S3SecretKey", .string),
        ]
    )

    static let taskNotifyConfig = ObjectSchema(
        typeName: "TaskNotifyConfig",
        fields: [
            FieldSchema("NotifyType", .string),
            FieldSchema("NotifyMode", .string),
            FieldSchema("NotifyUrl", .string),
            FieldSchema("CmqModel", .string),
            FieldSchema("CmqRegion", .string),
            FieldSchema("TopicName", .string),
            FieldSchema("QueueName", .string),
            FieldSchema("AwsSQS", .object(awsSQS)),
            FieldSchema("NotifyKey", .string),
        ]
    )

    static let batchProcessMediaRequest = ObjectSchema(
        typeName: "BatchProcessMedia",
        fields: [
            FieldSchema("InputInfo", .array(.object(mediaInputInfo)), required: true),
            FieldSchema("OutputStorage", .object(taskOutputStorage)),
            FieldSchema("OutputDir", .string),
            FieldSchema("SmartSubtitlesTask", .object(smartSubtitlesTaskInput)),
            FieldSchema("TaskNotifyConfig", .object(taskNotifyConfig)),
            FieldSchema("TasksPriority", .integer),
            FieldSchema("SessionContext", .string),
            FieldSchema("ResourceId", .string),
            FieldSchema("SkipMateData", .integer),
            FieldSchema("TaskMode", .string),
        ]
    )

    /// Common parameters of Tencent Cloud API 3.0: they travel in `X-TC-*` headers, never in the body.
    static let commonParameters: Set<String> = [
        "Action", "Version", "Region", "Timestamp", "Nonce", "SecretId", "Signature", "Token", "Language",
    ]
}
