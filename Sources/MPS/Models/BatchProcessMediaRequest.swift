/// The `BatchProcessMedia` request body. Every single value is valid by construction
/// (`SessionContext`, `TaskPriority`, `OutputDirectory`, language codes, enums); rules that span
/// fields are checked by `BatchProcessMediaValidator.validate(_:)`. Encoding with
/// `MPSJSON.encoder` omits every `nil` field, so `null` is never sent.
public struct BatchProcessMediaRequest: Sendable, Hashable, Codable {
    public var inputInfo: [MediaInputInfo]
    /// Required (COS, with bucket and region) when an input is a URL.
    public var outputStorage: TaskOutputStorage?
    public var outputDir: OutputDirectory?
    public var smartSubtitlesTask: SmartSubtitlesTaskInput?
    /// `nil` means no notifications at all.
    public var taskNotifyConfig: TaskNotifyConfig?
    public var tasksPriority: TaskPriority?
    /// Echoed in every callback: our only way to correlate a callback with a task.
    public var sessionContext: SessionContext?
    public var resourceId: String?
    /// Wire name `SkipMateData` (sic).
    public var skipMateData: SkipMetadata?
    public var taskMode: TaskMode?

    enum CodingKeys: String, CodingKey {
        case inputInfo = "InputInfo"
        case outputStorage = "OutputStorage"
        case outputDir = "OutputDir"
        case smartSubtitlesTask = "SmartSubtitlesTask"
        case taskNotifyConfig = "TaskNotifyConfig"
        case tasksPriority = "TasksPriority"
        case sessionContext = "SessionContext"
        case resourceId = "ResourceId"
        case skipMateData = "SkipMateData"
        case taskMode = "TaskMode"
    }

    public init(
        inputInfo: [MediaInputInfo],
        outputStorage: TaskOutputStorage? = nil,
        outputDir: OutputDirectory? = nil,
        smartSubtitlesTask: SmartSubtitlesTaskInput? = nil,
        taskNotifyConfig: TaskNotifyConfig? = nil,
        tasksPriority: TaskPriority? = nil,
        sessionContext: SessionContext? = nil,
        resourceId: String? = nil,
        skipMateData: SkipMetadata? = nil,
        taskMode: TaskMode? = nil
    ) {
        self.inputInfo = inputInfo
        self.outputStorage = outputStorage
        self.outputDir = outputDir
        self.smartSubtitlesTask = smartSubtitlesTask
        self.taskNotifyConfig = taskNotifyConfig
        self.tasksPriority = tasksPriority
        self.sessionContext = sessionContext
        self.resourceId = resourceId
        self.skipMateData = skipMateData
        self.taskMode = taskMode
    }
}

/// The `BatchProcessMedia` response (the object inside `{"Response": …}`). Both fields are
/// optional so an unexpected body never fails to decode; a success carries both.
public struct BatchProcessMediaResponse: Sendable, Hashable, Codable {
    public var taskId: String?
    public var requestId: String?

    enum CodingKeys: String, CodingKey {
        case taskId = "TaskId"
        case requestId = "RequestId"
    }

    public init(taskId: String? = nil, requestId: String? = nil) {
        self.taskId = taskId
        self.requestId = requestId
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.taskId = container.lenient(.taskId)
        self.requestId = container.lenient(.requestId)
    }
}

/// The `DescribeBatchTaskDetail` request: one task ID from `BatchProcessMedia` (last 7 days only).
public struct DescribeBatchTaskDetailRequest: Sendable, Hashable, Codable {
    public var taskId: String

    enum CodingKeys: String, CodingKey {
        case taskId = "TaskId"
    }

    public init(taskId: String) {
        self.taskId = taskId
    }
}
