public import Workflows

/// How the "job finished" webhooks are delivered (`MPSHOOK_WEBHOOK_*`).
public struct WebhookConfiguration: Sendable {
    /// Every active signing secret (each signs every message); without one nothing is delivered.
    public var secrets: [WebhookSecret]
    /// Where a job without its own callback URL sends its webhook; nil: nowhere.
    public var defaultURL: CallbackURL?
    /// Non-public networks and hosts callbacks may reach (nothing by default).
    public var allowList: NetworkAllowList
    /// Attempts in flight at once, each on its own thread of the deliverer's own pool.
    public var concurrency: Int
    /// Longest time for one attempt (resolving excluded), connecting included.
    public var timeout: Duration
    /// Longest time to connect.
    public var connectTimeout: Duration
    /// When failed attempts are retried, and how many there are in all.
    public var schedule: WebhookRetrySchedule
    /// How often due deliveries are looked for without a wake-up (retries come due this way).
    public var pollInterval: Duration

    public init(
        secrets: [WebhookSecret], defaultURL: CallbackURL? = nil, allowList: NetworkAllowList = NetworkAllowList(),
        concurrency: Int = 4, timeout: Duration = .seconds(10), connectTimeout: Duration = .seconds(5),
        schedule: WebhookRetrySchedule = WebhookRetrySchedule(), pollInterval: Duration = .seconds(1)
    ) {
        self.secrets = secrets
        self.defaultURL = defaultURL
        self.allowList = allowList
        self.concurrency = max(1, concurrency)
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.schedule = schedule
        self.pollInterval = pollInterval
    }
}
