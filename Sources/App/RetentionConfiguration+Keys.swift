/// Retention's settings, declared as every other (``ConfigurationKeys``): environment variables
/// `MPSHOOK_RETENTION`, `MPSHOOK_RETENTION_AGE`, `MPSHOOK_RETENTION_ATTEMPTS_AGE`,
/// `MPSHOOK_RETENTION_BATCH_SIZE`, `MPSHOOK_RETENTION_INTERVAL` and `MPSHOOK_RETENTION_PAUSE`.
/// (`mpshook.retention` is a leaf, so the others are `retention…` beside it, not under it: a
/// YAML file cannot hold both a value and a map at one key.)
extension ConfigurationKeys {
    static let retention = ConfigurationKey.boolean(
        "mpshook.retention", default: false, shown: ("on", "off"),
        help: "prune old raw notifications on this replica (replicas take turns): the body and headers of an applied or unsupported "
            + "notification older than MPSHOOK_RETENTION_AGE whose job has ended are dropped, the row and what was parsed from it kept; "
            + "pending, failed and orphan ones, and everything of a running job, stay whole. Off by default: pruning cannot be undone"
    )
    static let retentionAge = ConfigurationKey<Duration>(
        "mpshook.retentionAge", default: .seconds(30 * 86_400), defaultText: "30d", rule: Self.ageRule,
        help: "how old a notification must be before retention prunes it (seconds, or a number with s, m, h or d)",
        parse: Self.age
    )
    static let retentionAttemptsAge = ConfigurationKey<Duration?>(
        "mpshook.retentionAttemptsAge", default: nil, defaultText: nil, unset: "kept", rule: Self.ageRule,
        help: "also delete MPS call records (attempts) started longer ago than this, not of a running job; they hold no raw payload, "
            + "and a deleted one leaves GET /v1/stats's call errors of its time. Unset: kept",
        parse: { raw in Self.age(raw).map { $0 } }
    )
    static let retentionBatchSize = ConfigurationKey.integer(
        "mpshook.retentionBatchSize", default: 1000, range: 1...100_000,
        help: "rows retention changes per statement, each batch its own short transaction"
    )
    static let retentionInterval = ConfigurationKey.seconds(
        "mpshook.retentionInterval", default: 600, range: 1...86_400, help: "seconds between two retention passes"
    )
    static let retentionPause = ConfigurationKey.seconds(
        "mpshook.retentionPause", default: 0.1, range: 0...60,
        help: "seconds retention waits between two batches, leaving the database to the door and the applier"
    )

    /// The retention settings, in the order `--help`, `config check` and env.example list them.
    static let retentionSettings: [ConfigurationSetting] = [
        retention.setting, retentionAge.setting, retentionAttemptsAge.setting, retentionBatchSize.setting, retentionInterval.setting,
        retentionPause.setting,
    ]

    private static let ageRule = "seconds, or a number with s, m, h or d (30d)"

    private static func age(_ raw: String) -> Result<Duration, ConfigurationKeyProblem> {
        guard let age = RetentionConfiguration.age(raw) else {
            return .failure(ConfigurationKeyProblem("expected seconds or a number with s, m, h or d (30d), got \"\(raw.prefix(40))\""))
        }
        return .success(age)
    }
}

extension RetentionConfiguration {
    /// Reads `MPSHOOK_RETENTION` (default off), `MPSHOOK_RETENTION_AGE` (30d),
    /// `MPSHOOK_RETENTION_ATTEMPTS_AGE` (unset: call records kept), `MPSHOOK_RETENTION_BATCH_SIZE`
    /// (1000), `MPSHOOK_RETENTION_INTERVAL` (600 s) and `MPSHOOK_RETENTION_PAUSE` (0.1 s).
    init(_ values: inout ConfigurationValues) {
        let keys = ConfigurationKeys.self
        self.init(
            enabled: values(keys.retention), age: values(keys.retentionAge), attemptsAge: values(keys.retentionAttemptsAge),
            batchSize: values(keys.retentionBatchSize), pause: values(keys.retentionPause), interval: values(keys.retentionInterval)
        )
    }
}
