import Hashing

/// The secret in each step's `NotifyUrl`: `<key id>.<base64url(HMAC-SHA256(key, correlation id))>`.
///
/// Tokens are derived, never stored. The key id travels in the token, so keys rotate with two
/// live at once: new steps use ``currentKeyId``; tokens of older steps verify while their key is
/// still configured. Static tokens (for tasks created outside mpshook) can be added; they verify
/// only notifications whose SessionContext is not an mpshook correlation id.
/// Comparison is constant-time; `description` never shows a key or a token.
public struct CallbackTokens: Sendable, CustomStringConvertible {
    /// A key id: 1–16 characters of `a-z`, `0-9`, `-`.
    public struct KeyId: Sendable, Hashable, CustomStringConvertible {
        public let value: String

        public init?(_ value: String) {
            guard (1...16).contains(value.count),
                value.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D })
            else { return nil }
            self.value = value
        }

        public var description: String { value }
    }

    /// Why keys could not be used.
    public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
        public let description: String
    }

    private let keys: [KeyId: [UInt8]]
    /// The key new tokens are made with.
    public let currentKeyId: KeyId
    private let staticTokens: [[UInt8]]

    /// - Parameters:
    ///   - keys: key id → secret (at least 32 bytes each).
    ///   - current: the id of the key for new tokens; must be in `keys`.
    ///   - staticTokens: tokens for notifications of tasks created outside mpshook (each at least
    ///     32 characters).
    public init(keys: [KeyId: [UInt8]], current: KeyId, staticTokens: [String] = []) throws(ConfigurationError) {
        guard keys[current] != nil else {
            throw ConfigurationError(description: "the current callback key id \(current) has no key")
        }
        for (id, key) in keys where key.count < 32 {
            throw ConfigurationError(description: "callback key \(id) is shorter than 32 bytes")
        }
        for token in staticTokens where token.utf8.count < 32 {
            throw ConfigurationError(description: "a static callback token is shorter than 32 characters")
        }
        self.keys = keys
        self.currentKeyId = current
        self.staticTokens = staticTokens.map { Array($0.utf8) }
    }

    /// The token for a step, made with the current key.
    public func token(for correlation: CorrelationId) -> String {
        token(for: correlation, keyId: currentKeyId)
    }

    func token(for correlation: CorrelationId, keyId: KeyId) -> String {
        let key = keys[keyId] ?? []
        return keyId.value + "." + Base64URL.encode(HMACSHA256.authenticationCode(for: correlation.bytes, key: key))
    }

    /// Whether `token` verifies a notification for `correlation`: the step's own token (under
    /// any live key) for one of our correlation ids; a static token only for a SessionContext
    /// that is not ours (`correlation` nil), so holding a static token moves no mpshook step.
    public func verify(_ token: String, for correlation: CorrelationId?) -> Bool {
        let presented = Array(token.utf8)
        guard let correlation else {
            var matched = false
            for candidate in staticTokens where ConstantTime.equals(candidate, presented) {
                matched = true
            }
            return matched
        }
        guard let dot = token.firstIndex(of: "."), let keyId = KeyId(String(token[..<dot])), keys[keyId] != nil else { return false }
        return ConstantTime.equals(Array(self.token(for: correlation, keyId: keyId).utf8), presented)
    }

    public var description: String {
        "CallbackTokens(current: \(currentKeyId), keys: \(keys.keys.map(\.value).sorted()), static tokens: \(staticTokens.count))"
    }
}
