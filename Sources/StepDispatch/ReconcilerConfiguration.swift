public import Workflows

/// How the reconciler looks for lost callbacks (`MPSHOOK_RECONCILE_*`).
public struct ReconcilerConfiguration: Sendable {
    /// Whether this replica takes part (`MPSHOOK_RECONCILER`); one replica leads at a time.
    public var enabled: Bool
    /// How often the leader looks for steps due for a poll or an expiry.
    public var interval: Duration
    /// When to poll and when to give a step up (deadlines, backoff, the 7-day window).
    public var policy: ReconcilePolicy
    /// `DescribeBatchTaskDetail` calls per second across every replica (MPS allows 20), from a
    /// bucket of the permit store of its own: polling never takes `BatchProcessMedia`'s slots.
    public var callsPerSecond: Int
    /// How often the leader confirms it still holds the lock, and a follower tries to take it:
    /// a dead leader is replaced within about this long.
    public var leaderCheckInterval: Duration
    /// Steps looked at per round (polled `concurrency` at a time, each after its permit).
    public var batchSize: Int
    public var concurrency: Int

    public init(
        enabled: Bool = true, interval: Duration = .seconds(5), policy: ReconcilePolicy = ReconcilePolicy(),
        callsPerSecond: Int = 20, leaderCheckInterval: Duration = .seconds(5), batchSize: Int = 50, concurrency: Int = 4
    ) {
        self.enabled = enabled
        self.interval = max(.milliseconds(10), interval)
        self.policy = policy
        self.callsPerSecond = max(1, callsPerSecond)
        self.leaderCheckInterval = max(.milliseconds(10), leaderCheckInterval)
        self.batchSize = max(1, batchSize)
        self.concurrency = max(1, concurrency)
    }
}
