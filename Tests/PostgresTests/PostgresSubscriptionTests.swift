import Synchronization
import Testing

@testable import Postgres

/// A subscription's wake-ups, without a database: a signal that merges, never a queue.
@Suite struct PostgresSubscriptionTests {
    @Test func aBurstOfWakeupsIsTakenAsOneThatNamesEveryChannel() async {
        let subscription = PostgresSubscription {}
        for index in 0..<10_000 {
            subscription.post(channels: [index.isMultiple(of: 2) ? "a" : "b"], recheck: index == 7)
        }
        let wakeup = await subscription.next(within: .seconds(30))
        #expect(wakeup == PostgresWakeup(channels: ["a", "b"], recheck: true))
        #expect(await subscription.next(within: .milliseconds(50)) == nil)
    }

    @Test func aWaitingConsumerIsWokenByThePostBeforeItsTimeout() async {
        let subscription = PostgresSubscription {}
        let started = ContinuousClock.now
        // Whether the post lands before the wait begins (kept pending) or during it (handed to
        // the waiter), the wake-up is taken, long before the timeout.
        async let wakeup = subscription.next(within: .seconds(30))
        subscription.post(channels: ["a"], recheck: false)
        #expect(await wakeup?.channels == ["a"])
        // Before the 30 s timeout (slack for the parallel pass: 16 s seen there under load).
        #expect(ContinuousClock.now - started < .seconds(25))
    }

    @Test func aCancelledWaitReturnsNilAndKeepsLaterWakeupsPending() async {
        let subscription = PostgresSubscription {}
        let waiting = Task { await subscription.next(within: .seconds(30)) }
        waiting.cancel()
        #expect(await waiting.value == nil)
        subscription.post(channels: ["a"], recheck: false)
        #expect(await subscription.next(within: .seconds(30))?.channels == ["a"])
    }

    @Test func afterTheListenerStopsANextWaitsOutItsTimeoutInsteadOfSpinning() async {
        let subscription = PostgresSubscription {}
        subscription.end()
        let started = ContinuousClock.now
        #expect(await subscription.next(within: .milliseconds(100)) == nil)
        #expect(ContinuousClock.now - started >= .milliseconds(100))
    }

    @Test func cancellingForgetsTheSubscriber() {
        let removed = Counter()
        let subscription = PostgresSubscription { removed.increment() }
        subscription.cancel()
        #expect(removed.value == 1)
    }
}

private final class Counter: Sendable {
    private let storage = Mutex(0)
    func increment() { storage.withLock { $0 += 1 } }
    var value: Int { storage.withLock { $0 } }
}
