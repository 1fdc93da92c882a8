import Synchronization

/// At most `limit` requests in any one-second window (a sliding log of admission times).
final class RateLimiter: Sendable {
    private let limit: Int
    private let window: Duration
    private let admitted = Mutex<[ContinuousClock.Instant]>([])

    init(limit: Int, window: Duration = .seconds(1)) {
        self.limit = limit
        self.window = window
    }

    /// True when the request fits in the window (and counts it); false when it is over the limit.
    func admit(now: ContinuousClock.Instant = .now) -> Bool {
        admitted.withLock { log in
            log.removeAll { now - $0 >= window }
            guard log.count < limit else { return false }
            log.append(now)
            return true
        }
    }
}
