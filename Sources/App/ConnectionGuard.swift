public import HummingbirdCore
public import Logging
import Metrics
import NIOCore
public import ServiceLifecycle
import Synchronization

/// The HTTP server's connections held to their timeouts and a limit, so connections that never
/// finish a request (idle, slowloris, slow body, or simply too many) cannot lock MPS out or
/// exhaust the process's descriptors.
///
/// Every child channel registers here (``GuardedHTTP1Channel``); its handlers report what the
/// peer sends and what is answered, and ``run()`` closes the connections past their deadline.
/// At the limit a new connection closes the one idle or stuck in its head the longest, and the
/// server stops accepting (``gate``) until a connection closes, so `accept()` never meets the
/// descriptor limit (where NIO's listener would spin).
public final class ConnectionGuard: Service, Sendable {
    private struct State {
        var table: ConnectionTable
        var channels: [UInt64: any Channel] = [:]
        var lastLimitWarning: ContinuousClock.Instant?
    }

    public let limits: ConnectionLimits
    private let state: Mutex<State>
    /// Accepted and not yet closed, counted on the listener's event loop at accept (before the
    /// child is set up), so the gate is exact even while many accepts are in flight.
    private let accepted = Atomic<Int>(0)
    private let logger: Logger

    public init(limits: ConnectionLimits, logger: Logger) {
        self.limits = limits
        self.state = Mutex(State(table: ConnectionTable(limits: limits)))
        self.logger = logger
    }

    /// What Hummingbird's listener asks before each accept.
    public var gate: some AvailableConnectionsDelegate { ConnectionGate(guard: self) }

    /// Open connections (registered child channels).
    public var openConnections: Int { state.withLock { $0.table.count } }

    /// How often the deadlines are checked: a quarter of the shortest timeout, within 50 ms...1 s.
    var sweepInterval: Duration {
        let shortest = min(limits.idleTimeout, limits.headerTimeout, limits.bodyTimeout)
        return min(max(shortest / 4, .milliseconds(50)), .seconds(1))
    }

    /// Closes connections past their deadline until graceful shutdown; it is listed before the
    /// server so it keeps sweeping while the server drains (a slowloris cannot hold shutdown).
    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    try await Task.sleep(for: self.sweepInterval)
                    self.sweep(at: .now)
                }
            }
        } catch is CancellationError {
            // Shutdown, not a failure: the group must not report it as one.
        }
    }

    /// Closes every connection whose deadline has passed at `now`.
    func sweep(at now: ContinuousClock.Instant) {
        let expired: [(any Channel, String)] = state.withLock { state in
            state.table.expired(at: now).compactMap { id in
                guard let entry = state.table.entries[id], let channel = state.channels[id] else { return nil }
                return (channel, Self.reason(entry.reading))
            }
        }
        for (channel, reason) in expired {
            Self.closedConnections(reason).increment()
            logger.debug("closing a connection past its timeout", metadata: ["http.timeout": "\(reason)"])
            channel.close(promise: nil)
        }
    }

    /// Registers `channel` (on its event loop, during setup) and closes it from the table when
    /// it closes; returns its id for the handlers.
    func register(_ channel: any Channel) -> UInt64 {
        let now = ContinuousClock.now
        let (id, victim, warn): (UInt64, (any Channel)?, Bool) = state.withLock { state in
            let (id, evict) = state.table.open(at: now)
            state.channels[id] = channel
            guard let evict else { return (id, nil, false) }
            let warn = state.lastLimitWarning.map { now - $0 > .seconds(60) } ?? true
            if warn { state.lastLimitWarning = now }
            return (id, state.channels.removeValue(forKey: evict), warn)
        }
        if warn {
            logger.warning(
                "the HTTP connection limit is reached: the connection idle the longest is closed for each new one",
                metadata: ["http.max_connections": "\(limits.maximumConnections)"]
            )
        }
        if let victim {
            Self.closedConnections("evicted").increment()
            victim.close(promise: nil)
        }
        channel.closeFuture.whenComplete { _ in
            self.state.withLock { state in
                state.table.close(id)
                state.channels[id] = nil
            }
        }
        return id
    }

    func bytesArrived(_ id: UInt64) {
        state.withLock { $0.table.bytesArrived(id, at: .now) }
    }

    func headArrived(_ id: UInt64) {
        state.withLock { $0.table.headArrived(id, at: .now) }
    }

    func requestEnded(_ id: UInt64) {
        state.withLock { $0.table.requestEnded(id, at: .now) }
    }

    func responseEnded(_ id: UInt64) {
        state.withLock { $0.table.responseEnded(id, at: .now) }
    }

    fileprivate func acceptedOne() {
        accepted.add(1, ordering: .relaxed)
    }

    fileprivate func closedOne() {
        accepted.subtract(1, ordering: .relaxed)
    }

    /// Accepting stops at the limit; a registration at the limit evicts one, whose closing
    /// reopens the gate.
    fileprivate var isAccepting: Bool {
        accepted.load(ordering: .relaxed) < limits.maximumConnections
    }

    private static func reason(_ reading: ConnectionTable.Reading) -> String {
        switch reading {
        case .idle(_, let fresh): fresh ? "header" : "idle"
        case .head: "header"
        case .body: "body"
        }
    }

    private static func closedConnections(_ reason: String) -> Counter {
        Counter(label: "mpshook_http_connections_closed_total", dimensions: [("reason", reason)])
    }
}

/// The listener's accept gate over a ``ConnectionGuard`` (Hummingbird's
/// `AvailableConnectionsChannelHandler` stops reading the listening socket while it says no,
/// and reads again when a connection closes).
struct ConnectionGate: AvailableConnectionsDelegate {
    let `guard`: ConnectionGuard

    func connectionOpened() {
        `guard`.acceptedOne()
    }

    func connectionClosed() {
        `guard`.closedOne()
    }

    func isAcceptingNewConnections() -> Bool {
        `guard`.isAccepting
    }
}
