import Synchronization

/// Lets one log line through per `interval` and counts the ones it held back, so a condition
/// that repeats per request (an outage answered 503 thousands of times a second) costs a line
/// every few seconds instead of one per request.
final class LogThrottle: Sendable {
    private struct Window {
        var next: ContinuousClock.Instant?
        var suppressed = 0
    }

    private let interval: Duration
    private let window = Mutex(Window())

    init(interval: Duration) {
        self.interval = interval
    }

    /// Nil when this line should be dropped; otherwise how many were dropped since the last
    /// line let through (to log with it).
    func admit(now: ContinuousClock.Instant = .now) -> Int? {
        window.withLock { window in
            if let next = window.next, now < next {
                window.suppressed += 1
                return nil
            }
            defer {
                window.next = now + interval
                window.suppressed = 0
            }
            return window.suppressed
        }
    }
}
