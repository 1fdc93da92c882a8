/// `TaskOutputStorage`: where MPS writes outputs. For URL inputs only `COS`, with bucket and
/// region, is supported (checked by `BatchProcessMediaValidator`).
public struct TaskOutputStorage: Sendable, Hashable, Codable {
    public var type: StorageType
    public var cosOutputStorage: CosOutputStorage?
    public var s3OutputStorage: S3OutputStorage?
    public var vodOutputStorage: VODOutputStorage?

    enum CodingKeys: String, CodingKey {
        case type = "Type"
        case cosOutputStorage = "CosOutputStorage"
        case s3OutputStorage = "S3OutputStorage"
        case vodOutputStorage = "VODOutputStorage"
    }

    public init(
        type: StorageType,
        cosOutputStorage: CosOutputStorage? = nil,
        s3OutputStorage: S3OutputStorage? = nil,
        vodOutputStorage: VODOutputStorage? = nil
    ) {
        self.type = type
        self.cosOutputStorage = cosOutputStorage
        self.s3OutputStorage = s3OutputStorage
        self.vodOutputStorage = vodOutputStorage
    }

    /// COS output: `{"Type": "COS", "CosOutputStorage": {"Bucket": bucket, "Region": region}}`.
    public static func cos(bucket: String, region: String) -> TaskOutputStorage {
        TaskOutputStorage(type: .cos, cosOutputStorage: CosOutputStorage(bucket: bucket, region: region))
    }
}

/// `CosOutputStorage`. Both fields may be inherited from the input, except for URL inputs.
public struct CosOutputStorage: Sendable, Hashable, Codable {
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
}

/// `S3OutputStorage`: an AWS S3 bucket. Its description never shows the secret id or key.
public struct S3OutputStorage: Sendable, Hashable, Codable, CustomStringConvertible, CustomDebugStringConvertible {
    public var s3Bucket: String
    public var s3Region: String
    public var s3SecretId: String?
    public var s3SecretKey: String?

    enum CodingKeys: String, CodingKey {
        case s3Bucket = "S3Bucket"
        case s3Region = "S3Region"
        case s3SecretId = "S3SecretId"
        case s3SecretKey = "S3SecretKey"
    }

    public init(s3Bucket: String, s3Region: String, s3SecretId: String? = nil, s3SecretKey: String? = nil) {
        self.s3Bucket = s3Bucket
        self.s3Region = s3Region
        self.s3SecretId = s3SecretId
        self.s3SecretKey = s3SecretKey
    }

    public var description: String {
        MPSRedaction.describe(
            "S3OutputStorage",
            [
                ("S3Bucket", self.s3Bucket), ("S3Region", self.s3Region),
                ("S3SecretId", MPSRedaction.secret(self.s3SecretId)),
                ("S3SecretKey", MPSRedaction.secret(self.s3SecretKey)),
            ]
        )
    }

    public var debugDescription: String { self.description }
}

/// `VODOutputStorage`: a VOD application.
public struct VODOutputStorage: Sendable, Hashable, Codable {
    public var bucket: String?
    public var region: String?
    public var subAppId: Int?
    /// 0 = VOD professional edition (default), 1 = VOD basic.
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
}
