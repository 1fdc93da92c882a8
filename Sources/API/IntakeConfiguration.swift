public import Correlation
public import MPS
public import Workflows

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
    /// The header the trusted reverse proxies put the client address in.
    public var forwardedForHeader: String
    /// The reverse proxies whose `forwardedForHeader` is believed; from any other peer the
    /// header is ignored and the peer's address is recorded. Default: none.
    public var trustedProxies: TrustedProxies

    public init(
        tokens: CallbackTokens,
        verifier: NotificationVerifier,
        maximumBodySize: Int = 1 << 20,
        storeTimeout: Duration = .seconds(5),
        forwardedForHeader: String = "x-forwarded-for",
        trustedProxies: TrustedProxies = .none
    ) {
        self.tokens = tokens
        self.verifier = verifier
        self.maximumBodySize = maximumBodySize
        self.storeTimeout = storeTimeout
        self.forwardedForHeader = forwardedForHeader.lowercased()
        self.trustedProxies = trustedProxies
    }

    /// How the door finds the address it records for a callback.
    public var clientAddress: ClientAddressRule {
        ClientAddressRule(header: forwardedForHeader, proxies: trustedProxies)
    }
}
