/// One `BatchProcessMedia` input (`InputInfo[n]`). `type` says which of the `…InputInfo`
/// members MPS reads; `BatchProcessMediaValidator` checks that it is set.
public struct MediaInputInfo: Sendable, Hashable, Codable {
    public var type: MediaInputType
    public var urlInputInfo: UrlInputInfo?
    public var cosInputInfo: CosInputInfo?
    public var s3InputInfo: S3InputInfo?
    public var vodInputInfo: VODInputInfo?

    enum CodingKeys: String, CodingKey {
        case type = "Type"
        case urlInputInfo = "UrlInputInfo"
        case cosInputInfo = "CosInputInfo"
        case s3InputInfo = "S3InputInfo"
        case vodInputInfo = "VODInputInfo"
    }

    public init(
        type: MediaInputType,
        urlInputInfo: UrlInputInfo? = nil,
        cosInputInfo: CosInputInfo? = nil,
        s3InputInfo: S3InputInfo? = nil,
        vodInputInfo: VODInputInfo? = nil
    ) {
        self.type = type
        self.urlInputInfo = urlInputInfo
        self.cosInputInfo = cosInputInfo
        self.s3InputInfo = s3InputInfo
        self.vodInputInfo = vodInputInfo
    }

    /// A `URL` input: `{"Type": "URL", "UrlInputInfo": {"Url": url}}`.
    public static func url(_ url: String) -> MediaInputInfo {
        MediaInputInfo(type: .url, urlInputInfo: UrlInputInfo(url: url))
    }
}

/// `UrlInputInfo`: the video's URL.
public struct UrlInputInfo: Sendable, Hashable, Codable {
    public var url: String

    enum CodingKeys: String, CodingKey {
        case url = "Url"
    }

    public init(url: String) {
        self.url = url
    }
}

/// `CosInputInfo`: a COS object. All three fields are required by MPS.
public struct CosInputInfo: Sendable, Hashable, Codable {
    public var bucket: String
    public var region: String
    public var object: String

    enum CodingKeys: String, CodingKey {
        case bucket = "Bucket"
        case region = "Region"
        case object = "Object"
    }

    public init(bucket: String, region: String, object: String) {
        self.bucket = bucket
        self.region = region
        self.object = object
    }
}

/// `S3InputInfo`: an AWS S3 object. Its description never shows the secret id or key.
public struct S3InputInfo: Sendable, Hashable, Codable, CustomStringConvertible, CustomDebugStringConvertible {
    public var s3Bucket: String
    public var s3Region: String
    public var s3Object: String
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
        s3Bucket: String,
        s3Region: String,
        s3Object: String,
        s3SecretId: String? = nil,
        s3SecretKey: String? = nil
    ) {
        self.s3Bucket = s3Bucket
        self.s3Region = s3Region
        self.s3Object = s3Object
        self.s3SecretId = s3SecretId
        self.s3SecretKey = s3SecretKey
    }

    public var description: String {
        MPSRedaction.describe(
            "S3InputInfo",
            [
                ("S3Bucket", self.s3Bucket), ("S3Region", self.s3Region), ("S3Object", self.s3Object),
                ("S3SecretId", MPSRedaction.secret(self.s3SecretId)),
                ("S3SecretKey", MPSRedaction.secret(self.s3SecretKey)),
            ]
        )
    }

    public var debugDescription: String { self.description }
}

/// `VODInputInfo`: a VOD media file. Which fields MPS needs depends on `VodBasic`
/// (0 = professional edition by bucket and object, 1 = basic edition by `FileId`), so all are optional.
public struct VODInputInfo: Sendable, Hashable, Codable {
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
}
