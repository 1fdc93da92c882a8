/// When a webhook delivery that failed is tried again: exponential backoff with jitter, up to a
/// cap on attempts, after which the delivery is `failed` (listed, and redeliverable by a person).
public struct WebhookRetrySchedule: Sendable, Equatable {
    /// The pause after the first failed attempt (before jitter).
    public var base: Duration
    /// No pause is longer than this (before jitter).
    public var maximumDelay: Duration
    /// Attempts in all; the one that fails last makes the delivery `failed`.
    public var maximumAttempts: Int

    public init(base: Duration = .seconds(5), maximumDelay: Duration = .seconds(3600), maximumAttempts: Int = 12) {
        self.base = base
        self.maximumDelay = maximumDelay
        self.maximumAttempts = max(1, maximumAttempts)
    }

    /// The pause after failed attempt number `attempt` (1 for the first), or nil when that was
    /// the last one allowed. The pause is `min(maximumDelay, base · 2^(attempt−1))`, of which the
    /// upper half is scaled by `jitter` (0…1, a random draw), so replicas and receivers coming back
    /// together spread out while a pause never drops below half its step.
    public func delay(afterAttempt attempt: Int, jitter: Double) -> Duration? {
        guard attempt < maximumAttempts else { return nil }
        let exponent = min(max(attempt - 1, 0), 40)
        let step = min(maximumDelay, base * Double(1 << exponent))
        let fraction = min(max(jitter.isFinite ? jitter : 0, 0), 1)
        return step / 2 + (step / 2) * fraction
    }
}
