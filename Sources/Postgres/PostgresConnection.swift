import CLibPQ
import NIOPosix
import Synchronization

/// One libpq connection. Used by one task at a time (the pool hands it out exclusively);
/// every blocking libpq call runs on the client's thread pool, never on the cooperative pool.
public final class PostgresConnection: @unchecked Sendable {
    // Safety: `handle` is only touched by the single task that holds the connection (the pool
    // leases it exclusively), one call at a time, each call finishing before the next starts;
    // `broken` is atomic because the pool reads it after the lease ends. `fatalNotice` is
    // written by libpq's notice receiver on the thread running a libpq call on this connection
    // and read by the same lease holder after that call.
    fileprivate let handle: OpaquePointer
    private let fatalNotice: UnsafeMutablePointer<Int32>
    private let threadPool: NIOThreadPool
    private let broken = Atomic<Bool>(false)

    /// The server process id serving this connection (for `pg_terminate_backend` and logs).
    public let backendPID: Int32

    private init(handle: OpaquePointer, threadPool: NIOThreadPool) {
        self.handle = handle
        self.threadPool = threadPool
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
        _ configuration: PostgresConfiguration, threadPool: NIOThreadPool
    ) async throws(PostgresError) -> PostgresConnection {
        let outcome: Result<PostgresConnection, PostgresError>
        do {
            outcome = try await threadPool.runIfActive { () -> Result<PostgresConnection, PostgresError> in
                connectBlocking(configuration, threadPool: threadPool)
            }
        } catch is CancellationError {
            throw PostgresError(code: .cancelled, reason: "cancelled before connecting")
        } catch {
            throw PostgresError(code: .poolClosed, reason: "the client's thread pool is shut down")
        }
        return try outcome.get()
    }

    private static func connectBlocking(
        _ configuration: PostgresConfiguration, threadPool: NIOThreadPool
    ) -> Result<PostgresConnection, PostgresError> {
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
            ("options", "-c TimeZone=UTC -c DateStyle=ISO,YMD -c extra_float_digits=3"),
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
        return .success(PostgresConnection(handle: handle, threadPool: threadPool))
    }

    /// True until a statement on this connection found it broken.
    public var isUsable: Bool {
        !broken.load(ordering: .acquiring) && PQstatus(handle) == CONNECTION_OK && fatalNotice.pointee == 0
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
        let outcome: Result<PostgresRows, PostgresError>
        do {
            outcome = try await threadPool.runIfActive { body(self) }
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
        let result = buffer.withUnsafeBufferPointer { storage -> OpaquePointer? in
            guard let base = storage.baseAddress else { return nil }
            let values: [UnsafePointer<CChar>?] = offsets.map { offset in
                offset.map { UnsafeRawPointer(base + $0).assumingMemoryBound(to: CChar.self) }
            }
            return PQexecParams(handle, query.sql, Int32(binds.count), types, values, lengths, formats, 0)
        }
        return interpret(result, sql: query.sql)
    }

    private func executeScriptBlocking(_ sql: String) -> Result<PostgresRows, PostgresError> {
        if sql.utf8.contains(0) {
            return .failure(PostgresError(code: .invalidQuery, reason: "SQL text contains a NUL byte"))
        }
        return interpret(PQexec(handle, sql), sql: sql)
    }

    private func interpret(_ result: OpaquePointer?, sql: String) -> Result<PostgresRows, PostgresError> {
        guard let result else {
            let lost = PQstatus(handle) != CONNECTION_OK
            return .failure(PostgresError(
                code: lost ? .connectionClosed : .server,
                reason: lost ? "connection lost" : "no result from libpq",
                query: sql,
                serverMessage: Self.oneLine(PQerrorMessage(handle))
            ))
        }
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
            outcome = try await threadPool.runIfActive { self.pollNotificationsBlocking(timeoutMilliseconds) }
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
