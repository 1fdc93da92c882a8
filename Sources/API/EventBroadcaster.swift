public import Foundation
public import Logging
public import Postgres
public import ServiceLifecycle
public import Store
import Synchronization

/// How the event stream (`GET /v1/events`) reads, buffers and keeps the change feed.
public struct EventsConfiguration: Sendable {
    /// How long changes are kept for clients resuming with `Last-Event-ID`
    /// (`MPSHOOK_EVENTS_RETENTION`, seconds; default 24 h). Older ones are pruned.
    public var retention: Duration
    /// The most events waiting for one client; a client that falls this far behind is dropped
    /// (its stream ends; it resumes from the table with `Last-Event-ID`).
    public var clientBuffer: Int
    /// How often the feed is read when no wake-up comes (a NOTIFY lost with the listening session).
    public var pollInterval: Duration
    /// How long a stream may stay silent before a comment is sent (proxies close silent streams,
    /// and a write is how a client that went away is noticed).
    public var keepAlive: Duration
    /// Changes read per statement.
    public var readBatch: Int
    /// How often this replica prunes (every replica may; each pass is a few short statements).
    public var pruneInterval: Duration

    public init(
        retention: Duration = .seconds(86_400), clientBuffer: Int = 1024, pollInterval: Duration = .seconds(5),
        keepAlive: Duration = .seconds(15), readBatch: Int = 500, pruneInterval: Duration = .seconds(60)
    ) {
        self.retention = max(.seconds(60), retention)
        self.clientBuffer = max(1, clientBuffer)
        self.pollInterval = max(.milliseconds(10), pollInterval)
        self.keepAlive = max(.milliseconds(10), keepAlive)
        self.readBatch = max(1, readBatch)
        self.pruneInterval = max(.milliseconds(10), pruneInterval)
    }
}

/// Which changes a client wants (`?kinds=` and `?jobId=`); empty kinds means every kind.
public struct EventFilter: Sendable, Hashable {
    public var kinds: Set<ChangeKind>
    public var jobId: UUID?

    public init(kinds: Set<ChangeKind> = [], jobId: UUID? = nil) {
        self.kinds = kinds
        self.jobId = jobId
    }

    public func matches(_ event: ChangeEvent) -> Bool {
        (kinds.isEmpty || kinds.contains(event.kind)) && (jobId == nil || event.jobId == jobId)
    }
}

/// What a client's stream carries: a change, or a reminder that the stream is alive.
public enum EventMessage: Sendable, Hashable {
    case change(ChangeEvent)
    case keepAlive
}

/// The one reader of the change feed in a process, fanning what it reads out to every client of
/// `GET /v1/events`.
///
/// A single loop, woken by the shared ``PostgresListener`` (and a slow poll), reads each new
/// change once and hands it to every client whose filter wants it, into that client's bounded
/// buffer (``EventsConfiguration/clientBuffer`` events). A client whose buffer is full is
/// dropped: its stream ends, and it resumes from the table with `Last-Event-ID`. So memory per
/// client is bounded whatever the client does, and the loop never waits for a client.
///
/// With no client connected nothing is read. The same service prunes the feed to its retention.
public final class EventBroadcaster: Service, Sendable {
    let feed: ChangeFeed
    let listener: PostgresListener
    let configuration: EventsConfiguration
    let logger: Logger
    /// The reading loop's wake-ups: the listener's, and a new client's (its head may already be
    /// behind a NOTIFY the loop took while nobody was connected).
    private let wakeups: PostgresSubscription
    private let state = Mutex(Clients())

    private struct Clients {
        /// The newest position handed to the clients (nil while none is connected).
        var position: ChangePosition?
        var clients: [Int: Client] = [:]
        var nextId = 0
        var stopped = false
        var lastSent = ContinuousClock.now
    }

    private struct Client {
        let filter: EventFilter
        let continuation: AsyncStream<EventMessage>.Continuation
        /// Changes up to here are not pushed (the client has or reads them itself).
        let after: ChangePosition
    }

    /// A client's live stream. Changes after ``start`` arrive on ``messages``; those up to
    /// ``start`` (after the client's own position) the client reads from the feed itself.
    public struct Subscription: Sendable {
        /// The position the live stream continues from.
        public let start: ChangePosition
        public let messages: AsyncStream<EventMessage>
        let cancel: @Sendable () -> Void

        /// Leaves the broadcast; the stream ends. Idempotent.
        public func end() { cancel() }
    }

    public init(client: PostgresClient, listener: PostgresListener, configuration: EventsConfiguration = EventsConfiguration(), logger: Logger) {
        self.feed = ChangeFeed(client: client)
        self.listener = listener
        self.configuration = configuration
        self.logger = logger
        self.wakeups = listener.subscribe([ChangeFeed.channel])
    }

    /// Clients connected now.
    public var clientCount: Int { state.withLock { $0.clients.count } }

    /// Joins the broadcast for changes after `position` (nil: only what is new) that `filter`
    /// wants. Throws when the feed cannot be read.
    public func subscribe(after position: ChangePosition?, filter: EventFilter) async throws(PostgresError) -> Subscription {
        let (messages, continuation) = AsyncStream.makeStream(of: EventMessage.self, bufferingPolicy: .bufferingOldest(configuration.clientBuffer))
        enum Registration { case registered(id: Int, start: ChangePosition), stopped, needsHead }
        var head: ChangePosition?
        var registered: (id: Int, start: ChangePosition)?
        // The head is read outside the lock (it is a query) and only when no reading position
        // exists. The last client may leave between that check and the lock, clearing the
        // position: then the head is read again rather than the new client given an empty stream.
        while registered == nil {
            if head == nil, state.withLock({ $0.position == nil && !$0.stopped }) { head = try await feed.head() }
            let outcome = state.withLock { box -> Registration in
                if box.stopped { return .stopped }
                // Registration and delivery share the lock: what is delivered after this is
                // exactly what comes after `start`.
                guard let start = box.position ?? head else { return .needsHead }
                box.position = start
                box.nextId += 1
                box.clients[box.nextId] = Client(filter: filter, continuation: continuation, after: max(position ?? start, start))
                return .registered(id: box.nextId, start: start)
            }
            switch outcome {
            case .registered(let id, let start): registered = (id, start)
            case .needsHead: head = nil
            case .stopped:
                continuation.finish()
                return Subscription(start: position ?? .start, messages: messages, cancel: {})
            }
        }
        guard let registered else { return Subscription(start: position ?? .start, messages: messages, cancel: {}) }
        continuation.onTermination = { [weak self] _ in self?.remove(registered.id) }
        wakeups.signal()
        return Subscription(start: registered.start, messages: messages, cancel: { continuation.finish() })
    }

    private func remove(_ id: Int) {
        _ = state.withLock { $0.clients.removeValue(forKey: id) }
    }

    // MARK: Service

    /// Reads and fans out until graceful shutdown, then ends every client's stream.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.pruneLoop() }
                await self.readLoop()
                group.cancelAll()
            }
        }
        let ended = state.withLock { box in
            box.stopped = true
            box.position = nil
            return box.clients.values.map(\.continuation)
        }
        for continuation in ended { continuation.finish() }
    }

    private func readLoop() async {
        defer { wakeups.cancel() }
        var pause = Duration.milliseconds(100)
        // While changes are held back behind an older open transaction, looked at again after
        // this (doubling to a second), not only at the next wake-up or poll.
        var recheck = Self.firstRecheck
        while !Task.isCancelled {
            var heldBack = false
            do {
                heldBack = try await readNew()
                pause = .milliseconds(100)
            } catch {
                if Task.isCancelled { break }
                logger.warning("reading the change feed failed; retrying", metadata: ["error": "\(error)", "retry.in_ms": "\(pause / .milliseconds(1))"])
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(5))
                continue
            }
            var wait = min(configuration.pollInterval, configuration.keepAlive)
            if heldBack {
                wait = min(wait, recheck)
                recheck = min(recheck * 2, .seconds(1))
            } else {
                recheck = Self.firstRecheck
            }
            _ = await wakeups.next(within: wait)
            sendKeepAliveIfDue()
        }
    }

    private static let firstRecheck = Duration.milliseconds(20)

    /// Reads what is new since the broadcast position and hands it out, batch after batch.
    /// Answers whether committed changes are still held back behind an older open transaction.
    private func readNew() async throws(PostgresError) -> Bool {
        while !Task.isCancelled {
            guard let position = state.withLock({ box -> ChangePosition? in
                // Nobody listening: forget the position, so nothing is read until someone is.
                if box.clients.isEmpty { box.position = nil }
                return box.position
            }) else { return false }
            let events = try await feed.read(after: position, limit: configuration.readBatch)
            if let last = events.last {
                deliver(events, from: position, to: last.position)
            }
            if events.count < configuration.readBatch {
                return try await feed.hasHeldBack(after: events.last?.position ?? position)
            }
        }
        return false
    }

    private func deliver(_ events: [ChangeEvent], from position: ChangePosition, to last: ChangePosition) {
        let dropped = state.withLock { box -> [AsyncStream<EventMessage>.Continuation] in
            // Read from a position since forgotten (every client left): a newer client starts
            // at its own head, so these are not for it.
            guard box.position == position else { return [] }
            box.position = last
            box.lastSent = .now
            var dropped: [AsyncStream<EventMessage>.Continuation] = []
            for (id, client) in box.clients {
                for event in events where event.position > client.after && client.filter.matches(event) {
                    if case .dropped = client.continuation.yield(.change(event)) {
                        dropped.append(client.continuation)
                        box.clients[id] = nil
                        break
                    }
                }
            }
            return dropped
        }
        drop(dropped)
    }

    private func sendKeepAliveIfDue() {
        let dropped = state.withLock { box -> [AsyncStream<EventMessage>.Continuation] in
            guard ContinuousClock.now - box.lastSent >= configuration.keepAlive else { return [] }
            box.lastSent = .now
            var dropped: [AsyncStream<EventMessage>.Continuation] = []
            for (id, client) in box.clients {
                if case .dropped = client.continuation.yield(.keepAlive) {
                    dropped.append(client.continuation)
                    box.clients[id] = nil
                }
            }
            return dropped
        }
        drop(dropped)
    }

    /// Ends the streams of clients whose buffer was full (outside the lock: ending a stream
    /// runs its termination handler, which takes the lock).
    private func drop(_ continuations: [AsyncStream<EventMessage>.Continuation]) {
        guard !continuations.isEmpty else { return }
        logger.info("event stream clients fell behind and were dropped; they resume with Last-Event-ID", metadata: ["events.dropped_clients": "\(continuations.count)"])
        for continuation in continuations { continuation.finish() }
    }

    /// Deletes changes older than the retention, a batch at a time, every prune interval.
    private func pruneLoop() async {
        while !Task.isCancelled {
            do {
                let cutoff = Date().addingTimeInterval(-configuration.retention.timeInterval)
                var total = 0
                while !Task.isCancelled {
                    let deleted = try await feed.prune(before: cutoff, limit: 1000)
                    total += deleted
                    if deleted < 1000 { break }
                }
                if total > 0 { logger.debug("pruned the change feed", metadata: ["events.pruned": "\(total)"]) }
            } catch {
                if Task.isCancelled { break }
                logger.warning("pruning the change feed failed; retrying later", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: configuration.pruneInterval)
        }
    }
}

extension Duration {
    /// Seconds as a `TimeInterval`.
    var timeInterval: TimeInterval {
        let (whole, fraction) = components
        return TimeInterval(whole) + TimeInterval(fraction) / 1e18
    }
}
