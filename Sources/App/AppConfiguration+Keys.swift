import Correlation
import Foundation
import Hashing
import Logging
import MPS
import Webhooks
import Workflows

/// Every setting `mpshook` reads, declared once: key, default, rule, help, secret flag.
///
/// The environment variable of each is derived from its key (`mpshook.database.poolSize` is
/// `MPSHOOK_DATABASE_POOL_SIZE`); the names are the ones mpshook has always read. No key is both a
/// value and a prefix of another (`mpshook.applier` and `mpshook.applierBatchSize`, not
/// `mpshook.applier.batchSize`), so a YAML file can nest them all.
enum ConfigurationKeys {
    // MARK: Database

    static let databaseURL = ConfigurationKey.text(
        "mpshook.database.url", default: "postgresql://postgres@127.0.0.1:5432/mpshook", rule: "a postgresql:// URL or a conninfo string",
        help: "PostgreSQL URL or conninfo string (may hold a password; never logged)", secret: true
    )
    static let databasePoolSize = ConfigurationKey.integer(
        "mpshook.database.poolSize", default: 10, range: 1...500, help: "maximum pooled database connections"
    )
    static let databaseConnectTimeout = ConfigurationKey.seconds(
        "mpshook.database.connectTimeout", default: 5, range: 1...300, help: "seconds to open a database connection"
    )
    static let databaseCheckoutTimeout = ConfigurationKey.seconds(
        "mpshook.database.checkoutTimeout", default: 5, range: 0.01...300, help: "seconds to wait for a free pooled connection"
    )
    static let databaseStatementTimeout = ConfigurationKey.seconds(
        "mpshook.database.statementTimeout", default: 30, range: 0...86_400,
        help: "seconds a statement may run (server statement_timeout; an unanswered one is cancelled, then its connection dropped, "
            + "5 s later each); 0: no limit"
    )

    // MARK: HTTP server

    static let httpHost = ConfigurationKey.text(
        "mpshook.http.host", default: "127.0.0.1", rule: "an address", help: "address the HTTP server binds"
    )
    static let httpPort = ConfigurationKey.integer(
        "mpshook.http.port", default: 8080, range: 0...65535, help: "port the HTTP server binds (0 picks a free one)"
    )
    static let httpIdleTimeout = ConfigurationKey.seconds(
        "mpshook.http.idleTimeout", default: 75, range: 0.1...86_400,
        help: "seconds a keep-alive connection may wait for its next request (keep above the reverse proxy's upstream keep-alive timeout)"
    )
    static let httpHeaderTimeout = ConfigurationKey.seconds(
        "mpshook.http.headerTimeout", default: 10, range: 0.1...3600,
        help: "seconds a request head may take, from the connection's opening or its first byte after a response"
    )
    static let httpBodyTimeout = ConfigurationKey.seconds(
        "mpshook.http.bodyTimeout", default: 30, range: 0.1...3600, help: "seconds a request body may take after its head"
    )
    static let httpMaxConnections = ConfigurationKey<Int?>(
        "mpshook.http.maxConnections", default: nil, defaultText: "auto", rule: "auto or an integer from 2 to 1000000",
        help: "most HTTP connections open at once; the one reaching it closes the connection idle the longest. auto: the descriptor "
            + "limit less a reserve for the database pool, MPS calls and files, at most 16384"
    ) { raw in
        if raw.lowercased() == "auto" { return .success(nil) }
        guard let number = Int(raw), (2...1_000_000).contains(number) else {
            return .failure(ConfigurationKeyProblem("expected auto or an integer between 2 and 1000000, got \"\(raw)\""))
        }
        return .success(number)
    }

    // MARK: REST API and events

    static let api = ConfigurationKey<Bool>(
        "mpshook.api", default: true, defaultText: "on", rule: "on or off",
        help: "on: serve the REST API under /v1 (every request needs an API key: `mpshook keys create`) and its spec at /openapi.yaml; "
            + "off: not mounted (the NotifyUrl door, /healthz, /readyz and /metrics are served either way)"
    ) { raw in
        switch raw.lowercased() {
        case "on": return .success(true)
        case "off": return .success(false)
        case let other: return .failure(ConfigurationKeyProblem("expected on or off, got \"\(other.prefix(40))\""))
        }
    }
    static let eventsRetention = ConfigurationKey.integer(
        "mpshook.events.retention", default: 86_400, range: 60...31_536_000,
        help: "seconds the change feed behind GET /v1/events is kept for clients resuming with Last-Event-ID (older changes are pruned; "
            + "a client resuming before them is told it missed some); at least 60"
    )
    static let eventsMaxStreams = ConfigurationKey.integer(
        "mpshook.events.maxStreams", default: 256, range: 1...100_000,
        help: "most GET /v1/events streams open at once per process; past it a new stream gets 503 (streams are long-lived connections "
            + "the NotifyUrl door also needs)"
    )

    // MARK: Start and stop

    static let migrationsDirectory = ConfigurationKey.optionalText(
        "mpshook.migrationsDir", unset: "auto", rule: "a folder",
        help: "folder of NNNN_name.sql files; default: ./migrations, else one found beside or above the executable"
    )
    static let workflowsDirectory = ConfigurationKey.optionalText(
        "mpshook.workflowsDir", unset: "auto", rule: "a folder",
        help: "folder of workflow definitions (*.yaml, *.yml, *.json), checked and stored when `serve` starts (any problem refuses the "
            + "start); default: ./workflows when it exists, else none"
    )
    static let migrateOnStart = ConfigurationKey.boolean(
        "mpshook.migrateOnStart", default: false, help: "let `serve` apply pending migrations (same as --migrate)"
    )
    static let readinessInterval = ConfigurationKey.seconds(
        "mpshook.readinessInterval", default: 1, range: 0.05...60, help: "seconds between database readiness checks"
    )
    static let shutdownTimeout = ConfigurationKey.seconds(
        "mpshook.shutdownTimeout", default: 30, range: 0...3600, help: "seconds in-flight work may take after SIGTERM/SIGINT"
    )

    // MARK: The NotifyUrl door

    static let publicBaseURL = ConfigurationKey<String?>(
        "mpshook.publicBaseUrl", default: nil, defaultText: nil, rule: "an http(s) URL",
        help: "the URL MPS reaches this service at (the reverse proxy), e.g. https://hooks.example.com; needed with callback keys"
    ) { raw in
        guard raw.hasPrefix("http://") || raw.hasPrefix("https://") else {
            return .failure(ConfigurationKeyProblem("expected an http(s) URL, got \"\(raw.prefix(200))\""))
        }
        return .success(raw)
    }
    static let notifyPath = ConfigurationKey<String>(
        "mpshook.notify.path", default: "/mps/notify", defaultText: "/mps/notify", rule: "a path",
        help: "the path MPS callbacks are POSTed to"
    ) { raw in .success(raw.hasPrefix("/") ? raw : "/" + raw) }
    static let callbackKeys = ConfigurationKey<[(id: CallbackTokens.KeyId, key: [UInt8])]>(
        "mpshook.callback.keys", default: [], defaultText: nil, unset: "none: no callback door", rule: "kid:base64url-key[,kid:base64url-key]",
        help: "kid:base64url-key[,kid:base64url-key] (keys of 32+ bytes) deriving each step's NotifyUrl token; two for rotation", secret: true
    ) { raw in
        var keys: [(id: CallbackTokens.KeyId, key: [UInt8])] = []
        for entry in raw.split(separator: ",") {
            let parts = entry.split(separator: ":", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let id = CallbackTokens.KeyId(parts[0]), let key = Base64URL.decode(parts[1]) else {
                return .failure(ConfigurationKeyProblem("expected kid:base64url-key entries (kid: a-z, 0-9, -; 1–16 characters)"))
            }
            keys.append((id, key))
        }
        guard !keys.isEmpty else { return .failure(ConfigurationKeyProblem("holds no key")) }
        return .success(keys)
    }
    static let callbackKeyId = ConfigurationKey<CallbackTokens.KeyId?>(
        "mpshook.callback.keyId", default: nil, defaultText: nil, unset: "the first key", rule: "a key id of MPSHOOK_CALLBACK_KEYS",
        help: "the key id new steps' tokens use"
    ) { raw in
        guard let id = CallbackTokens.KeyId(raw) else {
            return .failure(ConfigurationKeyProblem("expected a key id (a-z, 0-9, -; 1–16 characters), got \"\(raw.prefix(40))\""))
        }
        return .success(id)
    }
    static let staticCallbackTokens = ConfigurationKey<[String]>(
        "mpshook.staticCallbackTokens", default: [], defaultText: nil, rule: "token[,token]",
        help: "comma-separated extra tokens (32+ characters) accepted for tasks created outside mpshook", secret: true
    ) { raw in .success(raw.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }) }
    static let notifyKey = ConfigurationKey.optionalText(
        "mpshook.notify.key", help: "sent as TaskNotifyConfig.NotifyKey; callbacks must then carry a valid Sign and be unexpired", secret: true
    )
    static let notifyMaxBody = ConfigurationKey.integer(
        "mpshook.notify.maxBody", default: 1 << 20, range: 1024...(64 << 20), help: "largest callback body in bytes; larger ones get 413"
    )
    static let notifyStoreTimeout = ConfigurationKey.seconds(
        "mpshook.notify.storeTimeout", default: 5, range: 0.01...120, help: "seconds a callback waits for its commit before it is answered 503"
    )
    static let notifySkew = ConfigurationKey.integer(
        "mpshook.notify.skew", default: 60, range: 0...86_400, help: "seconds past its Timestamp a signed callback is still accepted"
    )
    static let forwardedForHeader = ConfigurationKey<String>(
        "mpshook.forwardedForHeader", default: "x-forwarded-for", defaultText: "x-forwarded-for", rule: "a header name",
        help: "the header the trusted reverse proxy puts the caller's address in"
    ) { raw in .success(raw.lowercased()) }
    static let trustedProxies = ConfigurationKey<TrustedProxies>(
        "mpshook.trustedProxies", default: .none, defaultText: nil, unset: "none: no forwarding header is believed",
        rule: "IP addresses and CIDR networks, comma-separated",
        help: "the reverse proxies (e.g. 127.0.0.1, 10.0.0.0/8) whose forwarding header is believed; "
            + "from any other peer the header is ignored and the peer's address is recorded"
    ) { raw in
        do {
            return .success(try TrustedProxies(parsing: raw))
        } catch {
            return .failure(ConfigurationKeyProblem("\(error)"))
        }
    }

    // MARK: Intake, applier, dispatcher

    static let intakeBatchSize = ConfigurationKey.integer(
        "mpshook.intake.batchSize", default: 64, range: 1...4096, help: "most callbacks stored in one group commit"
    )
    static let intakeWriters = ConfigurationKey.integer(
        "mpshook.intake.writers", default: 2, range: 1...8, help: "group commits in flight at once (the second fills while the first commits)"
    )
    static let intakeQueueLimit = ConfigurationKey.integer(
        "mpshook.intake.queueLimit", default: 4096, range: 1...1_000_000,
        help: "callbacks waiting for a group commit at most; past it they get 503 at once"
    )
    static let intakeQueueBytes = ConfigurationKey.integer(
        "mpshook.intake.queueBytes", default: 64 << 20, range: 1024...(16 << 30),
        help: "bytes of callbacks waiting for a group commit at most; past it they get 503 at once"
    )
    static let intakeLingerMilliseconds = ConfigurationKey.integer(
        "mpshook.intake.lingerMs", default: 1, range: 0...1000,
        help: "milliseconds a group commit waits after its oldest callback for others to join"
    )
    static let applierBatchSize = ConfigurationKey.integer(
        "mpshook.applierBatchSize", default: 256, range: 1...10_000, help: "most stored notifications applied in one transaction"
    )
    static let applierWorkers = ConfigurationKey.integer(
        "mpshook.applierWorkers", default: 2, range: 1...16, help: "notification batches applied at once by this process"
    )
    static let dispatchConcurrency = ConfigurationKey.integer(
        "mpshook.dispatch.concurrency", default: 8, range: 1...256, help: "BatchProcessMedia calls in flight at once from this process"
    )
    static let mpsCallsPerSecond = ConfigurationKey.integer(
        "mpshook.mps.callsPerSecond", default: 20, range: 1...1000,
        help: "BatchProcessMedia calls per second across every replica on this database"
    )
    static let mpsTimeout = ConfigurationKey.seconds(
        "mpshook.mps.timeout", default: 20, range: 1...600,
        help: "seconds an MPS API call may take; a call that times out after sending is ambiguous"
    )
    static let claimLease = ConfigurationKey.seconds(
        "mpshook.claimLease", default: 30, range: 0.3...3600,
        help: "seconds a step being submitted stays this process's without renewal (renewed every third of it while its call is in "
            + "flight); a lapsed claim is recovered by any replica"
    )
    static let recoveryInterval = ConfigurationKey.seconds(
        "mpshook.recoveryInterval", default: 5, range: 0.05...3600,
        help: "seconds between sweeps for steps left submitting by a stopped process: back to pending if never sent, else submit_unknown "
            + "(never resent)"
    )
    static let applier = ConfigurationKey.boolean(
        "mpshook.applier", default: true, shown: ("on", "off"),
        help: "apply stored notifications in this process (off: another process applies them)"
    )
    static let benchmarkBaselines = ConfigurationKey.boolean(
        "mpshook.bench.baselines", default: false, shown: ("on", "off"),
        help: "benchmarks only: also mount NOTIFY_PATH/_baseline/discard (checks, stores nothing) and NOTIFY_PATH/_baseline/insert "
            + "(one INSERT per request)"
    )

    // MARK: MPS

    static let mpsEndpoint = ConfigurationKey<MPSEndpoint>(
        "mpshook.mps.endpoint", default: .china, defaultText: "https://mps.tencentcloudapi.com", rule: "http(s)://host[:port]",
        help: "MPS API endpoint: the China, international or a regional host, or the emulator's http://127.0.0.1:PORT"
    ) { raw in
        guard let endpoint = MPSEndpoint(raw) else {
            return .failure(ConfigurationKeyProblem("expected http(s)://host[:port], got \"\(raw.prefix(200))\""))
        }
        return .success(endpoint)
    }
    static let secretId = ConfigurationKey.optionalText(
        "tencentcloud.secretId", help: "Tencent Cloud API key id that signs MPS calls"
    )
    static let secretKey = ConfigurationKey.optionalText(
        "tencentcloud.secretKey", help: "Tencent Cloud API secret key (never logged)", secret: true
    )
    static let sessionToken = ConfigurationKey.optionalText(
        "tencentcloud.sessionToken", help: "STS session token for temporary keys, sent as X-TC-Token (never logged)", secret: true
    )

    // MARK: "Job finished" webhooks

    static let webhookKeys = ConfigurationKey<[WebhookSecret]>(
        "mpshook.webhook.keys", default: [], defaultText: nil, unset: "none: no webhooks are sent", rule: "kid:whsec_base64-key[,…]",
        help: "kid:whsec_base64-key[,kid:whsec_base64-key] (keys of 24+ bytes) signing the \"job finished\" webhooks the Standard "
            + "Webhooks way; every key listed signs (rotation: add the new one, then drop the old)", secret: true
    ) { raw in WebhookSecret.parseList(raw).mapError { ConfigurationKeyProblem($0.description) } }
    static let webhookDefaultURL = ConfigurationKey<CallbackURL?>(
        "mpshook.webhook.defaultUrl", default: nil, defaultText: nil, rule: "an http(s) URL",
        help: "where a job without its own callbackUrl sends its \"job finished\" webhook (http or https)"
    ) { raw in CallbackURL.parse(raw).map { $0 }.mapError { ConfigurationKeyProblem($0.description) } }
    static let webhookAllow = ConfigurationKey<NetworkAllowList>(
        "mpshook.webhook.allow", default: NetworkAllowList(), defaultText: nil, rule: "CIDR, address or host[,…]",
        help: "comma-separated CIDRs, addresses and host names webhooks may reach although they are private, loopback or link-local "
            + "(refused otherwise)"
    ) { raw in NetworkAllowList.parse(raw).mapError { ConfigurationKeyProblem($0.description) } }
    static let webhookConcurrency = ConfigurationKey.integer(
        "mpshook.webhook.concurrency", default: 4, range: 1...256,
        help: "webhook attempts in flight at once, on the deliverer's own thread pool"
    )
    static let webhookTimeout = ConfigurationKey.seconds(
        "mpshook.webhook.timeout", default: 10, range: 0.1...600, help: "seconds one webhook attempt may take"
    )
    static let webhookMaxAttempts = ConfigurationKey.integer(
        "mpshook.webhook.maxAttempts", default: 12, range: 1...100,
        help: "attempts per webhook delivery; after the last it is failed (mpshook deliveries redeliver ID)"
    )
    static let webhookRetryBase = ConfigurationKey.seconds(
        "mpshook.webhook.retryBase", default: 5, range: 0.01...86_400,
        help: "seconds before the first retry; each next pause doubles (with jitter), up to MPSHOOK_WEBHOOK_RETRY_MAX"
    )
    static let webhookRetryMax = ConfigurationKey.seconds(
        "mpshook.webhook.retryMax", default: 3600, range: 0.01...604_800, help: "longest pause between webhook attempts, in seconds"
    )

    // MARK: Reconciler

    static let reconciler = ConfigurationKey.boolean(
        "mpshook.reconciler", default: true, shown: ("on", "off"),
        help: "take part in the reconciler (one replica leads): polls DescribeBatchTaskDetail for steps whose callback has not come, "
            + "marks steps lost (needs MPS credentials)"
    )
    static let reconcileInterval = ConfigurationKey.seconds(
        "mpshook.reconcile.interval", default: 5, range: 0.01...3600,
        help: "seconds between the leader's looks for steps due for a poll or an expiry"
    )
    static let reconcileBaseDeadline = ConfigurationKey.seconds(
        "mpshook.reconcile.baseDeadline", default: 1800, range: 0.01...604_800,
        help: "seconds after its submission that a step without a final callback is first polled; later polls back off, doubling from it"
    )
    static let reconcilePerInput = ConfigurationKey.seconds(
        "mpshook.reconcile.perInput", default: 60, range: 0...86_400,
        help: "seconds added to the first poll's deadline per input after the first (big batches take longer)"
    )
    static let reconcileProcessingStale = ConfigurationKey.seconds(
        "mpshook.reconcile.processingStale", default: 600, range: 0.01...604_800,
        help: "seconds after a report that said PROCESSING when a silent step is polled, if that comes before the base deadline"
    )
    static let reconcileMaxPollInterval = ConfigurationKey.seconds(
        "mpshook.reconcile.maxPollInterval", default: 3600, range: 0.01...604_800,
        help: "longest pause between two polls of one step, in seconds"
    )
    static let reconcileCallsPerSecond = ConfigurationKey.integer(
        "mpshook.reconcile.callsPerSecond", default: 20, range: 1...1000,
        help: "DescribeBatchTaskDetail calls per second across every replica (MPS allows 20); a budget of its own, apart from "
            + "BatchProcessMedia's"
    )
    static let reconcileLeaderCheckInterval = ConfigurationKey.seconds(
        "mpshook.reconcile.leaderCheckInterval", default: 5, range: 0.01...600,
        help: "seconds between the leader's checks of its lock and the others' tries to take it: a dead leader is replaced within about "
            + "this long"
    )
    static let reconcileSubmitUnknownDeadline = ConfigurationKey.seconds(
        "mpshook.reconcile.submitUnknownDeadline", default: 21_600, range: 0.01...604_800,
        help: "seconds a step with no TaskId to query (submit_unknown) waits for its callback before it becomes lost"
    )

    // MARK: Logging

    static let logLevel = ConfigurationKey<Logger.Level>(
        "log.level", default: .info, defaultText: "info", rule: "trace, debug, info, notice, warning, error or critical",
        help: "trace, debug, info, notice, warning, error or critical"
    ) { raw in
        guard let level = Logger.Level(rawValue: raw.lowercased()) else {
            let levels = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            return .failure(ConfigurationKeyProblem("expected one of \(levels), got \"\(raw.lowercased().prefix(40))\""))
        }
        return .success(level)
    }
    static let logFormat = ConfigurationKey<AppConfiguration.LogFormat>(
        "log.format", default: .json, defaultText: "json", rule: "json or text", help: "json (one object per line) or text"
    ) { raw in
        guard let format = AppConfiguration.LogFormat(rawValue: raw.lowercased()) else {
            return .failure(ConfigurationKeyProblem("expected json or text, got \"\(raw.lowercased().prefix(40))\""))
        }
        return .success(format)
    }

    // MARK: The configuration file

    /// Read from the environment only (a file cannot name itself).
    static let configFile = ConfigurationKey.optionalText(
        "mpshook.configFile", rule: "a file path",
        help: "a YAML or JSON file (*.yaml, *.yml, *.json) of settings under their dotted keys (mpshook.database.poolSize; see "
            + "`mpshook config keys --dotted`), or any other name: an environment file of these variables; the environment wins over "
            + "it (`mpshook config check` shows which applied)"
    )

    /// Every setting, in the order `--help`, `config check` and env.example list them.
    static let all: [ConfigurationSetting] = [
        databaseURL.setting, databasePoolSize.setting, databaseConnectTimeout.setting, databaseCheckoutTimeout.setting,
        databaseStatementTimeout.setting,
        httpHost.setting, httpPort.setting, httpIdleTimeout.setting, httpHeaderTimeout.setting, httpBodyTimeout.setting,
        httpMaxConnections.setting,
        api.setting, eventsRetention.setting, eventsMaxStreams.setting,
        migrationsDirectory.setting, workflowsDirectory.setting, migrateOnStart.setting, readinessInterval.setting, shutdownTimeout.setting,
        publicBaseURL.setting, notifyPath.setting, callbackKeys.setting, callbackKeyId.setting, staticCallbackTokens.setting,
        notifyKey.setting, notifyMaxBody.setting, notifyStoreTimeout.setting, notifySkew.setting, forwardedForHeader.setting, trustedProxies.setting,
        intakeBatchSize.setting, intakeWriters.setting, intakeQueueLimit.setting, intakeQueueBytes.setting,
        intakeLingerMilliseconds.setting, applierBatchSize.setting, applierWorkers.setting, dispatchConcurrency.setting,
        mpsCallsPerSecond.setting, mpsTimeout.setting, claimLease.setting, recoveryInterval.setting, applier.setting,
        benchmarkBaselines.setting,
        mpsEndpoint.setting, secretId.setting, secretKey.setting, sessionToken.setting,
        webhookKeys.setting, webhookDefaultURL.setting, webhookAllow.setting, webhookConcurrency.setting, webhookTimeout.setting,
        webhookMaxAttempts.setting, webhookRetryBase.setting, webhookRetryMax.setting,
        reconciler.setting, reconcileInterval.setting, reconcileBaseDeadline.setting, reconcilePerInput.setting,
        reconcileProcessingStale.setting, reconcileMaxPollInterval.setting, reconcileCallsPerSecond.setting,
        reconcileLeaderCheckInterval.setting, reconcileSubmitUnknownDeadline.setting,
    ] + retentionSettings + [
        logLevel.setting, logFormat.setting,
        configFile.setting,
    ]
}
