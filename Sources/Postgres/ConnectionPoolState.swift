/// The connection pool's bookkeeping as a pure state machine: no I/O, no clocks, no locks.
///
/// The pool (``PostgresClient``) holds it behind a mutex and performs the actions it returns.
/// Connections are either idle, leased, or being created by a task that asked for one; waiters
/// queue in order when the pool is at its maximum. Kept generic so tests can drive it with
/// plain values.
struct ConnectionPoolState<Connection, WaiterID: Hashable> {
    /// What a task asking for a connection must do next.
    enum LeaseAction {
        /// Use this idle connection (check it first; report ``connectionBroken()`` if it is dead).
        case use(Connection)
        /// Open a new connection; report ``connectionCreated()`` or ``creationFailed()``.
        case create
        /// Wait: the waiter was queued and will be granted a connection or a creation slot.
        case wait
        /// The pool is closed.
        case fail
    }

    /// What happens to a waiter when a slot frees up.
    enum Grant {
        case connection(Connection)
        case create
    }

    /// What the caller must do after a release or a failed creation.
    struct Handover {
        /// A waiter to wake, and what it gets.
        var grant: (Grant, to: WaiterID)?
        /// A connection to close (it is broken, or the pool is closed).
        var close: Connection?
    }

    let maximumConnections: Int
    private(set) var idle: [Connection] = []
    private(set) var leased = 0
    private(set) var creating = 0
    private(set) var waiters: [WaiterID] = []
    private(set) var isClosed = false

    init(maximumConnections: Int) {
        self.maximumConnections = max(1, maximumConnections)
    }

    /// Connections open or being opened.
    var total: Int { idle.count + leased + creating }

    mutating func lease(waiter: WaiterID) -> LeaseAction {
        if isClosed { return .fail }
        if let connection = idle.popLast() {
            leased += 1
            return .use(connection)
        }
        if total < maximumConnections {
            creating += 1
            return .create
        }
        waiters.append(waiter)
        return .wait
    }

    /// A leased idle connection turned out dead: its holder opens a replacement in its slot.
    mutating func connectionBroken() {
        leased -= 1
        creating += 1
    }

    /// The holder of a creation slot now has a connection.
    mutating func connectionCreated() {
        creating -= 1
        leased += 1
    }

    /// Opening failed: the slot passes to the next waiter, who tries in turn.
    mutating func creationFailed() -> Handover {
        creating -= 1
        return passSlotToWaiter()
    }

    /// A connection comes back. Broken ones are closed and their slot goes to a waiter.
    mutating func release(_ connection: Connection, reusable: Bool) -> Handover {
        leased -= 1
        guard reusable, !isClosed else {
            var handover = passSlotToWaiter()
            handover.close = connection
            return handover
        }
        if !waiters.isEmpty {
            let waiter = waiters.removeFirst()
            leased += 1
            return Handover(grant: (.connection(connection), to: waiter))
        }
        idle.append(connection)
        return Handover()
    }

    /// A waiter gave up (timeout or cancellation). True when it was still queued; false when a
    /// grant is already on its way to it.
    mutating func cancelWait(_ waiter: WaiterID) -> Bool {
        guard let index = waiters.firstIndex(of: waiter) else { return false }
        waiters.remove(at: index)
        return true
    }

    /// Closes the pool: returns the idle connections to close and the waiters to fail.
    mutating func close() -> (idle: [Connection], waiters: [WaiterID]) {
        isClosed = true
        defer {
            idle.removeAll()
            waiters.removeAll()
        }
        return (idle, waiters)
    }

    private mutating func passSlotToWaiter() -> Handover {
        guard !isClosed, !waiters.isEmpty, total < maximumConnections else { return Handover() }
        let waiter = waiters.removeFirst()
        creating += 1
        return Handover(grant: (.create, to: waiter))
    }
}

extension ConnectionPoolState.Grant: Sendable where Connection: Sendable {}
