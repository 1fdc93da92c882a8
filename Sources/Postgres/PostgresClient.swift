import CLibPQ
public import Logging
import NIOPosix
public import ServiceLifecycle
import Synchronization

/// A pool of PostgreSQL connections with a maximum size, queued waiters, a checkout timeout
/// and transparent replacement of connections the server closed. Every statement ends: the
/// configured statement timeout applies on the server, and a statement the server never
/// answers is cancelled and its connection replaced (see ``PostgresConnection``).
///
/// Run it as a `Service` in the application's `ServiceGroup`: it shuts down (failing waiters,
/// closing connections, stopping its thread pool) on graceful shutdown. Outside a group, call
/// ``shutdown()`` when done.
public final class PostgresClient: Sendable, Service {
    /// The configuration the client was made with.
    public let configuration: PostgresConfiguration
    private let threadPool: NIOThreadPool
    /// One thread for cancel requests, which block while they connect (see ``PostgresConnection``).
    private let cancelThread: NIOThreadPool
    private let logger: Logger
    private let state: Mutex<PoolBox>
    private let observer: (any PostgresPoolObserver)?

    private struct PoolBox: ~Copyable {
        var machine: ConnectionPoolState<PostgresConnection, Int>
        var continuations: [Int: CheckedContinuation<Grant, any Error>] = [:]
        var early: [Int: Result<Grant, PostgresError>] = [:]
        var nextWaiter = 0
        var isShutDown = false
    }

    private typealias Grant = ConnectionPoolState<PostgresConnection, Int>.Grant
    private typealias Handover = ConnectionPoolState<PostgresConnection, Int>.Handover

    /// - Parameter observer: told of every checkout (how long it waited) and every checkout that
    ///   timed out; the service's metrics, for instance.
    public init(
        configuration: PostgresConfiguration, logger: Logger = Logger(label: "mpshook.postgres"), observer: (any PostgresPoolObserver)? = nil
    ) {
        self.configuration = configuration
        self.logger = logger
        self.observer = observer
        self.threadPool = NIOThreadPool(numberOfThreads: configuration.maximumConnections + configuration.maximumListeners)
        self.threadPool.start()
        self.cancelThread = NIOThreadPool(numberOfThreads: 1)
        self.cancelThread.start()
        self.state = Mutex(PoolBox(machine: ConnectionPoolState(maximumConnections: configuration.maximumConnections)))
    }

    // MARK: Running statements

    /// Runs one statement on a pooled connection.
    public func query(_ query: PostgresQuery) async throws(PostgresError) -> PostgresRows {
        let connection = try await lease()
        do {
            let rows = try await connection.query(query)
            release(connection)
            return rows
        } catch {
            release(connection)
            throw error
        }
    }

    /// Leases a connection for `body` and returns it to the pool afterwards, even on error.
    public func withConnection<Result>(
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let connection = try await lease()
        do {
            let result = try await body(connection)
            release(connection)
            return result
        } catch {
            release(connection)
            throw error
        }
    }

    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws.
    public func withTransaction<Result>(
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await withConnection { connection in
            _ = try await connection.query("BEGIN")
            do {
                let result = try await body(connection)
                _ = try await connection.query("COMMIT")
                return result
            } catch {
                if connection.isUsable {
                    _ = try? await connection.query("ROLLBACK")
                }
                throw error
            }
        }
    }

    /// Sends `NOTIFY channel, payload` (through `pg_notify`, so both are bind parameters).
    public func notify(_ channel: String, payload: String = "") async throws(PostgresError) {
        _ = try await query("SELECT pg_notify(\(channel), \(payload))")
    }

    /// Opens a dedicated connection that `LISTEN`s on `channels` and yields what arrives.
    /// The sequence throws ``PostgresError/Code/connectionClosed`` when that connection is lost;
    /// callers re-subscribe and re-scan, since notifications sent meanwhile are gone.
    /// A session per caller: long-lived waiters share the process's ``PostgresListener`` instead.
    public func listen(_ channels: [String]) async throws(PostgresError) -> PostgresNotifications {
        let connection = try await PostgresConnection.connect(configuration, threads: threads)
        for channel in channels {
            _ = try await connection.query(PostgresQuery(unsafeSQL: "LISTEN " + quotedIdentifier(channel)))
        }
        return PostgresNotifications(connection: connection)
    }

    var threads: ConnectionThreads { ConnectionThreads(blocking: threadPool, cancels: cancelThread) }

    // MARK: Service

    /// Waits for graceful shutdown, then shuts the pool down.
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Closes idle connections, fails waiters, and stops the thread pool. Idempotent.
    public func shutdown() async {
        typealias Waiter = CheckedContinuation<Grant, any Error>
        let closed = state.withLock { box -> (idle: [PostgresConnection], waiters: [Waiter])? in
            if box.isShutDown { return nil }
            box.isShutDown = true
            let closed = box.machine.close()
            var waiting: [Waiter] = []
            for id in closed.waiters {
                if let continuation = box.continuations.removeValue(forKey: id) {
                    waiting.append(continuation)
                } else {
                    box.early[id] = .failure(Self.closedError)
                }
            }
            return (closed.idle, waiting)
        }
        guard let closed else { return }
        for continuation in closed.waiters { continuation.resume(throwing: Self.closedError) }
        // Dropping `closed.idle` closes those connections; leased ones close when released.
        do {
            try await threadPool.shutdownGracefully()
        } catch {
            logger.debug("thread pool shutdown failed", metadata: ["error": "\(error)"])
        }
        // Not awaited: a cancel request to an unreachable server may still be connecting.
        cancelThread.shutdownGracefully { _ in }
    }

    /// Counts for metrics and tests: connections open, idle, leased, and waiters queued.
    public var statistics: (open: Int, idle: Int, leased: Int, waiting: Int) {
        state.withLock { box in
            (box.machine.total, box.machine.idle.count, box.machine.leased, box.machine.waiters.count)
        }
    }

    // MARK: Leasing

    private static let closedError = PostgresError(code: .poolClosed, reason: "the database client is shut down")

    func lease() async throws(PostgresError) -> PostgresConnection {
        guard let observer else { return try await checkOut() }
        let started = ContinuousClock.now
        do {
            let connection = try await checkOut()
            observer.checkedOut(after: ContinuousClock.now - started)
            return connection
        } catch {
            if error.code == .checkoutTimeout { observer.checkoutTimedOut() }
            throw error
        }
    }

    private func checkOut() async throws(PostgresError) -> PostgresConnection {
        let (id, action) = state.withLock { box in
            box.nextWaiter += 1
            let id = box.nextWaiter
            return (id, box.machine.lease(waiter: id))
        }
        switch action {
        case .use(let connection):
            if connection.checkIdle() { return connection }
            logger.debug("replacing a pooled connection the server closed", metadata: ["postgres.pid": "\(connection.backendPID)"])
            state.withLock { $0.machine.connectionBroken() }
            return try await create()
        case .create:
            return try await create()
        case .wait:
            switch try await waitForGrant(id) {
            case .connection(let connection):
                if connection.checkIdle() { return connection }
                state.withLock { $0.machine.connectionBroken() }
                return try await create()
            case .create:
                return try await create()
            }
        case .fail:
            throw Self.closedError
        }
    }

    /// Opens a connection in a creation slot the state machine granted.
    private func create() async throws(PostgresError) -> PostgresConnection {
        do {
            let connection = try await PostgresConnection.connect(configuration, threads: threads)
            state.withLock { $0.machine.connectionCreated() }
            return connection
        } catch {
            let handover = state.withLock { $0.machine.creationFailed() }
            perform(handover)
            throw error
        }
    }

    func release(_ connection: PostgresConnection) {
        let reusable = connection.isReusable && connection.isIdleOutsideTransaction
        let handover = state.withLock { $0.machine.release(connection, reusable: reusable) }
        perform(handover)
    }

    private func perform(_ handover: Handover) {
        // `handover.close` needs nothing more: the last reference going away closes it.
        if let (grant, waiter) = handover.grant {
            deliver(.success(grant), to: waiter)
        }
    }

    private func deliver(_ result: Result<Grant, PostgresError>, to waiter: Int) {
        let continuation = state.withLock { box -> CheckedContinuation<Grant, any Error>? in
            if let continuation = box.continuations.removeValue(forKey: waiter) { return continuation }
            box.early[waiter] = result
            return nil
        }
        continuation?.resume(with: result.mapError { $0 as any Error })
    }

    private func waitForGrant(_ id: Int) async throws(PostgresError) -> Grant {
        let timeout = configuration.checkoutTimeout
        do {
            return try await withThrowingTaskGroup(of: Grant?.self) { group in
                group.addTask {
                    try await withCheckedThrowingContinuation { continuation in
                        let early = self.state.withLock { box -> Result<Grant, PostgresError>? in
                            if let result = box.early.removeValue(forKey: id) { return result }
                            box.continuations[id] = continuation
                            return nil
                        }
                        if let early { continuation.resume(with: early.mapError { $0 as any Error }) }
                    }
                }
                group.addTask {
                    let failure: PostgresError
                    do {
                        try await Task.sleep(for: timeout)
                        failure = PostgresError(
                            code: .checkoutTimeout,
                            reason: "no database connection became free within \(timeout) (pool size \(self.configuration.maximumConnections))"
                        )
                    } catch {
                        failure = PostgresError(code: .cancelled, reason: "cancelled while waiting for a connection")
                    }
                    let stillQueued = self.state.withLock { $0.machine.cancelWait(id) }
                    if stillQueued { self.deliver(.failure(failure), to: id) }
                    return nil
                }
                while let result = try await group.next() {
                    if let grant = result {
                        group.cancelAll()
                        return grant
                    }
                }
                throw Self.closedError
            }
        } catch let error as PostgresError {
            throw error
        } catch {
            throw PostgresError(code: .cancelled, reason: "cancelled while waiting for a connection")
        }
    }
}

extension PostgresConnection {
    var isIdleOutsideTransaction: Bool { transactionStatusIsIdle }
}

/// One `NOTIFY` received on a listening connection.
public struct PostgresNotification: Sendable, Hashable {
    public var channel: String
    public var payload: String
    /// The server process that sent it.
    public var backendPID: Int32
}

/// The notifications arriving on a dedicated `LISTEN` connection, in order.
/// Iterating ends when the task is cancelled; it throws when the connection is lost.
public struct PostgresNotifications: AsyncSequence, Sendable {
    public typealias Element = PostgresNotification
    public typealias Failure = PostgresError
    let connection: PostgresConnection

    public func makeAsyncIterator() -> Iterator {
        Iterator(connection: connection)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let connection: PostgresConnection
        var buffered: [PostgresNotification] = []

        public mutating func next() async throws(PostgresError) -> PostgresNotification? {
            while buffered.isEmpty {
                if Task.isCancelled { return nil }
                buffered = try await connection.waitForNotifications(timeoutMilliseconds: 200)
            }
            return buffered.removeFirst()
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async throws(PostgresError) -> PostgresNotification? {
            try await next()
        }

        /// The next notification, or nil when none arrives within `timeout` (or on cancellation).
        public mutating func next(within timeout: Duration) async throws(PostgresError) -> PostgresNotification? {
            let deadline = ContinuousClock.now + timeout
            while buffered.isEmpty {
                let left = deadline - ContinuousClock.now
                if left <= .zero || Task.isCancelled { return nil }
                let milliseconds = Int32(clamping: Swift.min(200, Swift.max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)))
                buffered = try await connection.waitForNotifications(timeoutMilliseconds: milliseconds)
            }
            return buffered.removeFirst()
        }
    }
}
