import Correlation
import MPS
import Postgres
import StepDispatch
import Webhooks
import Workflows

// Each component reads its own settings from the shared `ConfigurationValues`, which keeps every
// problem (rather than the first), so `mpshook config check` names all of them at once.

extension PostgresConfiguration {
    /// Reads `MPSHOOK_DATABASE_URL` (secret; default `postgresql://postgres@127.0.0.1:5432/mpshook`),
    /// `MPSHOOK_DATABASE_POOL_SIZE` (1–500, default 10), `MPSHOOK_DATABASE_CONNECT_TIMEOUT` (seconds,
    /// 1–300, default 5), `MPSHOOK_DATABASE_CHECKOUT_TIMEOUT` (seconds, 0.01–300, default 5) and
    /// `MPSHOOK_DATABASE_STATEMENT_TIMEOUT` (seconds, 0–86400, default 30; 0: none).
    init(_ values: inout ConfigurationValues) {
        let keys = ConfigurationKeys.self
        self.init(
            url: values(keys.databaseURL),
            maximumConnections: values(keys.databasePoolSize),
            connectTimeout: values(keys.databaseConnectTimeout),
            checkoutTimeout: values(keys.databaseCheckoutTimeout),
            statementTimeout: values(keys.databaseStatementTimeout)
        )
    }
}

extension AppConfiguration.ConnectionSettings {
    /// Reads `MPSHOOK_HTTP_IDLE_TIMEOUT` (default 75 s), `MPSHOOK_HTTP_HEADER_TIMEOUT` (10 s),
    /// `MPSHOOK_HTTP_BODY_TIMEOUT` (30 s) and `MPSHOOK_HTTP_MAX_CONNECTIONS` (`auto` or 2–1000000).
    init(_ values: inout ConfigurationValues) {
        let keys = ConfigurationKeys.self
        self.init(
            idleTimeout: values(keys.httpIdleTimeout),
            headerTimeout: values(keys.httpHeaderTimeout),
            bodyTimeout: values(keys.httpBodyTimeout),
            maximumConnections: values(keys.httpMaxConnections)
        )
    }
}

extension AppConfiguration.Tuning {
    /// Reads `MPSHOOK_NOTIFY_MAX_BODY`, `MPSHOOK_NOTIFY_STORE_TIMEOUT`, `MPSHOOK_NOTIFY_SKEW`,
    /// `MPSHOOK_FORWARDED_FOR_HEADER`, `MPSHOOK_TRUSTED_PROXIES`, `MPSHOOK_INTAKE_BATCH_SIZE`, `MPSHOOK_INTAKE_LINGER_MS`,
    /// `MPSHOOK_INTAKE_WRITERS`, `MPSHOOK_INTAKE_QUEUE_LIMIT`, `MPSHOOK_INTAKE_QUEUE_BYTES`,
    /// `MPSHOOK_APPLIER_BATCH_SIZE`, `MPSHOOK_APPLIER_WORKERS`, `MPSHOOK_DISPATCH_CONCURRENCY`,
    /// `MPSHOOK_MPS_CALLS_PER_SECOND`, `MPSHOOK_MPS_TIMEOUT`, `MPSHOOK_CLAIM_LEASE`,
    /// `MPSHOOK_RECOVERY_INTERVAL`, `MPSHOOK_APPLIER` and `MPSHOOK_BENCH_BASELINES` (defaults and
    /// ranges in ``ConfigurationKeys``).
    init(_ values: inout ConfigurationValues) {
        let keys = ConfigurationKeys.self
        self.init(
            notifyMaximumBody: values(keys.notifyMaxBody),
            notifyStoreTimeout: values(keys.notifyStoreTimeout),
            notifySkewSeconds: values(keys.notifySkew),
            forwardedForHeader: values(keys.forwardedForHeader),
            trustedProxies: values(keys.trustedProxies),
            intakeBatchSize: values(keys.intakeBatchSize),
            intakeLinger: .milliseconds(values(keys.intakeLingerMilliseconds)),
            intakeWriters: values(keys.intakeWriters),
            intakeQueueLimit: values(keys.intakeQueueLimit),
            intakeQueueBytes: values(keys.intakeQueueBytes),
            applierBatchSize: values(keys.applierBatchSize),
            applierWorkers: values(keys.applierWorkers),
            dispatchConcurrency: values(keys.dispatchConcurrency),
            mpsCallsPerSecond: values(keys.mpsCallsPerSecond),
            mpsTimeout: values(keys.mpsTimeout),
            claimLease: values(keys.claimLease),
            recoveryInterval: values(keys.recoveryInterval),
            applierEnabled: values(keys.applier),
            benchmarkBaselines: values(keys.benchmarkBaselines)
        )
    }
}

extension TencentCloudCredentials {
    /// Reads `TENCENTCLOUD_SECRET_ID`, `TENCENTCLOUD_SECRET_KEY` (secret) and
    /// `TENCENTCLOUD_SESSION_TOKEN` (secret); nil unless the id and the key are both set.
    static func read(_ values: inout ConfigurationValues) -> TencentCloudCredentials? {
        let keys = ConfigurationKeys.self
        let id = values(keys.secretId), key = values(keys.secretKey), token = values(keys.sessionToken)
        guard let id, let key else { return nil }
        return TencentCloudCredentials(secretId: id, secretKey: key, sessionToken: token)
    }
}

extension WebhookConfiguration {
    /// Reads `MPSHOOK_WEBHOOK_KEYS` (secret; none: no webhook is sent), `MPSHOOK_WEBHOOK_DEFAULT_URL`,
    /// `MPSHOOK_WEBHOOK_ALLOW`, `MPSHOOK_WEBHOOK_CONCURRENCY` (default 4), `MPSHOOK_WEBHOOK_TIMEOUT`
    /// (10 s), `MPSHOOK_WEBHOOK_MAX_ATTEMPTS` (12), `MPSHOOK_WEBHOOK_RETRY_BASE` (5 s) and
    /// `MPSHOOK_WEBHOOK_RETRY_MAX` (3600 s; never below the base).
    init(_ values: inout ConfigurationValues) {
        let keys = ConfigurationKeys.self
        let retryBase = values(keys.webhookRetryBase)
        let retryMaximum = values(keys.webhookRetryMax)
        self.init(
            secrets: values(keys.webhookKeys), defaultURL: values(keys.webhookDefaultURL), allowList: values(keys.webhookAllow),
            concurrency: values(keys.webhookConcurrency),
            timeout: values(keys.webhookTimeout),
            schedule: WebhookRetrySchedule(
                base: retryBase, maximumDelay: max(retryBase, retryMaximum),
                maximumAttempts: values(keys.webhookMaxAttempts)
            )
        )
    }
}

extension ReconcilerConfiguration {
    /// Reads `MPSHOOK_RECONCILER` (default true), `MPSHOOK_RECONCILE_INTERVAL` (5 s),
    /// `MPSHOOK_RECONCILE_BASE_DEADLINE` (1800 s), `MPSHOOK_RECONCILE_PER_INPUT` (60 s),
    /// `MPSHOOK_RECONCILE_PROCESSING_STALE` (600 s), `MPSHOOK_RECONCILE_MAX_POLL_INTERVAL` (3600 s),
    /// `MPSHOOK_RECONCILE_SUBMIT_UNKNOWN_DEADLINE` (21600 s), `MPSHOOK_RECONCILE_CALLS_PER_SECOND`
    /// (20) and `MPSHOOK_RECONCILE_LEADER_CHECK_INTERVAL` (5 s).
    init(_ values: inout ConfigurationValues) {
        let keys = ConfigurationKeys.self
        self.init(
            enabled: values(keys.reconciler),
            interval: values(keys.reconcileInterval),
            policy: ReconcilePolicy(
                baseDeadline: values(keys.reconcileBaseDeadline),
                perInput: values(keys.reconcilePerInput),
                processingStaleAfter: values(keys.reconcileProcessingStale),
                maximumPollInterval: values(keys.reconcileMaxPollInterval),
                submitUnknownDeadline: values(keys.reconcileSubmitUnknownDeadline)
            ),
            callsPerSecond: values(keys.reconcileCallsPerSecond),
            leaderCheckInterval: values(keys.reconcileLeaderCheckInterval)
        )
    }
}

extension AppConfiguration.CallbackSettings {
    /// Reads `MPSHOOK_CALLBACK_KEYS` (secret; unset: no callback door, nil), `MPSHOOK_CALLBACK_KEY_ID`
    /// (default: the first key), `MPSHOOK_STATIC_CALLBACK_TOKENS` (secret), `MPSHOOK_NOTIFY_KEY`
    /// (secret), `MPSHOOK_PUBLIC_BASE_URL` (required with keys) and `MPSHOOK_NOTIFY_PATH`
    /// (default `/mps/notify`). Every one is read even without keys, so each is checked.
    static func read(_ values: inout ConfigurationValues) -> AppConfiguration.CallbackSettings? {
        let keys = ConfigurationKeys.self
        let keyList = values(keys.callbackKeys)
        let chosen = values(keys.callbackKeyId)
        let staticTokens = values(keys.staticCallbackTokens)
        let notifyKey = values(keys.notifyKey)
        let base = values(keys.publicBaseURL)
        let path = values(keys.notifyPath)
        guard let first = keyList.first else { return nil }

        let keyTable = Dictionary(keyList.map { ($0.id, $0.key) }, uniquingKeysWith: { _, last in last })
        var current = first.id
        if let chosen {
            guard keyTable[chosen] != nil else {
                values.report(keys.callbackKeyId.setting, "no key with id \"\(chosen)\" in MPSHOOK_CALLBACK_KEYS")
                return nil
            }
            current = chosen
        }
        let tokens: CallbackTokens
        do {
            tokens = try CallbackTokens(keys: keyTable, current: current, staticTokens: staticTokens)
        } catch {
            values.report(keys.callbackKeys.setting, error.description)
            return nil
        }
        guard let base else {
            values.report(keys.publicBaseURL.setting, "required with MPSHOOK_CALLBACK_KEYS: the http(s) URL MPS reaches this service at")
            return nil
        }
        return AppConfiguration.CallbackSettings(publicBaseURL: base, notifyPath: path, tokens: tokens, notifyKey: notifyKey)
    }
}
