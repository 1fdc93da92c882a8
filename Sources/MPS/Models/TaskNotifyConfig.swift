/// `TaskNotifyConfig`: how MPS reports progress. For HTTP callbacks set `notifyType` to `.url`
/// (an unset type means TDMQ-CMQ to MPS) and a `notifyUrl`; `notifyKey` signs each callback.
///
/// `description` and `debugDescription` never show `notifyKey` or the query string of
/// `notifyUrl` (where callback tokens live).
public struct TaskNotifyConfig: Sendable, Hashable, Codable, CustomStringConvertible, CustomDebugStringConvertible {
    public var notifyType: NotifyType?
    public var notifyMode: NotifyMode?
    public var notifyUrl: String?
    /// `Queue` or `Topic` (CMQ and TDMQ-CMQ only).
    public var cmqModel: String?
    public var cmqRegion: String?
    public var topicName: String?
    public var queueName: String?
    public var awsSQS: AwsSQS?
    /// Secret used by MPS to compute `Sign = MD5(Timestamp + NotifyKey)`.
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
        notifyType: NotifyType? = nil,
        notifyMode: NotifyMode? = nil,
        notifyUrl: String? = nil,
        cmqModel: String? = nil,
        cmqRegion: String? = nil,
        topicName: String? = nil,
        queueName: String? = nil,
        awsSQS: AwsSQS? = nil,
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

    /// HTTP callbacks to `url`, with `NotifyType` `URL` set explicitly.
    public static func url(_ url: String, mode: NotifyMode = .finish, key: String? = nil) -> TaskNotifyConfig {
        TaskNotifyConfig(notifyType: .url, notifyMode: mode, notifyUrl: url, notifyKey: key)
    }

    public var description: String {
        MPSRedaction.describe(
            "TaskNotifyConfig",
            [
                ("NotifyType", self.notifyType?.rawValue),
                ("NotifyMode", self.notifyMode?.rawValue),
                ("NotifyUrl", self.notifyUrl.map(MPSRedaction.url)),
                ("CmqModel", self.cmqModel),
                ("CmqRegion", self.cmqRegion),
                ("TopicName", self.topicName),
                ("QueueName", self.queueName),
                ("AwsSQS", self.awsSQS?.description),
                ("NotifyKey", self.notifyKey.map { MPSRedaction.secret($0) }),
            ]
        )
    }

    public var debugDescription: String { self.description }
}

/// `AwsSQS`: an AWS SQS queue for `NotifyType` `AWS-SQS`. Its description never shows the secrets.
public struct AwsSQS: Sendable, Hashable, Codable, CustomStringConvertible, CustomDebugStringConvertible {
    public var sqsRegion: String
    public var sqsQueueName: String
    public var s3SecretId: String?
    public var s3SecretKey: String?

    enum CodingKeys: String, CodingKey {
        case sqsRegion = "SQSRegion"
        case sqsQueueName = "SQSQueueName"
        case s3SecretId = "S3SecretId"
        case s3SecretKey = "S3SecretKey"
    }

    public init(sqsRegion: String, sqsQueueName: String, s3SecretId: String? = nil, s3SecretKey: String? = nil) {
        self.sqsRegion = sqsRegion
        self.sqsQueueName = sqsQueueName
        self.s3SecretId = s3SecretId
        self.s3SecretKey = s3SecretKey
    }

    public var description: String {
        MPSRedaction.describe(
            "AwsSQS",
            [
                ("SQSRegion", self.sqsRegion), ("SQSQueueName", self.sqsQueueName),
                ("S3SecretId", MPSRedaction.secret(self.s3SecretId)),
                ("S3SecretKey", MPSRedaction.secret(self.s3SecretKey)),
            ]
        )
    }

    public var debugDescription: String { self.description }
}
