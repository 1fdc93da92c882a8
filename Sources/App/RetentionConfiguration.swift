/// What retention prunes and how often (`MPSHOOK_RETENTION*`). Off unless turned on: pruning
/// cannot be undone, so an upgrade never starts dropping a month of raw bodies by itself.
public struct RetentionConfiguration: Sendable, Equatable {
    /// Whether this replica prunes (`MPSHOOK_RETENTION`); every replica may, one at a time.
    public var enabled: Bool
    /// Notifications received longer ago than this lose their raw body and headers
    /// (`MPSHOOK_RETENTION_AGE`), unless their job still runs or they still need them.
    public var age: Duration
    /// MPS call records (`attempts`) started longer ago than this are deleted
    /// (`MPSHOOK_RETENTION_ATTEMPTS_AGE`); nil keeps them. Off by default: a call record holds no
    /// raw payload, only what was parsed (about a hundred bytes), and deleting it removes its
    /// call error from `GET /v1/stats` for the window it fell in.
    public var attemptsAge: Duration?
    /// Rows per statement (`MPSHOOK_RETENTION_BATCH_SIZE`): each batch is its own short transaction.
    public var batchSize: Int
    /// The wait between two batches, so the door and the applier get the database in between.
    public var pause: Duration
    /// How often a pass starts (`MPSHOOK_RETENTION_INTERVAL`).
    public var interval: Duration

    public init(
        enabled: Bool = false, age: Duration = .seconds(30 * 86_400), attemptsAge: Duration? = nil, batchSize: Int = 1000,
        pause: Duration = .milliseconds(100), interval: Duration = .seconds(600)
    ) {
        self.enabled = enabled
        self.age = max(.zero, age)
        self.attemptsAge = attemptsAge.map { max(.zero, $0) }
        self.batchSize = min(max(1, batchSize), 100_000)
        self.pause = max(.zero, pause)
        self.interval = max(.milliseconds(10), interval)
    }

    /// An age as written in settings and on the command line: a whole number of seconds, or of
    /// minutes, hours or days (`90s`, `45m`, `12h`, `30d`), from 0 up to 100 years. nil for
    /// anything else.
    public static func age(_ text: String) -> Duration? {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var digits = Substring(text)
        var unit: Int64 = 1
        if let last = text.last, let seconds = units[last] {
            digits = digits.dropLast()
            unit = seconds
        }
        guard !digits.isEmpty, digits.count <= 12, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int64(digits) else {
            return nil
        }
        let (seconds, overflow) = number.multipliedReportingOverflow(by: unit)
        guard !overflow, seconds <= 100 * 366 * 86_400 else { return nil }
        return .seconds(seconds)
    }
}
