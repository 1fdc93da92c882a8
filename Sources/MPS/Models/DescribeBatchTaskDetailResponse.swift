/// The `DescribeBatchTaskDetail` response (the object inside `{"Response": …}`). Every field is
/// optional and decoded leniently, so a `null`, a missing field or a new status never fails a decode.
public struct DescribeBatchTaskDetailResponse: Sendable, Hashable, Codable {
    /// `BatchTask`.
    public var taskType: String?
    public var status: BatchTaskStatus?
    /// ISO 8601 UTC.
    public var createTime: String?
    public var beginProcessTime: String?
    /// Empty before the task finishes.
    public var finishTime: String?
    public var taskId: String?
    public var batchTaskResult: BatchSubTaskResult?
    public var taskNotifyConfig: TaskNotifyConfigEcho?
    public var tasksPriority: Int?
    public var sessionId: String?
    public var sessionContext: String?
    public var extInfo: String?
    public var requestId: String?

    enum CodingKeys: String, CodingKey {
        case taskType = "TaskType"
        case status = "Status"
        case createTime = "CreateTime"
        case beginProcessTime = "BeginProcessTime"
        case finishTime = "FinishTime"
        case taskId = "TaskId"
        case batchTaskResult = "BatchTaskResult"
        case taskNotifyConfig = "TaskNotifyConfig"
        case tasksPriority = "TasksPriority"
        case sessionId = "SessionId"
        case sessionContext = "SessionContext"
        case extInfo = "ExtInfo"
        case requestId = "RequestId"
    }

    public init(
        taskType: String? = nil,
        status: BatchTaskStatus? = nil,
        createTime: String? = nil,
        beginProcessTime: String? = nil,
        finishTime: String? = nil,
        taskId: String? = nil,
        batchTaskResult: BatchSubTaskResult? = nil,
        taskNotifyConfig: TaskNotifyConfigEcho? = nil,
        tasksPriority: Int? = nil,
        sessionId: String? = nil,
        sessionContext: String? = nil,
        extInfo: String? = nil,
        requestId: String? = nil
    ) {
        self.taskType = taskType
        self.status = status
        self.createTime = createTime
        self.beginProcessTime = beginProcessTime
        self.finishTime = finishTime
        self.taskId = taskId
        self.batchTaskResult = batchTaskResult
        self.taskNotifyConfig = taskNotifyConfig
        self.tasksPriority = tasksPriority
        self.sessionId = sessionId
        self.sessionContext = sessionContext
        self.extInfo = extInfo
        self.requestId = requestId
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.taskType = container.lenient(.taskType)
        self.status = container.lenient(.status)
        self.createTime = container.lenient(.createTime)
        self.beginProcessTime = container.lenient(.beginProcessTime)
        self.finishTime = container.lenient(.finishTime)
        self.taskId = container.lenient(.taskId)
        self.batchTaskResult = container.lenient(.batchTaskResult)
        self.taskNotifyConfig = container.lenient(.taskNotifyConfig)
        self.tasksPriority = container.lenient(.tasksPriority)
        self.sessionId = container.lenient(.sessionId)
        self.sessionContext = container.lenient(.sessionContext)
        self.extInfo = container.lenient(.extInfo)
        self.requestId = container.lenient(.requestId)
    }
}
