public import Correlation
public import Foundation
import Hashing
public import API
public import Logging
public import MPS
public import Postgres
public import StepDispatch
public import Webhooks
import Workflows

/// Everything `mpshook serve` reads from its environment, with defaults.
///
/// Secrets (the database URL may carry a password) are never printed; ``redactedSummary``
/// shows what is safe to log.
public struct AppConfiguration: Sendable {
    /// One documented environment variable.
    public struct Key: Sendable {
        public let name: String
        public let defaultValue: String
        public let help: String
        public let isSecret: Bool
    }

    /// Every variable `mpshook` reads, in the order `--help` lists them.
    public static let keys: [Key] = [
        Key(name: "MPSHOOK_DATABASE_URL", defaultValue: "postgresql://postgres@127.0.0.1:5432/mpshook",
            help: "PostgreSQL URL or conninfo string (may hold a password; never logged)", isSecret: true),
        Key(name: "MPSHOOK_DATABASE_POOL_SIZE", defaultValue: "10", help: "maximum pooled database connections", isSecret: false),
        Key(name: "MPSHOOK_DATABASE_CONNECT_TIMEOUT", defaultValue: "5", help: "seconds to open a database connection", isSecret: false),
        Key(name: "MPSHOOK_DATABASE_CHECKOUT_TIMEOUT", defaultValue: "5", help: "seconds to wait for a free pooled connection", isSecret: false),
        Key(name: "MPSHOOK_DATABASE_STATEMENT_TIMEOUT", defaultValue: "30",
            help: "seconds a statement may run (server statement_timeout; an unanswered one is cancelled, then its connection dropped, 5 s later each); 0: no limit", isSecret: false),
        Key(name: "MPSHOOK_HTTP_HOST", defaultValue: "127.0.0.1", help: "address the HTTP server binds", isSecret: false),
        Key(name: "MPSHOOK_HTTP_PORT", defaultValue: "8080", help: "port the HTTP server binds (0 picks a free one)", isSecret: false),
        Key(name: "MPSHOOK_HTTP_IDLE_TIMEOUT", defaultValue: "75",
            help: "seconds a keep-alive connection may wait for its next request (keep above the reverse proxy's upstream keep-alive timeout)", isSecret: false),
        Key(name: "MPSHOOK_HTTP_HEADER_TIMEOUT", defaultValue: "10",
            help: "seconds a request head may take, from the connection's opening or its first byte after a response", isSecret: false),
        Key(name: "MPSHOOK_HTTP_BODY_TIMEOUT", defaultValue: "30", help: "seconds a request body may take after its head", isSecret: false),
        Key(name: "MPSHOOK_HTTP_MAX_CONNECTIONS", defaultValue: "(auto)",
            help: "most HTTP connections open at once; the one reaching it closes the connection idle the longest. auto: the descriptor limit less a reserve for the database pool, MPS calls and files, at most 16384", isSecret: false),
        Key(name: "MPSHOOK_API", defaultValue: "on",
            help: "on: serve the REST API under /v1 (every request needs an API key: `mpshook keys create`) and its spec at /openapi.yaml; off: not mounted (the NotifyUrl door, /healthz, /readyz and /metrics are served either way)", isSecret: false),
        Key(name: "MPSHOOK_EVENTS_RETENTION", defaultValue: "86400",
            help: "seconds the change feed behind GET /v1/events is kept for clients resuming with Last-Event-ID (older changes are pruned; a client resuming before them is told it missed some); at least 60", isSecret: false),
        Key(name: "MPSHOOK_EVENTS_MAX_STREAMS", defaultValue: "256",
            help: "most GET /v1/events streams open at once per process; past it a new stream gets 503 (streams are long-lived connections the NotifyUrl door also needs)", isSecret: false),
        Key(name: "MPSHOOK_MIGRATIONS_DIR", defaultValue: "(auto)",
            help: "folder of NNNN_name.sql files; default: ./migrations, else one found beside or above the executable", isSecret: false),
        Key(name: "MPSHOOK_WORKFLOWS_DIR", defaultValue: "(auto)",
            help: "folder of workflow definitions (*.yaml, *.yml, *.json), checked and stored when `serve` starts (any problem refuses the start); default: ./workflows when it exists, else none", isSecret: false),
        Key(name: "MPSHOOK_MIGRATE_ON_START", defaultValue: "false", help: "let `serve` apply pending migrations (same as --migrate)", isSecret: false),
        Key(name: "MPSHOOK_READINESS_INTERVAL", defaultValue: "1", help: "seconds between database readiness checks", isSecret: false),
        Key(name: "MPSHOOK_SHUTDOWN_TIMEOUT", defaultValue: "30", help: "seconds in-flight work may take after SIGTERM/SIGINT", isSecret: false),
        Key(name: "MPSHOOK_PUBLIC_BASE_URL", defaultValue: "(none)",
            help: "the URL MPS reaches this service at (the reverse proxy), e.g. https://hooks.example.com; needed with callback keys", isSecret: false),
        Key(name: "MPSHOOK_NOTIFY_PATH", defaultValue: "/mps/notify", help: "the path MPS callbacks are POSTed to", isSecret: false),
        Key(name: "MPSHOOK_CALLBACK_KEYS", defaultValue: "(none: no callback door)",
            help: "kid:base64url-key[,kid:base64url-key] (keys of 32+ bytes) deriving each step's NotifyUrl token; two for rotation", isSecret: true),
        Key(name: "MPSHOOK_CALLBACK_KEY_ID", defaultValue: "(the first key)", help: "the key id new steps' tokens use", isSecret: false),
        Key(name: "MPSHOOK_STATIC_CALLBACK_TOKENS", defaultValue: "(none)",
            help: "comma-separated extra tokens (32+ characters) accepted for tasks created outside mpshook", isSecret: true),
        Key(name: "MPSHOOK_NOTIFY_KEY", defaultValue: "(none)",
            help: "sent as TaskNotifyConfig.NotifyKey; callbacks must then carry a valid Sign and be unexpired", isSecret: true),
        Key(name: "MPSHOOK_NOTIFY_MAX_BODY", defaultValue: "1048576", help: "largest callback body in bytes; larger ones get 413", isSecret: false),
        Key(name: "MPSHOOK_NOTIFY_STORE_TIMEOUT", defaultValue: "5", help: "seconds a callback waits for its commit before it is answered 503", isSecret: false),
        Key(name: "MPSHOOK_NOTIFY_SKEW", defaultValue: "60", help: "seconds past its Timestamp a signed callback is still accepted", isSecret: false),
        Key(name: "MPSHOOK_FORWARDED_FOR_HEADER", defaultValue: "x-forwarded-for",
            help: "the header the trusted reverse proxy puts the caller's address in", isSecret: false),
        Key(name: "MPSHOOK_INTAKE_BATCH_SIZE", defaultValue: "64", help: "most callbacks stored in one group commit", isSecret: false),
        Key(name: "MPSHOOK_INTAKE_WRITERS", defaultValue: "2", help: "group commits in flight at once (the second fills while the first commits)", isSecret: false),
        Key(name: "MPSHOOK_INTAKE_QUEUE_LIMIT", defaultValue: "4096", help: "callbacks waiting for a group commit at most; past it they get 503 at once", isSecret: false),
        Key(name: "MPSHOOK_INTAKE_QUEUE_BYTES", defaultValue: "67108864", help: "bytes of callbacks waiting for a group commit at most; past it they get 503 at once", isSecret: false),
        Key(name: "MPSHOOK_INTAKE_LINGER_MS", defaultValue: "1", help: "milliseconds a group commit waits after its oldest callback for others to join", isSecret: false),
        Key(name: "MPSHOOK_APPLIER_BATCH_SIZE", defaultValue: "256", help: "most stored notifications applied in one transaction", isSecret: false),
        Key(name: "MPSHOOK_APPLIER_WORKERS", defaultValue: "2", help: "notification batches applied at once by this process", isSecret: false),
        Key(name: "MPSHOOK_DISPATCH_CONCURRENCY", defaultValue: "8", help: "BatchProcessMedia calls in flight at once from this process", isSecret: false),
        Key(name: "MPSHOOK_MPS_CALLS_PER_SECOND", defaultValue: "20", help: "BatchProcessMedia calls per second across every replica on this database", isSecret: false),
        Key(name: "MPSHOOK_MPS_TIMEOUT", defaultValue: "20", help: "seconds an MPS API call may take; a call that times out after sending is ambiguous", isSecret: false),
        Key(name: "MPSHOOK_CLAIM_LEASE", defaultValue: "30",
            help: "seconds a step being submitted stays this process's without renewal (renewed every third of it while its call is in flight); a lapsed claim is recovered by any replica", isSecret: false),
        Key(name: "MPSHOOK_RECOVERY_INTERVAL", defaultValue: "5",
            help: "seconds between sweeps for steps left submitting by a stopped process: back to pending if never sent, else submit_unknown (never resent)", isSecret: false),
        Key(name: "MPSHOOK_APPLIER", defaultValue: "on", help: "apply stored notifications in this process (off: another process applies them)", isSecret: false),
        Key(name: "MPSHOOK_BENCH_BASELINES", defaultValue: "off",
            help: "benchmarks only: also mount NOTIFY_PATH/_baseline/discard (checks, stores nothing) and NOTIFY_PATH/_baseline/insert (one INSERT per request)", isSecret: false),
        Key(name: "MPSHOOK_MPS_ENDPOINT", defaultValue: "https://mps.tencentcloudapi.com",
            help: "MPS API endpoint: the China, international or a regional host, or the emulator's http://127.0.0.1:PORT", isSecret: false),
        Key(name: "TENCENTCLOUD_SECRET_ID", defaultValue: "(none)", help: "Tencent Cloud API key id that signs MPS calls", isSecret: false),
        Key(name: "TENCENTCLOUD_SECRET_KEY", defaultValue: "(none)", help: "Tencent Cloud API secret key (never logged)", isSecret: true),
        Key(name: "TENCENTCLOUD_SESSION_TOKEN", defaultValue: "(none)", help: "STS session token for temporary keys, sent as X-TC-Token (never logged)", isSecret: true),
        Key(name: "MPSHOOK_WEBHOOK_KEYS", defaultValue: "(none: no webhooks are sent)",
            help: "kid:whsec_base64-key[,kid:whsec_base64-key] (keys of 24+ bytes) signing the \"job finished\" webhooks the Standard Webhooks way; every key listed signs (rotation: add the new one, then drop the old)", isSecret: true),
        Key(name: "MPSHOOK_WEBHOOK_DEFAULT_URL", defaultValue: "(none)",
            help: "where a job without its own callbackUrl sends its \"job finished\" webhook (http or https)", isSecret: false),
        Key(name: "MPSHOOK_WEBHOOK_ALLOW", defaultValue: "(none)",
            help: "comma-separated CIDRs, addresses and host names webhooks may reach although they are private, loopback or link-local (refused otherwise)", isSecret: false),
        Key(name: "MPSHOOK_WEBHOOK_CONCURRENCY", defaultValue: "4",
            help: "webhook attempts in flight at once, on the deliverer's own thread pool", isSecret: false),
        Key(name: "MPSHOOK_WEBHOOK_TIMEOUT", defaultValue: "10", help: "seconds one webhook attempt may take", isSecret: false),
        Key(name: "MPSHOOK_WEBHOOK_MAX_ATTEMPTS", defaultValue: "12",
            help: "attempts per webhook delivery; after the last it is failed (mpshook deliveries redeliver ID)", isSecret: false),
        Key(name: "MPSHOOK_WEBHOOK_RETRY_BASE", defaultValue: "5",
            help: "seconds before the first retry; each next pause doubles (with jitter), up to MPSHOOK_WEBHOOK_RETRY_MAX", isSecret: false),
        Key(name: "MPSHOOK_WEBHOOK_RETRY_MAX", defaultValue: "3600", help: "longest pause between webhook attempts, in seconds", isSecret: false),
        Key(name: "MPSHOOK_RECONCILER", defaultValue: "true",
            help: "take part in the reconciler (one replica leads): polls DescribeBatchTaskDetail for steps whose callback has not come, marks steps lost (needs MPS credentials)", isSecret: false),
        Key(name: "MPSHOOK_RECONCILE_INTERVAL", defaultValue: "5", help: "seconds between the leader's looks for steps due for a poll or an expiry", isSecret: false),
        Key(name: "MPSHOOK_RECONCILE_BASE_DEADLINE", defaultValue: "1800",
            help: "seconds after its submission that a step without a final callback is first polled; later polls back off, doubling from it", isSecret: false),
        Key(name: "MPSHOOK_RECONCILE_PER_INPUT", defaultValue: "60", help: "seconds added to the first poll's deadline per input after the first (big batches take longer)", isSecret: false),
        Key(name: "MPSHOOK_RECONCILE_PROCESSING_STALE", defaultValue: "600",
            help: "seconds after a report that said PROCESSING when a silent step is polled, if that comes before the base deadline", isSecret: false),
        Key(name: "MPSHOOK_RECONCILE_MAX_POLL_INTERVAL", defaultValue: "3600", help: "longest pause between two polls of one step, in seconds", isSecret: false),
        Key(name: "MPSHOOK_RECONCILE_CALLS_PER_SECOND", defaultValue: "20",
            help: "DescribeBatchTaskDetail calls per second across every replica (MPS allows 20); a budget of its own, apart from BatchProcessMedia's", isSecret: false),
        Key(name: "MPSHOOK_RECONCILE_LEADER_CHECK_INTERVAL", defaultValue: "5",
            help: "seconds between the leader's checks of its lock and the others' tries to take it: a dead leader is replaced within about this long", isSecret: false),
        Key(name: "MPSHOOK_RECONCILE_SUBMIT_UNKNOWN_DEADLINE", defaultValue: "21600",
            help: "seconds a step with no TaskId to query (submit_unknown) waits for its callback before it becomes lost", isSecret: false),
        Key(name: "LOG_LEVEL", defaultValue: "info", help: "trace, debug, info, notice, warning, error or critical", isSecret: false),
        Key(name: "LOG_FORMAT", defaultValue: "json", help: "json (one object per line) or text", isSecret: false),
    ]

    public var database: PostgresConfiguration
    public var httpHost: String
    public var httpPort: Int
    public var migrationsDirectory: String?
    /// `MPSHOOK_WORKFLOWS_DIR`; nil: `./workflows` when it exists (``resolvedWorkflowsDirectory()``).
    public var workflowsDirectory: String?
    public var migrateOnStart: Bool
    public var readinessInterval: Duration
    public var shutdownTimeout: Duration
    public var logLevel: Logger.Level
    public var logFormat: LogFormat
    /// The callback door, applier and dispatcher settings; nil without `MPSHOOK_CALLBACK_KEYS`.
    public var callbacks: CallbackSettings?
    /// Where MPS calls go.
    public var mpsEndpoint: MPSEndpoint
    /// The keys that sign MPS calls; without them the dispatcher does not run.
    public var credentials: TencentCloudCredentials?
    /// Limits and batch sizes of the door, the applier and the dispatcher.
    public var tuning: Tuning
    /// The reconciler (`MPSHOOK_RECONCILER`, `MPSHOOK_RECONCILE_*`).
    public var reconciler: ReconcilerConfiguration
    /// The "job finished" webhooks (`MPSHOOK_WEBHOOK_*`); with no key, none is delivered.
    public var webhooks: WebhookConfiguration

    /// What job creation needs of the webhook settings: the allow list and the default URL.
    public var callbackPolicy: CallbackPolicy {
        CallbackPolicy(allowList: webhooks.allowList, defaultURL: webhooks.defaultURL)
    }

    /// Limits and batch sizes (all have working defaults; see `keys`).
    public struct Tuning: Sendable {
        public var notifyMaximumBody: Int
        public var notifyStoreTimeout: Duration
        public var notifySkewSeconds: Int
        public var forwardedForHeader: String
        public var intakeBatchSize: Int
        public var intakeLinger: Duration
        public var intakeWriters: Int
        /// Callbacks (and their bytes) queued for the group commit at most.
        public var intakeQueueLimit: Int
        public var intakeQueueBytes: Int
        public var applierBatchSize: Int
        /// Batches applied at once (each its own transaction).
        public var applierWorkers: Int
        public var dispatchConcurrency: Int
        public var mpsCallsPerSecond: Int
        public var mpsTimeout: Duration
        /// `MPSHOOK_CLAIM_LEASE` and `MPSHOOK_RECOVERY_INTERVAL` (continuous recovery).
        public var claimLease: Duration
        public var recoveryInterval: Duration
        /// Whether this process runs the applier.
        public var applierEnabled: Bool
        /// Benchmarks only: mount the baseline doors.
        public var benchmarkBaselines: Bool
    }

    /// Whether the REST API is served (`MPSHOOK_API`).
    public var servesAPI: Bool
    /// The change feed's retention and the event stream's settings (`MPSHOOK_EVENTS_RETENTION`).
    public var events: EventsConfiguration
    /// `MPSHOOK_EVENTS_MAX_STREAMS`.
    public var maximumEventStreams: Int

    /// Timeouts and the connection limit of the HTTP server.
    public var connections: ConnectionSettings

    /// `MPSHOOK_HTTP_*_TIMEOUT` and `MPSHOOK_HTTP_MAX_CONNECTIONS`.
    public struct ConnectionSettings: Sendable {
        public var idleTimeout: Duration
        public var headerTimeout: Duration
        public var bodyTimeout: Duration
        /// nil: derived from the descriptor limit (``ConnectionLimits/automaticMaximum(descriptorLimit:reserve:)``).
        public var maximumConnections: Int?
    }

    /// What the NotifyUrl door and the dispatcher need.
    public struct CallbackSettings: Sendable {
        public var publicBaseURL: String
        public var notifyPath: String
        public var tokens: CallbackTokens
        /// Secret.
        public var notifyKey: String?
    }

    /// How log lines are written.
    public enum LogFormat: String, Sendable {
        case json, text
    }

    /// Reads the configuration from `environment`, rejecting malformed values with the key's name.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) {
        func value(_ name: String) -> String? {
            guard let raw = environment[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }
        func seconds(_ name: String, _ fallback: Double, range: ClosedRange<Double>) throws(ConfigurationError) -> Duration {
            guard let raw = value(name) else { return .milliseconds(Int64(fallback * 1000)) }
            guard let number = Double(raw), range.contains(number) else {
                throw ConfigurationError(key: name, message: "expected seconds between \(range.lowerBound) and \(range.upperBound), got \"\(raw)\"")
            }
            return .milliseconds(Int64(number * 1000))
        }
        func integer(_ name: String, _ fallback: Int, range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
            guard let raw = value(name) else { return fallback }
            guard let number = Int(raw), range.contains(number) else {
                throw ConfigurationError(key: name, message: "expected an integer between \(range.lowerBound) and \(range.upperBound), got \"\(raw)\"")
            }
            return number
        }
        func boolean(_ name: String, _ fallback: Bool) throws(ConfigurationError) -> Bool {
            guard let raw = value(name)?.lowercased() else { return fallback }
            switch raw {
            case "1", "true", "yes", "on": return true
            case "0", "false", "no", "off": return false
            default: throw ConfigurationError(key: name, message: "expected true or false, got \"\(raw)\"")
            }
        }

        database = PostgresConfiguration(
            url: value("MPSHOOK_DATABASE_URL") ?? "postgresql://postgres@127.0.0.1:5432/mpshook",
            maximumConnections: try integer("MPSHOOK_DATABASE_POOL_SIZE", 10, range: 1...500),
            connectTimeout: try seconds("MPSHOOK_DATABASE_CONNECT_TIMEOUT", 5, range: 1...300),
            checkoutTimeout: try seconds("MPSHOOK_DATABASE_CHECKOUT_TIMEOUT", 5, range: 0.01...300),
            statementTimeout: try seconds("MPSHOOK_DATABASE_STATEMENT_TIMEOUT", 30, range: 0...86_400)
        )
        httpHost = value("MPSHOOK_HTTP_HOST") ?? "127.0.0.1"
        httpPort = try integer("MPSHOOK_HTTP_PORT", 8080, range: 0...65535)
        migrationsDirectory = value("MPSHOOK_MIGRATIONS_DIR")
        workflowsDirectory = value("MPSHOOK_WORKFLOWS_DIR")
        migrateOnStart = try boolean("MPSHOOK_MIGRATE_ON_START", false)
        readinessInterval = try seconds("MPSHOOK_READINESS_INTERVAL", 1, range: 0.05...60)
        shutdownTimeout = try seconds("MPSHOOK_SHUTDOWN_TIMEOUT", 30, range: 0...3600)
        let level = value("LOG_LEVEL")?.lowercased() ?? "info"
        guard let parsedLevel = Logger.Level(rawValue: level) else {
            throw ConfigurationError(key: "LOG_LEVEL", message: "expected one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(level)\"")
        }
        logLevel = parsedLevel
        let format = value("LOG_FORMAT")?.lowercased() ?? "json"
        guard let parsedFormat = LogFormat(rawValue: format) else {
            throw ConfigurationError(key: "LOG_FORMAT", message: "expected json or text, got \"\(format)\"")
        }
        logFormat = parsedFormat

        switch value("MPSHOOK_API")?.lowercased() ?? "on" {
        case "on": servesAPI = true
        case "off": servesAPI = false
        case let other: throw ConfigurationError(key: "MPSHOOK_API", message: "expected on or off, got \"\(other.prefix(40))\"")
        }
        events = EventsConfiguration(retention: .seconds(try integer("MPSHOOK_EVENTS_RETENTION", 86_400, range: 60...31_536_000)))
        maximumEventStreams = try integer("MPSHOOK_EVENTS_MAX_STREAMS", 256, range: 1...100_000)
        var maximumConnections: Int?
        if let raw = value("MPSHOOK_HTTP_MAX_CONNECTIONS"), raw.lowercased() != "auto" {
            maximumConnections = try integer("MPSHOOK_HTTP_MAX_CONNECTIONS", 0, range: 2...1_000_000)
        }
        connections = ConnectionSettings(
            idleTimeout: try seconds("MPSHOOK_HTTP_IDLE_TIMEOUT", 75, range: 0.1...86_400),
            headerTimeout: try seconds("MPSHOOK_HTTP_HEADER_TIMEOUT", 10, range: 0.1...3600),
            bodyTimeout: try seconds("MPSHOOK_HTTP_BODY_TIMEOUT", 30, range: 0.1...3600),
            maximumConnections: maximumConnections
        )

        let endpointText = value("MPSHOOK_MPS_ENDPOINT") ?? MPSEndpoint.china.url
        guard let endpoint = MPSEndpoint(endpointText) else {
            throw ConfigurationError(key: "MPSHOOK_MPS_ENDPOINT", message: "expected http(s)://host[:port], got \"\(endpointText)\"")
        }
        mpsEndpoint = endpoint
        credentials = TencentCloudCredentials.fromEnvironment(environment)
        tuning = Tuning(
            notifyMaximumBody: try integer("MPSHOOK_NOTIFY_MAX_BODY", 1 << 20, range: 1024...(64 << 20)),
            notifyStoreTimeout: try seconds("MPSHOOK_NOTIFY_STORE_TIMEOUT", 5, range: 0.01...120),
            notifySkewSeconds: try integer("MPSHOOK_NOTIFY_SKEW", 60, range: 0...86_400),
            forwardedForHeader: value("MPSHOOK_FORWARDED_FOR_HEADER")?.lowercased() ?? "x-forwarded-for",
            intakeBatchSize: try integer("MPSHOOK_INTAKE_BATCH_SIZE", 64, range: 1...4096),
            intakeLinger: .microseconds(try integer("MPSHOOK_INTAKE_LINGER_MS", 1, range: 0...1000) * 1000),
            intakeWriters: try integer("MPSHOOK_INTAKE_WRITERS", 2, range: 1...8),
            intakeQueueLimit: try integer("MPSHOOK_INTAKE_QUEUE_LIMIT", 4096, range: 1...1_000_000),
            intakeQueueBytes: try integer("MPSHOOK_INTAKE_QUEUE_BYTES", 64 << 20, range: 1024...(16 << 30)),
            applierBatchSize: try integer("MPSHOOK_APPLIER_BATCH_SIZE", 256, range: 1...10_000),
            applierWorkers: try integer("MPSHOOK_APPLIER_WORKERS", 2, range: 1...16),
            dispatchConcurrency: try integer("MPSHOOK_DISPATCH_CONCURRENCY", 8, range: 1...256),
            mpsCallsPerSecond: try integer("MPSHOOK_MPS_CALLS_PER_SECOND", 20, range: 1...1000),
            mpsTimeout: try seconds("MPSHOOK_MPS_TIMEOUT", 20, range: 1...600),
            claimLease: try seconds("MPSHOOK_CLAIM_LEASE", 30, range: 0.3...3600),
            recoveryInterval: try seconds("MPSHOOK_RECOVERY_INTERVAL", 5, range: 0.05...3600),
            applierEnabled: try boolean("MPSHOOK_APPLIER", true),
            benchmarkBaselines: try boolean("MPSHOOK_BENCH_BASELINES", false)
        )

        var webhookSecrets: [WebhookSecret] = []
        if let raw = value("MPSHOOK_WEBHOOK_KEYS") {
            switch WebhookSecret.parseList(raw) {
            case .success(let secrets): webhookSecrets = secrets
            case .failure(let error): throw ConfigurationError(key: "MPSHOOK_WEBHOOK_KEYS", message: error.description)
            }
        }
        var webhookDefault: CallbackURL?
        if let raw = value("MPSHOOK_WEBHOOK_DEFAULT_URL") {
            switch CallbackURL.parse(raw) {
            case .success(let url): webhookDefault = url
            case .failure(let problem): throw ConfigurationError(key: "MPSHOOK_WEBHOOK_DEFAULT_URL", message: problem.description)
            }
        }
        var webhookAllow = NetworkAllowList()
        if let raw = value("MPSHOOK_WEBHOOK_ALLOW") {
            switch NetworkAllowList.parse(raw) {
            case .success(let list): webhookAllow = list
            case .failure(let problem): throw ConfigurationError(key: "MPSHOOK_WEBHOOK_ALLOW", message: problem.description)
            }
        }
        let retryBase = try seconds("MPSHOOK_WEBHOOK_RETRY_BASE", 5, range: 0.01...86_400)
        let retryMaximum = try seconds("MPSHOOK_WEBHOOK_RETRY_MAX", 3600, range: 0.01...604_800)
        webhooks = WebhookConfiguration(
            secrets: webhookSecrets, defaultURL: webhookDefault, allowList: webhookAllow,
            concurrency: try integer("MPSHOOK_WEBHOOK_CONCURRENCY", 4, range: 1...256),
            timeout: try seconds("MPSHOOK_WEBHOOK_TIMEOUT", 10, range: 0.1...600),
            schedule: WebhookRetrySchedule(
                base: retryBase, maximumDelay: max(retryBase, retryMaximum),
                maximumAttempts: try integer("MPSHOOK_WEBHOOK_MAX_ATTEMPTS", 12, range: 1...100)
            )
        )

        reconciler = ReconcilerConfiguration(
            enabled: try boolean("MPSHOOK_RECONCILER", true),
            interval: try seconds("MPSHOOK_RECONCILE_INTERVAL", 5, range: 0.01...3600),
            policy: ReconcilePolicy(
                baseDeadline: try seconds("MPSHOOK_RECONCILE_BASE_DEADLINE", 1800, range: 0.01...604_800),
                perInput: try seconds("MPSHOOK_RECONCILE_PER_INPUT", 60, range: 0...86_400),
                processingStaleAfter: try seconds("MPSHOOK_RECONCILE_PROCESSING_STALE", 600, range: 0.01...604_800),
                maximumPollInterval: try seconds("MPSHOOK_RECONCILE_MAX_POLL_INTERVAL", 3600, range: 0.01...604_800),
                submitUnknownDeadline: try seconds("MPSHOOK_RECONCILE_SUBMIT_UNKNOWN_DEADLINE", 21_600, range: 0.01...604_800)
            ),
            callsPerSecond: try integer("MPSHOOK_RECONCILE_CALLS_PER_SECOND", 20, range: 1...1000),
            leaderCheckInterval: try seconds("MPSHOOK_RECONCILE_LEADER_CHECK_INTERVAL", 5, range: 0.01...600)
        )

        if let rawKeys = value("MPSHOOK_CALLBACK_KEYS") {
            var keys: [CallbackTokens.KeyId: [UInt8]] = [:]
            var order: [CallbackTokens.KeyId] = []
            for entry in rawKeys.split(separator: ",") {
                let parts = entry.split(separator: ":", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, let id = CallbackTokens.KeyId(parts[0]), let key = Base64URL.decode(parts[1]) else {
                    throw ConfigurationError(key: "MPSHOOK_CALLBACK_KEYS", message: "expected kid:base64url-key entries (kid: a-z, 0-9, -; 1–16 characters)")
                }
                keys[id] = key
                order.append(id)
            }
            var current = order.first
            if let chosen = value("MPSHOOK_CALLBACK_KEY_ID") {
                guard let id = CallbackTokens.KeyId(chosen), keys[id] != nil else {
                    throw ConfigurationError(key: "MPSHOOK_CALLBACK_KEY_ID", message: "no key with id \"\(chosen)\" in MPSHOOK_CALLBACK_KEYS")
                }
                current = id
            }
            let staticTokens = value("MPSHOOK_STATIC_CALLBACK_TOKENS")?.split(separator: ",").map {
                String($0).trimmingCharacters(in: .whitespaces)
            } ?? []
            guard let current else {
                throw ConfigurationError(key: "MPSHOOK_CALLBACK_KEYS", message: "holds no key")
            }
            let tokens: CallbackTokens
            do {
                tokens = try CallbackTokens(keys: keys, current: current, staticTokens: staticTokens)
            } catch {
                throw ConfigurationError(key: "MPSHOOK_CALLBACK_KEYS", message: error.description)
            }
            guard let base = value("MPSHOOK_PUBLIC_BASE_URL"), base.hasPrefix("http://") || base.hasPrefix("https://") else {
                throw ConfigurationError(key: "MPSHOOK_PUBLIC_BASE_URL", message: "required with MPSHOOK_CALLBACK_KEYS: the http(s) URL MPS reaches this service at")
            }
            let path = value("MPSHOOK_NOTIFY_PATH") ?? "/mps/notify"
            callbacks = CallbackSettings(
                publicBaseURL: base, notifyPath: path.hasPrefix("/") ? path : "/" + path,
                tokens: tokens, notifyKey: value("MPSHOOK_NOTIFY_KEY")
            )
        } else {
            callbacks = nil
        }
    }

    /// The folder of migration files: the configured one, or `./migrations`, or one beside or
    /// above the executable (so a build run from another folder still finds the repo's files).
    public func resolvedMigrationsDirectory() throws(ConfigurationError) -> String {
        if let migrationsDirectory { return migrationsDirectory }
        let fileManager = FileManager.default
        var candidates = [fileManager.currentDirectoryPath + "/migrations"]
        var folder = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(folder.appendingPathComponent("migrations").path)
            folder = folder.deletingLastPathComponent()
        }
        for candidate in candidates {
            var isDirectory: ObjCBool = false
            if fileManager.fileExists(atPath: candidate, isDirectory: &isDirectory), isDirectory.boolValue {
                return candidate
            }
        }
        throw ConfigurationError(
            key: "MPSHOOK_MIGRATIONS_DIR",
            message: "no migrations folder found in the working directory or beside the executable; set it"
        )
    }

    /// The folder of workflow definitions `serve` stores: the configured one (which must exist),
    /// else `./workflows` when it exists, else nil (no workflows are loaded). Unlike migrations,
    /// no folder is looked for beside the executable: definitions are the deployment's own.
    public func resolvedWorkflowsDirectory() throws(ConfigurationError) -> String? {
        var isDirectory: ObjCBool = false
        if let workflowsDirectory {
            guard FileManager.default.fileExists(atPath: workflowsDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ConfigurationError(key: "MPSHOOK_WORKFLOWS_DIR", message: "\(workflowsDirectory) is not a folder")
            }
            return workflowsDirectory
        }
        let candidate = FileManager.default.currentDirectoryPath + "/workflows"
        guard FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
        return candidate
    }

    /// The settings as safe `key=value` pairs for a startup log line.
    public var redactedSummary: Logger.Metadata {
        [
            "database.url": "\(database.redactedURL)",
            "database.pool_size": "\(database.maximumConnections)",
            "http.host": "\(httpHost)",
            "http.port": "\(httpPort)",
            "log.level": "\(logLevel)",
        ]
    }

    /// The `--help` text listing every variable.
    public static var environmentHelp: String {
        "Environment variables:\n" + keys.map { key in
            "  \(key.name) (default: \(key.defaultValue))\n      \(key.help)"
        }.joined(separator: "\n")
    }
}

/// A configuration value that cannot be used, naming the variable.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public var key: String
    public var message: String
    public var description: String { "\(key): \(message)" }
}
