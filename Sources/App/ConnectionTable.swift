/// The timeouts and the connection limit of the HTTP server (see `AppConfiguration.keys`).
public struct ConnectionLimits: Sendable, Equatable {
    /// How long a keep-alive connection may wait, with nothing received, for its next request.
    public var idleTimeout: Duration
    /// How long a request head may take: from the connection's opening, or from the first byte
    /// after a response, to the head's last byte.
    public var headerTimeout: Duration
    /// How long a request body may take, from its head to its last byte.
    public var bodyTimeout: Duration
    /// The most connections held open at once: the connection that reaches it closes the one
    /// idle or stuck in its head the longest, making room for the next.
    public var maximumConnections: Int

    public init(idleTimeout: Duration, headerTimeout: Duration, bodyTimeout: Duration, maximumConnections: Int) {
        self.idleTimeout = idleTimeout
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.maximumConnections = maximumConnections
    }
}

/// Every open HTTP/1 connection and what it is waiting for: a pure state machine (no NIO, no
/// clock of its own), so the deadlines and the eviction choice are tested without sockets.
///
/// A connection reads requests (`idle` → `head` → `body` → `idle`) while the server may still
/// be answering earlier ones (`responsesPending`). Only waiting on the peer has a deadline: the
/// server's own work (a request being answered) is bounded by the handlers' timeouts.
struct ConnectionTable: Sendable {
    typealias Instant = ContinuousClock.Instant

    /// One connection's read side.
    enum Reading: Equatable, Sendable {
        /// Nothing of the next request received yet (`fresh`: no request on this connection yet).
        case idle(since: Instant, fresh: Bool)
        /// Some bytes of a request head received, not all of it.
        case head(since: Instant)
        /// The head received, not all of the body.
        case body(since: Instant)
    }

    struct Entry: Equatable, Sendable {
        var reading: Reading
        /// Requests read whose response has not been written to its end.
        var responsesPending = 0
        /// The order of opening, to break ties in the eviction choice.
        let sequence: UInt64
    }

    let limits: ConnectionLimits
    private(set) var entries: [UInt64: Entry] = [:]
    private var nextSequence: UInt64 = 0

    init(limits: ConnectionLimits) {
        self.limits = limits
    }

    var count: Int { entries.count }

    /// Registers a new connection; returns it and, when the table has reached its limit, the
    /// connection to close to make room for the next (nil when every other one is being
    /// answered: then the next waits in the listener's backlog until one closes).
    mutating func open(at now: Instant) -> (id: UInt64, evict: UInt64?) {
        let id = nextSequence
        nextSequence += 1
        entries[id] = Entry(reading: .idle(since: now, fresh: true), sequence: id)
        guard entries.count >= limits.maximumConnections, let evict = victim(excluding: id) else { return (id, nil) }
        // Forgotten now, not when its close completes: the next connection, possibly set up
        // before then, must choose another (choosing this one again would free no room).
        entries[evict] = nil
        return (id, evict)
    }

    mutating func close(_ id: UInt64) {
        entries[id] = nil
    }

    /// Bytes arrived: the first of a request starts its header clock.
    mutating func bytesArrived(_ id: UInt64, at now: Instant) {
        guard var entry = entries[id], case .idle = entry.reading else { return }
        entry.reading = .head(since: now)
        entries[id] = entry
    }

    /// A whole request head was decoded: its body clock starts.
    mutating func headArrived(_ id: UInt64, at now: Instant) {
        guard var entry = entries[id] else { return }
        entry.reading = .body(since: now)
        entry.responsesPending += 1
        entries[id] = entry
    }

    /// The request's end was decoded: the connection waits for the next one (its idle clock
    /// starts only when the last pending response is written).
    mutating func requestEnded(_ id: UInt64, at now: Instant) {
        guard var entry = entries[id] else { return }
        entry.reading = .idle(since: now, fresh: false)
        entries[id] = entry
    }

    /// A response was written to its end.
    mutating func responseEnded(_ id: UInt64, at now: Instant) {
        guard var entry = entries[id] else { return }
        entry.responsesPending = max(0, entry.responsesPending - 1)
        if entry.responsesPending == 0, case .idle = entry.reading {
            entry.reading = .idle(since: now, fresh: false)
        }
        entries[id] = entry
    }

    /// When `entry` is closed for waiting too long on its peer; nil while the server is
    /// answering it and nothing of a next request has arrived.
    func deadline(of entry: Entry) -> Instant? {
        switch entry.reading {
        case .idle(let since, let fresh):
            guard entry.responsesPending == 0 else { return nil }
            // A new connection is there to send a request: it gets the header timeout, as a
            // slow head does; only a keep-alive connection between requests gets the idle one.
            return since + (fresh ? limits.headerTimeout : limits.idleTimeout)
        case .head(let since):
            return since + limits.headerTimeout
        case .body(let since):
            return since + limits.bodyTimeout
        }
    }

    /// The connections whose deadline has passed at `now`.
    func expired(at now: Instant) -> [UInt64] {
        entries.compactMap { id, entry in
            guard let deadline = deadline(of: entry), deadline <= now else { return nil }
            return id
        }
    }

    /// The connection to give up for a new one: the one idle or stuck in a head the longest;
    /// failing that, the one reading a body the longest (a legitimate body takes milliseconds,
    /// a held one seconds). Never one being answered: its work is already done or under way.
    func victim(excluding excluded: UInt64) -> UInt64? {
        var best: (rank: Int, since: Instant, sequence: UInt64, id: UInt64)?
        for (id, entry) in entries where id != excluded {
            let rank: Int
            let since: Instant
            switch entry.reading {
            case .idle(let start, _):
                guard entry.responsesPending == 0 else { continue }
                (rank, since) = (0, start)
            case .head(let start):
                guard entry.responsesPending == 0 else { continue }
                (rank, since) = (0, start)
            case .body(let start):
                // Its own request is pending; an earlier one still being answered is not.
                guard entry.responsesPending <= 1 else { continue }
                (rank, since) = (1, start)
            }
            if let current = best, (current.rank, current.since, current.sequence) <= (rank, since, entry.sequence) { continue }
            best = (rank, since, entry.sequence, id)
        }
        return best?.id
    }
}
