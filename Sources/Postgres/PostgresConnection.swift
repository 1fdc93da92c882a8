import CLibPQ
import NIOPosix
import Synchronization

/// The threads a connection's blocking work runs on: libpq calls, and cancel requests (kept
/// apart, so a cancel that cannot reach the server never holds up a statement).
struct ConnectionThreads: Sendable {
    let blocking: NIOThreadPool
    let cancels: NIOThreadPool
}

/// One libpq connection. Used by one task at a time (the pool hands it out exclusively);
/// every blocking libpq call runs on the client's thread pool, never on the cooperative pool.
///
/// Statements are sent without blocking and their answer awaited in short polls, so a
/// statement always ends: the server's `statement_timeout` ends a slow one (57014, the
/// connection stays usable); when the server does not answer at all (a stopped backend, a dead
/// network) the client sends a cancel request after the timeout plus a grace, and after another
/// grace gives the connection up (shuts its socket down; the pool replaces it). Cancelling the
/// awaiting task sends a cancel request too.
public final class PostgresConnection: @unchecked Sendable {
    // Safety: `handle` and `statementLimit` are only touched by the single task that holds the
    // connection (the pool leases it exclusively), one call at a time, each call finishing
    // before the next starts; `broken`, `retired` and `cancelRequested` are atomic because the
    // pool reads them after the lease ends, or a cancellation handler sets them from another
    // thread. `fatalNotice` is written by libpq's notice receiver on the thread running a libpq
    // call on this connection and read by the same lease holder after that call.
    fileprivate let handle: OpaquePointer
    private let fatalNotice: UnsafeMutablePointer<Int32>
    private let threads: ConnectionThreads
    private let broken = Atomic<Bool>(false)
    /// Set when this connection must not be reused (a cancel request was sent on it, which may
    /// land on a later statement; or its session settings were changed).
    private let retired = Atomic<Bool>(false)
    private let cancelRequested = Atomic<Bool>(false)
    /// How long a statement may go unanswered before the client intervenes (nil: no limit).
    private var statementLimit: Duration?
    private let grace: Duration

    /// The server process id serving this connection (for `pg_terminate_backend` and logs).
    public let backendPID: Int32

    private init(handle: OpaquePointer, threads: ConnectionThreads, statementLimit: Duration?, grace: Duration) {
        self.handle = handle
        self.threads = threads
        self.statementLimit = statementLimit
        self.grace = grace
        self.fatalNotice = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        self.fatalNotice.initialize(to: 0)
        mpshook_pq_watch_notices(handle, fatalNotice)
        self.backendPID = PQbackendPID(handle)
    }

    deinit {
        PQfinish(handle)
        fatalNotice.deallocate()
    }

    /// Opens a connection. Fails within the configured connect timeout with a one-line reason.
    static func connect(
        _ configuration: PostgresConfiguration, threads: ConnectionThreads
    ) async throws(PostgresError) -> PostgresConnection {
        let outcome: Result<PostgresConnection, PostgresError>
        do {
            outcome = try await threads.blocking.runIfActive { () -> Result<PostgresConnection, PostgresError> in
                connectBlocking(configuration, threads: threads)
            }
        } catch is CancellationError {
            throw PostgresError(code: .cancelled, reason: "cancelled before connecting")
        } catch {
            throw PostgresError(code: .poolClosed, reason: "the client's thread pool is shut down")
        }
        return try outcome.get()
    }

    private static func connectBlocking(
        _ configuration: PostgresConfiguration, threads: ConnectionThreads
    ) -> Result<PostgresConnection, PostgresError> {
        var options = "-c TimeZone=UTC -c DateStyle=ISO,YMD -c extra_float_digits=3"
        if let timeout = configuration.statementTimeout {
            options += " -c statement_timeout=\(max(1, timeout.milliseconds))"
        }
        // Defaults first, then the caller's URL (which may override them), then settings this
        // library relies on (UTF-8, UTC, ISO dates) last so nothing overrides those.
        let parameters: [(String, String)] = [
            ("connect_timeout", String(max(2, Int(configuration.connectTimeout.components.seconds)))),
            ("application_name", configuration.applicationName),
            ("keepalives", "1"),
            ("keepalives_idle", "30"),
            ("keepalives_interval", "10"),
            ("keepalives_count", "3"),
            ("dbname", configuration.url),
            ("client_encoding", "UTF8"),
            ("options", options),
        ]
        let handle = withCStrings(parameters.map(\.0)) { keywords in
            withCStrings(parameters.map(\.1)) { values in
                PQconnectdbParams(keywords, values, 1)
            }
        }
        guard let handle else {
            return .failure(PostgresError(code: .connectionFailed, reason: "libpq could not allocate a connection"))
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = oneLine(PQerrorMessage(handle))
            PQfinish(handle)
            return .failure(PostgresError(code: .connectionFailed, reason: message.isEmpty ? "connection failed" : message))
        }
        // Sends never block: a server that stops reading cannot hold a thread past the deadline.
        guard PQsetnonblocking(handle, 1) == 0 else {
            PQfinish(handle)
            return .failure(PostgresError(code: .connectionFailed, reason: "libpq could not make the connection non-blocking"))
        }
        return .success(PostgresConnection(
            handle: handle, threads: threads, statementLimit: configuration.statementTimeout, grace: configuration.statementTimeoutGrace
        ))
    }

    /// True until a statement on this connection found it broken.
    public var isUsable: Bool {
        !broken.load(ordering: .acquiring) && PQstatus(handle) == CONNECTION_OK && fatalNotice.pointee == 0
    }

    /// False once the connection must not go back to the pool, even though it still works.
    var isReusable: Bool { isUsable && !retired.load(ordering: .acquiring) }

    /// Lifts the statement timeout for the rest of this lease, for work that may legitimately
    /// take long (migrations, waiting for the migration lock). The pool closes the connection
    /// when it comes back, so no later user inherits the change.
    public func disableStatementTimeout() async throws(PostgresError) {
        retired.store(true, ordering: .releasing)
        _ = try await query("SET statement_timeout = 0")
        statementLimit = nil
    }

    /// Reads whatever the server sent while the connection sat idle, without blocking, and
    /// reports whether it is still usable. A backend terminated by the server (restart,
    /// `pg_terminate_backend`) shows up here, before a statement is sent on it.
    func checkIdle() -> Bool {
        guard isUsable else { return false }
        // An idle session hears nothing from a healthy server. When the server ends it, the
        // socket holds a FATAL message and then EOF: each read consumes what is there, and a
        // read that meets EOF marks the connection bad. Only non-blocking reads happen here.
        let socket = PQsocket(handle)
        var rounds = 0
        while rounds < 4, socket >= 0, mpshook_pq_wait_readable(socket, 0) > 0 {
            rounds += 1
            if PQconsumeInput(handle) == 0 || PQstatus(handle) != CONNECTION_OK {
                broken.store(true, ordering: .releasing)
                return false
            }
        }
        // Let libpq process what arrived (notices, parameter changes) before the next statement.
        while let notification = PQnotifies(handle) { PQfreemem(notification) }
        // A FATAL notice means the server ended this session; its socket may not be closed yet.
        guard PQstatus(handle) == CONNECTION_OK, fatalNotice.pointee == 0 else {
            broken.store(true, ordering: .releasing)
            return false
        }
        return true
    }

    /// Runs one statement with its bind parameters and returns its rows.
    public func query(_ query: PostgresQuery) async throws(PostgresError) -> PostgresRows {
        try await run { connection in connection.executeBlocking(query) }
    }

    /// Runs SQL text that may hold several statements, with no parameters (simple query protocol).
    /// For migrations and administrative scripts only; it cannot take bind parameters by design.
    public func execute(script sql: String) async throws(PostgresError) -> PostgresRows {
        try await run { connection in connection.executeScriptBlocking(sql) }
    }

    private func run(
        _ body: @escaping @Sendable (PostgresConnection) -> Result<PostgresRows, PostgresError>
    ) async throws(PostgresError) -> PostgresRows {
        guard !broken.load(ordering: .acquiring) else {
            throw PostgresError(code: .connectionClosed, reason: "connection was closed earlier")
        }
        cancelRequested.store(false, ordering: .relaxed)
        let outcome: Result<PostgresRows, PostgresError>
        do {
            // A task cancelled while its statement runs asks the waiting thread to cancel it.
            outcome = try await withTaskCancellationHandler {
                try await threads.blocking.runIfActive { body(self) }
            } onCancel: {
                self.cancelRequested.store(true, ordering: .relaxed)
            }
        } catch is CancellationError {
            throw PostgresError(code: .cancelled, reason: "cancelled before the statement was sent")
        } catch {
            throw PostgresError(code: .poolClosed, reason: "the client's thread pool is shut down")
        }
        if case .failure(let error) = outcome, error.code == .connectionClosed {
            broken.store(true, ordering: .releasing)
        }
        return try outcome.get()
    }

    private func executeBlocking(_ query: PostgresQuery) -> Result<PostgresRows, PostgresError> {
        let binds = query.binds.values
        var types: [Oid] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        var offsets: [Int?] = []
        types.reserveCapacity(binds.count)
        lengths.reserveCapacity(binds.count)
        formats.reserveCapacity(binds.count)
        offsets.reserveCapacity(binds.count)
        var buffer: [UInt8] = []
        for (index, bind) in binds.enumerated() {
            types.append(Oid(bind.type.oid))
            switch bind.value {
            case .null:
                offsets.append(nil)
                lengths.append(0)
                formats.append(0)
            case .text(let text):
                let start = buffer.count
                buffer.append(contentsOf: text.utf8)
                if buffer[start...].contains(0) {
                    return .failure(PostgresError(
                        code: .invalidQuery,
                        reason: "text value for $\(index + 1) contains a NUL byte, which PostgreSQL text cannot hold",
                        query: query.sql
                    ))
                }
                buffer.append(0)
                offsets.append(start)
                lengths.append(0)
                formats.append(0)
            case .binary(let bytes):
                offsets.append(buffer.count)
                buffer.append(contentsOf: bytes)
                lengths.append(Int32(clamping: bytes.count))
                formats.append(1)
            }
        }
        buffer.append(0)  // never empty, so the base address exists
        let sent = buffer.withUnsafeBufferPointer { storage -> Bool in
            guard let base = storage.baseAddress else { return false }
            let values: [UnsafePointer<CChar>?] = offsets.map { offset in
                offset.map { UnsafeRawPointer(base + $0).assumingMemoryBound(to: CChar.self) }
            }
            return PQsendQueryParams(handle, query.sql, Int32(binds.count), types, values, lengths, formats, 0) == 1
        }
        guard sent else { return sendFailure(sql: query.sql) }
        return awaitResult(sql: query.sql)
    }

    private func executeScriptBlocking(_ sql: String) -> Result<PostgresRows, PostgresError> {
        if sql.utf8.contains(0) {
            return .failure(PostgresError(code: .invalidQuery, reason: "SQL text contains a NUL byte"))
        }
        guard PQsendQuery(handle, sql) == 1 else { return sendFailure(sql: sql) }
        return awaitResult(sql: sql)
    }

    private func sendFailure(sql: String) -> Result<PostgresRows, PostgresError> {
        .failure(libpqFailure(sql: sql, otherwise: "the statement could not be sent"))
    }

    /// A failure libpq reported without a result: a lost connection when it is no longer OK,
    /// else a server error with `reason`; libpq's own message only in the server message.
    private func libpqFailure(sql: String, otherwise reason: String) -> PostgresError {
        let lost = PQstatus(handle) != CONNECTION_OK
        return PostgresError(
            code: lost ? .connectionClosed : .server,
            reason: lost ? "connection lost" : reason,
            query: sql,
            serverMessage: Self.oneLine(PQerrorMessage(handle))
        )
    }

    // MARK: Awaiting the answer

    /// Collects the answer to the statement just sent, as `PQexec` would (the last result, or
    /// the first error), polling so the deadlines and a cancellation are noticed.
    private func awaitResult(sql: String) -> Result<PostgresRows, PostgresError> {
        var watch = StatementWatch(started: .now, limit: statementLimit, grace: grace)
        var last: OpaquePointer?
        while true {
            if let failure = waitUntilNotBusy(&watch) {
                if let last { PQclear(last) }
                return .failure(PostgresError(
                    code: failure.code, reason: failure.reason, query: sql, serverMessage: failure.serverMessage
                ))
            }
            guard let result = PQgetResult(handle) else { break }
            if let previous = last {
                // Keep the first error, as PQexec does; otherwise the latest result.
                if PQresultStatus(previous) == PGRES_FATAL_ERROR {
                    PQclear(result)
                    continue
                }
                PQclear(previous)
            }
            last = result
        }
        return interpret(last, sql: sql)
    }

    /// What the waiting thread has done about a statement that takes long.
    private struct StatementWatch {
        let started: ContinuousClock.Instant
        /// When to send a cancel request: the server's own timeout plus a grace has passed.
        let cancelAt: ContinuousClock.Instant?
        let grace: Duration
        /// When to give the connection up: a grace after the cancel request.
        var abandonAt: ContinuousClock.Instant?

        init(started: ContinuousClock.Instant, limit: Duration?, grace: Duration) {
            self.started = started
            self.cancelAt = limit.map { started + $0 + grace }
            self.grace = grace
        }
    }

    /// Flushes what is still to send and reads until a result is ready, without blocking for
    /// more than a short poll at a time. Returns why it gave up, if it did.
    private func waitUntilNotBusy(_ watch: inout StatementWatch) -> PostgresError? {
        let socket = PQsocket(handle)
        while true {
            let flush = PQflush(handle)
            if flush < 0 { return lostError() }
            if flush == 0, PQisBusy(handle) == 0 { return nil }
            let now = ContinuousClock.now
            if watch.abandonAt == nil, cancelRequested.load(ordering: .relaxed) || watch.cancelAt.map({ now >= $0 }) == true {
                sendCancelRequest()
                watch.abandonAt = now + watch.grace
            }
            if let abandonAt = watch.abandonAt, now >= abandonAt {
                abandon(socket: socket)
                return PostgresError(
                    code: .connectionClosed,
                    reason: "no answer from the server \(now - watch.started) after the statement was sent, "
                        + "even after a cancel request; connection given up"
                )
            }
            // Short polls, so a cancellation or a deadline is noticed soon.
            var slice = Duration.milliseconds(100)
            if let next = watch.abandonAt ?? watch.cancelAt { slice = min(slice, max(.milliseconds(1), next - now)) }
            guard socket >= 0 else { return lostError() }
            let ready = mpshook_pq_wait(socket, flush == 1 ? 1 : 0, Int32(slice.milliseconds))
            if ready > 0, PQconsumeInput(handle) == 0 { return lostError() }
        }
    }

    private func lostError() -> PostgresError {
        let lost = PQstatus(handle) != CONNECTION_OK
        return PostgresError(
            code: lost ? .connectionClosed : .server,
            reason: lost ? "connection lost" : "reading the answer failed",
            serverMessage: Self.oneLine(PQerrorMessage(handle))
        )
    }

    /// Asks the server, on a separate connection and thread, to cancel the running statement.
    /// A cancel can arrive after the statement ended and hit the next one, so this connection
    /// is not reused afterwards.
    private func sendCancelRequest() {
        retired.store(true, ordering: .releasing)
        guard let cancel = PQgetCancel(handle) else { return }
        let request = CancelRequest(cancel)
        threads.cancels.submit { state in
            if state == .active { _ = mpshook_pq_cancel(request.cancel) }
            PQfreeCancel(request.cancel)
        }
    }

    /// Gives the connection up: marks it broken and shuts its socket down, so the server side
    /// sees it closed and closing it later never waits on a peer that stopped reading.
    private func abandon(socket: Int32) {
        broken.store(true, ordering: .releasing)
        mpshook_pq_shutdown_socket(socket)
    }

    private func interpret(_ result: OpaquePointer?, sql: String) -> Result<PostgresRows, PostgresError> {
        guard let result else { return .failure(libpqFailure(sql: sql, otherwise: "no result from libpq")) }
        let status = PQresultStatus(result)
        if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY {
            return .success(PostgresRows(result: ResultHandle(result)))
        }
        let field = { (code: UInt8) -> String? in
            PQresultErrorField(result, Int32(code)).map { String(cString: $0) }
        }
        let sqlState = field(UInt8(ascii: "C")).map(SQLState.init)
        let message = field(UInt8(ascii: "M")) ?? Self.oneLine(PQresultErrorMessage(result))
        let detail = field(UInt8(ascii: "D"))
        PQclear(result)
        let lost = PQstatus(handle) != CONNECTION_OK
        let code: PostgresError.Code = lost ? .connectionClosed : .server
        let reason: String
        if lost {
            reason = "connection lost"
        } else if let sqlState {
            reason = "server error \(sqlState.rawValue)"
        } else {
            reason = "statement failed"
        }
        return .failure(PostgresError(
            code: code, reason: reason, sqlState: sqlState, query: sql,
            serverMessage: message, serverDetail: detail
        ))
    }

    // MARK: LISTEN support

    /// Waits up to `timeoutMilliseconds` for notifications and returns those that arrived.
    func waitForNotifications(timeoutMilliseconds: Int32) async throws(PostgresError) -> [PostgresNotification] {
        let outcome: Result<[PostgresNotification], PostgresError>
        do {
            outcome = try await threads.blocking.runIfActive { self.pollNotificationsBlocking(timeoutMilliseconds) }
        } catch is CancellationError {
            return []
        } catch {
            throw PostgresError(code: .poolClosed, reason: "the client's thread pool is shut down")
        }
        if case .failure = outcome { broken.store(true, ordering: .releasing) }
        return try outcome.get()
    }

    private func pollNotificationsBlocking(_ timeout: Int32) -> Result<[PostgresNotification], PostgresError> {
        var received = drainNotifications()
        if !received.isEmpty { return .success(received) }
        let socket = PQsocket(handle)
        guard socket >= 0 else {
            return .failure(PostgresError(code: .connectionClosed, reason: "connection has no socket"))
        }
        let ready = mpshook_pq_wait_readable(socket, timeout)
        if ready != 0 {
            // A poll error other than EINTR shows up as a failed read just below.
            if PQconsumeInput(handle) == 0 || PQstatus(handle) != CONNECTION_OK {
                return .failure(PostgresError(
                    code: .connectionClosed, reason: "listening connection lost",
                    serverMessage: Self.oneLine(PQerrorMessage(handle))
                ))
            }
        }
        received = drainNotifications()
        return .success(received)
    }

    private func drainNotifications() -> [PostgresNotification] {
        var received: [PostgresNotification] = []
        while let notify = PQnotifies(handle) {
            let value = notify.pointee
            received.append(PostgresNotification(
                channel: value.relname.map { String(cString: $0) } ?? "",
                payload: value.extra.map { String(cString: $0) } ?? "",
                backendPID: value.be_pid
            ))
            PQfreemem(notify)
        }
        return received
    }

    // MARK: Helpers

    static func oneLine(_ message: UnsafePointer<CChar>?) -> String {
        guard let message else { return "" }
        return String(cString: message)
            .split(whereSeparator: \.isNewline)
            .map { $0.trimmingPrefix(while: \.isWhitespace) }
            .filter { !$0.isEmpty }
            .joined(separator: " ")
    }
}

/// A cancel handle handed to the cancel thread.
private struct CancelRequest: @unchecked Sendable {
    // Safety: a `PGcancel` is independent of its connection (libpq documents `PQcancel` as safe
    // to call from another thread); only the one work item that receives it uses and frees it.
    let cancel: OpaquePointer
    init(_ cancel: OpaquePointer) { self.cancel = cancel }
}

extension Duration {
    /// Whole milliseconds, rounded down, clamped to `Int32` for poll(2) and server settings.
    var milliseconds: Int32 {
        let (seconds, attoseconds) = components
        return Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }
}

/// Calls `body` with a NULL-terminated C array of C strings that live for the call.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    var storage: [[CChar]] = strings.map { Array($0.utf8CString) }
    var pointers: [UnsafePointer<CChar>?] = []
    pointers.reserveCapacity(strings.count + 1)
    return storage.withUnsafeMutableBufferPointer { buffers in
        for index in buffers.indices {
            pointers.append(buffers[index].withUnsafeBufferPointer { UnsafePointer($0.baseAddress) })
        }
        pointers.append(nil)
        return body(pointers)  // the array is never empty (NULL terminator), so this is a valid pointer
    }
}

extension PostgresConnection {
    /// True when no transaction is open on the connection, so the next user starts clean.
    var transactionStatusIsIdle: Bool {
        PQtransactionStatus(handle) == PQTRANS_IDLE
    }
}
