public import Correlation
public import Foundation
import Hashing
public import API
public import Configuration
public import Logging
public import MPS
public import Postgres
public import StepDispatch
public import Webhooks
public import Workflows

/// Everything `mpshook` reads from its configuration: the environment, then an optional file
/// (``ConfigurationSources``), each setting declared once in ``ConfigurationKeys`` with its
/// default, rule, help and secret flag (listed by ``settings``).
///
/// Secrets (the database URL may carry a password) are never printed; ``redactedSummary``
/// shows what is safe to log.
public struct AppConfiguration: Sendable {
    /// Every setting `mpshook` reads, in the order `--help`, `config check` and env.example list them.
    public static var settings: [ConfigurationSetting] { ConfigurationKeys.all }

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
    /// Pruning of old raw notifications and call records (`MPSHOOK_RETENTION*`); off by default.
    public var retention: RetentionConfiguration

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
        /// `MPSHOOK_TRUSTED_PROXIES`: the peers whose forwarding header is believed.
        public var trustedProxies: TrustedProxies
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

    /// Reads the configuration from `environment` alone (no file): the convenience tests and
    /// tools use. Blank values count as unset.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) {
        try self.init(reader: ConfigurationSources(environment: environment).reader)
    }

    /// Reads every setting through `reader` (keys as in ``settings``), rejecting malformed values
    /// with every problem found, each naming its environment variable.
    public init(reader: ConfigReader) throws(ConfigurationError) {
        var values = ConfigurationValues(reader: reader)
        let keys = ConfigurationKeys.self
        database = PostgresConfiguration(&values)
        httpHost = values(keys.httpHost)
        httpPort = values(keys.httpPort)
        migrationsDirectory = values(keys.migrationsDirectory)
        workflowsDirectory = values(keys.workflowsDirectory)
        migrateOnStart = values(keys.migrateOnStart)
        readinessInterval = values(keys.readinessInterval)
        shutdownTimeout = values(keys.shutdownTimeout)
        logLevel = values(keys.logLevel)
        logFormat = values(keys.logFormat)
        servesAPI = values(keys.api)
        events = EventsConfiguration(retention: .seconds(values(keys.eventsRetention)))
        maximumEventStreams = values(keys.eventsMaxStreams)
        connections = ConnectionSettings(&values)
        mpsEndpoint = values(keys.mpsEndpoint)
        credentials = TencentCloudCredentials.read(&values)
        tuning = Tuning(&values)
        webhooks = WebhookConfiguration(&values)
        reconciler = ReconcilerConfiguration(&values)
        retention = RetentionConfiguration(&values)
        callbacks = CallbackSettings.read(&values)
        // Not a setting of the service, but read so that every declared key is (a test holds
        // the declarations and the reads to each other).
        _ = values(keys.configFile)
        try values.finish()
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
        "Environment variables (or, under their dotted keys, a YAML or JSON file named by MPSHOOK_CONFIG_FILE; "
            + "`mpshook config check` shows what applies):\n"
            + settings.map { setting in
                "  \(setting.environmentName) (default: \(setting.defaultDescription))\n      \(setting.help)"
            }.joined(separator: "\n")
    }
}
