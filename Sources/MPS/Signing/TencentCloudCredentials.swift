public import Foundation

/// A Tencent Cloud API key pair, with the session token that temporary (STS) keys carry.
/// `description` never shows the key or the token.
public struct TencentCloudCredentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The public key id (`AKID…`).
    public var secretId: String
    /// The secret key. Never logged.
    public var secretKey: String
    /// The STS session token, sent as `X-TC-Token` when set. Never logged.
    public var sessionToken: String?

    public init(secretId: String, secretKey: String, sessionToken: String? = nil) {
        self.secretId = secretId
        self.secretKey = secretKey
        self.sessionToken = sessionToken
    }

    /// Reads `TENCENTCLOUD_SECRET_ID`, `TENCENTCLOUD_SECRET_KEY` and, when set,
    /// `TENCENTCLOUD_SESSION_TOKEN`. Returns nil when the id or the key is missing.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> TencentCloudCredentials? {
        func value(_ name: String) -> String? {
            guard let raw = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !raw.isEmpty else {
                return nil
            }
            return raw
        }
        guard let id = value("TENCENTCLOUD_SECRET_ID"), let key = value("TENCENTCLOUD_SECRET_KEY") else { return nil }
        return TencentCloudCredentials(secretId: id, secretKey: key, sessionToken: value("TENCENTCLOUD_SESSION_TOKEN"))
    }

    public var description: String {
        "TencentCloudCredentials(secretId: \(secretId), secretKey: ***\(sessionToken == nil ? "" : ", sessionToken: ***"))"
    }

    public var debugDescription: String { description }
}
