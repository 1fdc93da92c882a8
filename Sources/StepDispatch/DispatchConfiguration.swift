/// How the dispatcher submits steps.
public struct DispatchConfiguration: Sendable {
    /// The public base URL MPS reaches us at (the reverse proxy), e.g. `https://hooks.example.com`.
    public var publicBaseURL: String
    /// The notify path under it (default `/mps/notify`).
    public var notifyPath: String
    /// Sent as `TaskNotifyConfig.NotifyKey`, so callbacks carry a `Sign`; nil sends none.
    public var notifyKey: String?
    /// `BatchProcessMedia` calls allowed per second across every replica (MPS: 20).
    public var callsPerSecond: Int
    /// Calls in flight at once from this replica.
    public var concurrency: Int
    /// First retry delay after a retryable refusal; doubles per attempt, with jitter, up to `maximumBackoff`.
    public var initialBackoff: Duration
    public var maximumBackoff: Duration
    /// How often pending steps are looked for even without a wake-up (the safety net).
    public var pollInterval: Duration
    /// A step `submitting` for longer than this without a lease (claimed by a version of
    /// mpshook without leases) was abandoned by a stopped process.
    public var abandonedAfter: Duration
    /// How long a claim stays this process's without a renewal. Its leases are renewed every
    /// third of it while their calls are in flight, so a claim lapses only when its process
    /// stopped (or lost the database for that long).
    public var claimLease: Duration
    /// How often this replica looks for lapsed claims. A step left `submitting` by a dead
    /// process is recovered within `claimLease + recoveryInterval` of its death.
    public var recoveryInterval: Duration

    /// How often the leases of in-flight claims are renewed: a third of the lease, so two
    /// renewals can fail before one lapses.
    public var leaseRenewal: Duration { claimLease / 3 }

    public init(
        publicBaseURL: String,
        notifyPath: String = "/mps/notify",
        notifyKey: String? = nil,
        callsPerSecond: Int = 20,
        concurrency: Int = 8,
        initialBackoff: Duration = .seconds(1),
        maximumBackoff: Duration = .seconds(300),
        pollInterval: Duration = .seconds(5),
        abandonedAfter: Duration = .seconds(120),
        claimLease: Duration = .seconds(30),
        recoveryInterval: Duration = .seconds(5)
    ) {
        self.publicBaseURL = publicBaseURL.hasSuffix("/") ? String(publicBaseURL.dropLast()) : publicBaseURL
        self.notifyPath = notifyPath.hasPrefix("/") ? notifyPath : "/" + notifyPath
        self.notifyKey = notifyKey
        self.callsPerSecond = max(1, callsPerSecond)
        self.concurrency = max(1, concurrency)
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.pollInterval = pollInterval
        self.abandonedAfter = abandonedAfter
        self.claimLease = max(.milliseconds(300), claimLease)
        self.recoveryInterval = max(.milliseconds(50), recoveryInterval)
    }
}
