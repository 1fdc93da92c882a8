import Hashing

/// One signing secret of the "job finished" webhook: a key id (for configuration and logs
/// only: Standard Webhooks signatures do not name their key) and the key bytes. Never printed.
public struct WebhookSecret: Sendable, Equatable, CustomStringConvertible {
    /// The fewest key bytes accepted (the Standard Webhooks range is 24–64).
    public static let minimumKeyBytes = 24

    public let id: String
    let key: [UInt8]

    /// `secret` is `whsec_` and the key in standard base64 (the Standard Webhooks form); nil
    /// when it is not, or the key is shorter than ``minimumKeyBytes``.
    public init?(id: String, secret: String) {
        guard secret.hasPrefix("whsec_"), let key = Base64.decode(secret.dropFirst("whsec_".count)),
            key.count >= Self.minimumKeyBytes
        else { return nil }
        self.id = id
        self.key = key
    }

    /// The key id only.
    public var description: String { "WebhookSecret(\(id))" }

    /// `MPSHOOK_WEBHOOK_KEYS`: `kid:whsec_…[,kid:whsec_…]`, like `MPSHOOK_CALLBACK_KEYS`. Every
    /// key listed signs (one signature each), so a receiver can move from the old key to the new
    /// one while both are listed, then the old one is removed. The error names the bad entry by
    /// its place, never by its text.
    public static func parseList(_ text: String) -> Result<[WebhookSecret], WebhookConfigurationError> {
        var secrets: [WebhookSecret] = []
        for (index, entry) in text.split(separator: ",").enumerated() {
            let parts = entry.split(separator: ":", maxSplits: 1).map { String($0).trimmingWhitespace }
            guard parts.count == 2, (1...16).contains(parts[0].count),
                parts[0].unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }),
                let secret = WebhookSecret(id: parts[0], secret: parts[1])
            else {
                return .failure(WebhookConfigurationError(
                    "entry \(index + 1) is not kid:whsec_<base64 key of \(minimumKeyBytes)+ bytes> (kid: a-z, 0-9, -; 1–16 characters)"
                ))
            }
            guard !secrets.contains(where: { $0.id == secret.id }) else {
                return .failure(WebhookConfigurationError("key id \(secret.id) is listed twice"))
            }
            secrets.append(secret)
        }
        guard !secrets.isEmpty else { return .failure(WebhookConfigurationError("holds no key")) }
        return .success(secrets)
    }
}

/// A webhook setting that cannot be used.
public struct WebhookConfigurationError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Signs webhook requests the Standard Webhooks way: `webhook-id`, `webhook-timestamp` (Unix
/// seconds) and `webhook-signature`, `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`,
/// one per secret, separated by spaces.
public struct WebhookSigner: Sendable {
    public let secrets: [WebhookSecret]

    public init(secrets: [WebhookSecret]) {
        self.secrets = secrets
    }

    /// The `webhook-signature` value for one message.
    public func signature(id: String, timestamp: Int64, body: some Collection<UInt8>) -> String {
        let content = Array("\(id).\(timestamp).".utf8) + Array(body)
        return secrets.map { "v1," + Base64.encode(HMACSHA256.authenticationCode(for: content, key: $0.key)) }
            .joined(separator: " ")
    }

    /// The three headers for one message.
    public func headers(id: String, timestamp: Int64, body: some Collection<UInt8>) -> [(name: String, value: String)] {
        [
            ("webhook-id", id),
            ("webhook-timestamp", String(timestamp)),
            ("webhook-signature", signature(id: id, timestamp: timestamp, body: body)),
        ]
    }
}

extension String {
    var trimmingWhitespace: String {
        var text = Substring(self)
        while text.first?.isWhitespace == true { text.removeFirst() }
        while text.last?.isWhitespace == true { text.removeLast() }
        return String(text)
    }
}
