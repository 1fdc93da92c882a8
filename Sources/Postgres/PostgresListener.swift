public import Logging
public import ServiceLifecycle
import Synchronization

/// The one `LISTEN` session of a process, shared by everything in it that waits for a `NOTIFY`.
///
/// A single dedicated connection (outside the pool, with one waiting thread) listens on the union
/// of the channels its subscribers want, however many subscribers there are; each notification
/// wakes every subscriber of its channel. A wake-up is a signal, not a message: a subscriber's
/// pending wake-ups are merged into one (``PostgresWakeup``), so a slow subscriber costs no
/// memory however many notifications arrive.
///
/// When the session is lost (a server restart, `pg_terminate_backend`, a network failure) the
/// listener reconnects with a growing pause, listens again and then wakes every subscriber with
/// ``PostgresWakeup/recheck`` set: notifications sent in between are gone, so each re-checks the
/// state it waits on. A subscriber gets the same `recheck` wake-up once its channels are first
/// listened to: from then on, until the next `recheck`, no notification on them is missed.
///
/// Run it as a `Service`, listed before the services that subscribe, so it stops after them.
/// Stopped (or never started), it wakes nobody, and subscribers fall back on their own timeouts.
public final class PostgresListener: Service, Sendable {
    private let configuration: PostgresConfiguration
    private let threads: ConnectionThreads
    private let logger: Logger
    private let pollInterval: Duration
    private let state = Mutex(Registry())

    private struct Registry {
        var subscribers: [Int: Subscriber] = [:]
        var nextId = 0
        /// The channels the current session listens on (empty while disconnected).
        var listening: Set<String> = []
        var backendPID: Int32?
        var stopped = false
    }

    private struct Subscriber {
        let channels: Set<String>
        let subscription: PostgresSubscription
        /// True once the current session listens on all its channels and it was told so.
        var live = false
    }

    /// - Parameters:
    ///   - client: whose URL and threads the dedicated session uses (not its pool).
    ///   - pollInterval: how long the waiting thread blocks at a time; a channel subscribed to
    ///     while it waits is listened to within this (and a shutdown is noticed within it).
    public init(client: PostgresClient, pollInterval: Duration = .milliseconds(200), logger: Logger) {
        var configuration = client.configuration
        configuration.applicationName = client.configuration.applicationName + ".listener"
        self.configuration = configuration
        self.threads = client.threads
        self.pollInterval = max(.milliseconds(10), pollInterval)
        self.logger = logger
    }

    /// Subscribes to `channels`. The subscription is woken with `recheck` once they are listened
    /// to, then on every `NOTIFY` on one of them. Cancel it when done.
    public func subscribe(_ channels: [String]) -> PostgresSubscription {
        state.withLock { registry in
            registry.nextId += 1
            let id = registry.nextId
            let subscription = PostgresSubscription { [weak self] in self?.unsubscribe(id) }
            if registry.stopped { subscription.end() }
            var subscriber = Subscriber(channels: Set(channels), subscription: subscription)
            // Already listened to: live at once (a wake-up now is harmless, a missed one is not).
            if registry.backendPID != nil, subscriber.channels.isSubset(of: registry.listening) {
                subscriber.live = true
                subscription.post(channels: [], recheck: true)
            }
            registry.subscribers[id] = subscriber
            return subscription
        }
    }

    /// The server process of the listening session while there is one (for logs and tests).
    public var backendPID: Int32? { state.withLock { $0.backendPID } }

    /// Subscriptions open now.
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    private func unsubscribe(_ id: Int) {
        _ = state.withLock { $0.subscribers.removeValue(forKey: id) }
    }

    // MARK: Service

    /// Listens until graceful shutdown (or cancellation), reconnecting whenever the session is lost.
    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.session() }
        let ended = state.withLock { registry -> [PostgresSubscription] in
            registry.stopped = true
            registry.listening = []
            registry.backendPID = nil
            return registry.subscribers.values.map(\.subscription)
        }
        for subscription in ended { subscription.end() }
    }

    private func session() async {
        var pause = Duration.milliseconds(100)
        var failures = 0
        while !Task.isCancelled {
            var began: ContinuousClock.Instant?
            do {
                let connection = try await PostgresConnection.connect(configuration, threads: threads)
                if failures > 0 {
                    logger.info("listening session re-established", metadata: ["postgres.pid": "\(connection.backendPID)"])
                }
                began = .now
                try await listen(on: connection)
            } catch {
                // A session that lasted starts the pauses over; one lost at once (a server
                // ending every new session) keeps them growing.
                if let began, ContinuousClock.now - began > .seconds(10) {
                    failures = 0
                    pause = .milliseconds(100)
                }
                if Task.isCancelled { break }
                failures += 1
                // The first failure is news; the retries after it are not.
                let metadata: Logger.Metadata = ["error": "\(error)", "retry.in_ms": "\(pause.milliseconds)"]
                if failures == 1 {
                    logger.warning("the listening session failed; reconnecting (subscribers poll meanwhile)", metadata: metadata)
                } else {
                    logger.debug("the listening session still cannot be opened", metadata: metadata)
                }
            }
            state.withLock { registry in
                registry.listening = []
                registry.backendPID = nil
                for id in registry.subscribers.keys { registry.subscribers[id]?.live = false }
            }
            if Task.isCancelled { break }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(5))
        }
    }

    /// Listens on `connection` until it fails or the task is cancelled: adds the channels new
    /// subscribers want between waits, and hands what arrives to the subscribers.
    private func listen(on connection: PostgresConnection) async throws(PostgresError) {
        state.withLock { $0.backendPID = connection.backendPID }
        let waitMilliseconds = pollInterval.milliseconds
        while !Task.isCancelled {
            let missing = state.withLock { registry in
                registry.subscribers.values.reduce(into: Set<String>()) { $0.formUnion($1.channels) }.subtracting(registry.listening)
            }
            for channel in missing.sorted() {
                _ = try await connection.query(PostgresQuery(unsafeSQL: "LISTEN " + quotedIdentifier(channel)))
            }
            announceLive(adding: missing)
            let received = try await connection.waitForNotifications(timeoutMilliseconds: waitMilliseconds)
            if !received.isEmpty { deliver(Set(received.map(\.channel))) }
        }
    }

    /// Marks `channels` listened to and tells each subscriber whose channels are now all
    /// listened to, and who was not told yet, to re-check.
    private func announceLive(adding channels: Set<String>) {
        let told = state.withLock { registry -> [PostgresSubscription] in
            registry.listening.formUnion(channels)
            var told: [PostgresSubscription] = []
            for (id, subscriber) in registry.subscribers where !subscriber.live && subscriber.channels.isSubset(of: registry.listening) {
                registry.subscribers[id]?.live = true
                told.append(subscriber.subscription)
            }
            return told
        }
        for subscription in told { subscription.post(channels: [], recheck: true) }
    }

    private func deliver(_ channels: Set<String>) {
        let woken = state.withLock { registry in
            registry.subscribers.values.compactMap { subscriber -> (PostgresSubscription, Set<String>)? in
                let mine = subscriber.channels.intersection(channels)
                return mine.isEmpty ? nil : (subscriber.subscription, mine)
            }
        }
        for (subscription, mine) in woken { subscription.post(channels: mine, recheck: false) }
    }
}

/// What woke a subscriber: every notification since it last took one, merged.
public struct PostgresWakeup: Sendable, Hashable {
    /// The channels notified.
    public var channels: Set<String>
    /// True when notifications may have been missed (the subscription just became live, or the
    /// listening session was re-established): re-check the state waited on.
    public var recheck: Bool

    public init(channels: Set<String>, recheck: Bool) {
        self.channels = channels
        self.recheck = recheck
    }

    mutating func merge(_ other: PostgresWakeup) {
        channels.formUnion(other.channels)
        recheck = recheck || other.recheck
    }
}

/// One subscriber's wake-ups from a ``PostgresListener``: at most one pending at a time (later
/// ones merge into it), taken by one consumer task with ``next(within:)``.
public final class PostgresSubscription: Sendable {
    private let state = Mutex(Signal())
    private let onCancel: @Sendable () -> Void

    private struct Signal {
        var pending: PostgresWakeup?
        var waiter: (id: Int, continuation: CheckedContinuation<PostgresWakeup?, Never>)?
        var nextWaiter = 0
        /// A waiter whose task was cancelled before it registered.
        var cancelledWaiter: Int?
        /// The listener stopped: no wake-up will come.
        var ended = false
    }

    init(onCancel: @escaping @Sendable () -> Void) {
        self.onCancel = onCancel
    }

    /// Ends the subscription: the listener forgets it. Idempotent.
    public func cancel() {
        onCancel()
        end()
    }

    /// The pending wake-up, or the next one within `timeout`; nil when none came (or the task was
    /// cancelled). Once the listener has stopped, it waits out `timeout` and returns nil, so a
    /// loop around it degrades to polling instead of spinning.
    public func next(within timeout: Duration) async -> PostgresWakeup? {
        let (pending, ended) = state.withLock { signal in
            defer { signal.pending = nil }
            return (signal.pending, signal.ended)
        }
        if let pending { return pending }
        if ended {
            try? await Task.sleep(for: timeout)
            return nil
        }
        return await withTaskGroup(of: PostgresWakeup?.self) { group in
            group.addTask { await self.wait() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            var result = await group.next() ?? nil
            group.cancelAll()
            // A wake-up handed to the waiter just as the timeout won must not be lost.
            for await other in group {
                guard let other else { continue }
                if result == nil { result = other } else { result?.merge(other) }
            }
            return result
        }
    }

    private func wait() async -> PostgresWakeup? {
        let id = state.withLock { signal in
            signal.nextWaiter += 1
            return signal.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let immediate = state.withLock { signal -> PostgresWakeup?? in
                    if let pending = signal.pending {
                        signal.pending = nil
                        return .some(pending)
                    }
                    if signal.ended || signal.cancelledWaiter == id { return .some(nil) }
                    let previous = signal.waiter
                    signal.waiter = (id, continuation)
                    // One consumer at a time: a second waiter replaces (and releases) the first.
                    previous?.continuation.resume(returning: nil)
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiting = state.withLock { signal -> CheckedContinuation<PostgresWakeup?, Never>? in
                guard let waiter = signal.waiter, waiter.id == id else {
                    signal.cancelledWaiter = id
                    return nil
                }
                signal.waiter = nil
                return waiter.continuation
            }
            waiting?.resume(returning: nil)
        }
    }

    /// Wakes the consumer as a `NOTIFY` on no channel would: for news the database did not
    /// announce (a new client to serve, say). A no-op once the subscription ended.
    public func signal() {
        post(channels: [], recheck: false)
    }

    /// Hands a wake-up to the waiting consumer, or merges it into the pending one.
    func post(channels: Set<String>, recheck: Bool) {
        let wakeup = PostgresWakeup(channels: channels, recheck: recheck)
        let waiting = state.withLock { signal -> CheckedContinuation<PostgresWakeup?, Never>? in
            if signal.ended { return nil }
            if let waiter = signal.waiter {
                signal.waiter = nil
                return waiter.continuation
            }
            if signal.pending == nil { signal.pending = wakeup } else { signal.pending?.merge(wakeup) }
            return nil
        }
        waiting?.resume(returning: wakeup)
    }

    /// No wake-up will come any more: releases a waiting consumer.
    func end() {
        let waiting = state.withLock { signal -> CheckedContinuation<PostgresWakeup?, Never>? in
            signal.ended = true
            defer { signal.waiter = nil }
            return signal.waiter?.continuation
        }
        waiting?.resume(returning: nil)
    }
}
