public import MPS

/// How ``MPSClient`` reaches MPS.
public struct MPSClientConfiguration: Sendable {
    /// Where calls go (default: the China-site host).
    public var endpoint: MPSEndpoint
    /// The key pair that signs every call.
    public var credentials: TencentCloudCredentials
    /// `X-TC-Region`; not needed by BatchProcessMedia or DescribeBatchTaskDetail.
    public var region: String?
    /// `X-TC-Language` (`zh-CN` or `en-US`) for error messages; unset lets MPS choose.
    public var language: String?
    /// How long connecting may take; a failure here is certainly not sent.
    public var connectTimeout: Duration
    /// How long the whole call may take; a timeout after sending is ambiguous.
    public var totalTimeout: Duration

    public init(
        endpoint: MPSEndpoint = .china,
        credentials: TencentCloudCredentials,
        region: String? = nil,
        language: String? = nil,
        connectTimeout: Duration = .seconds(5),
        totalTimeout: Duration = .seconds(20)
    ) {
        self.endpoint = endpoint
        self.credentials = credentials
        self.region = region
        self.language = language
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
    }
}
