public import Correlation
public import MPS

/// How the callback door checks and stores notifications.
public struct IntakeConfiguration: Sendable {
    /// Larger bodies get 413 before they are read further (default 1 MiB).
    public var maximumBodySize: Int
    /// Verifies the per-step token in the NotifyUrl (and static tokens).
    public var tokens: CallbackTokens
    /// Checks `Sign` and expiry when a NotifyKey is configured.
    public var verifier: NotificationVerifier
    /// A request whose batch has not committed by then gets 503 (MPS retries; a later retry
    /// of content that did commit is a duplicate, answered 200).
    public var storeTimeout: Duration
    /// The header the trusted reverse proxy puts the client address in (first entry is used).
    public var forwardedForHeader: String

    public init(
        tokens: CallbackTokens,
        verifier: NotificationVerifier,
        maximumBodySize: Int = 1 << 20,
        storeTimeout: Duration = .seconds(5),
        forwardedForHeader: String = "x-forwarded-for"
    ) {
        self.tokens = tokens
        self.verifier = verifier
        self.maximumBodySize = maximumBodySize
        self.storeTimeout = storeTimeout
        self.forwardedForHeader = forwardedForHeader.lowercased()
    }
}
