/// Leadership among processes sharing a database: a session-level advisory lock
/// (`pg_try_advisory_lock(key)`) held on a connection of its own, outside the pool, so the lock
/// lives exactly as long as that one session. When the holder dies (SIGKILL, a crash, a lost
/// network, `pg_terminate_backend`) the server ends the session and frees the lock, and the
/// next ``tryAcquire()`` of another process takes it.
///
/// Guarantees: at most one session holds the lock at any instant (the server's lock table says
/// so). What a holder can know is weaker: between two ``check()``s its session may have ended
/// and another process may lead. ``check()`` reports such a loss at once (the session no longer
/// answers, or no longer holds the lock) and drops the connection, so the work a leader guards
/// must stay correct, only wasteful, when two processes briefly both believe they lead.
///
/// One task uses a lock at a time; the actor serialises the calls that reach its connection.
public actor PostgresLeaderLock {
    /// The advisory lock key (one per kind of leadership).
    public nonisolated let key: Int64
    private let configuration: PostgresConfiguration
    private let threads: ConnectionThreads
    /// The dedicated session: kept open by a follower too, so a retry costs one statement.
    private var connection: PostgresConnection?
    private var held = false

    /// - Parameters:
    ///   - client: whose URL and threads the dedicated connection uses (not its pool).
    ///   - statementTimeout: how long an acquire or a check may go unanswered before the
    ///     session is given up (and leadership with it); also the connect timeout, at least 2 s.
    ///   - applicationName: the session's `application_name` (what `pg_stat_activity` shows of
    ///     the holder); by default the client's with `.leader` appended.
    public init(client: PostgresClient, key: Int64, statementTimeout: Duration = .seconds(5), applicationName: String? = nil) {
        self.key = key
        let statementTimeout = max(.milliseconds(100), statementTimeout)
        var configuration = client.configuration
        configuration.statementTimeout = statementTimeout
        // A check that cannot reach the server gives the session up within about twice the timeout.
        configuration.statementTimeoutGrace = max(.milliseconds(100), statementTimeout / 2)
        configuration.connectTimeout = statementTimeout
        configuration.applicationName = applicationName ?? client.configuration.applicationName + ".leader"
        self.configuration = configuration
        self.threads = client.threads
    }

    /// True while this process believes it holds the lock (as of the last acquire or check).
    public var isHeld: Bool { held }

    /// The server process of the dedicated session while the lock is held (for logs and tests).
    public var holderBackendPID: Int32? { held ? connection?.backendPID : nil }

    /// Takes the lock if no other session holds it, without waiting. When this process already
    /// holds it, confirms it as ``check()`` does. Throws only when the database cannot be
    /// reached; then the lock is not held.
    public func tryAcquire() async throws(PostgresError) -> Bool {
        if held { return await check() }
        let session: PostgresConnection
        if let connection, connection.checkIdle() {
            session = connection
        } else {
            connection = nil
            session = try await PostgresConnection.connect(configuration, threads: threads)
            connection = session
        }
        do {
            let rows = try await session.query("SELECT pg_try_advisory_lock(\(key))")
            held = try rows.first?.decode(Bool.self, at: 0) == true
            return held
        } catch {
            drop()
            throw error
        }
    }

    /// Whether the lock is still held: the dedicated session answers and the server lists the
    /// lock as granted to it. Any failure (the session ended, the statement timed out) drops
    /// the session, which frees the lock if the server still had it, and answers false.
    public func check() async -> Bool {
        guard held, let connection else { return false }
        // A session the server ended shows up here without a round trip.
        guard connection.checkIdle() else {
            drop()
            return false
        }
        // pg_locks shows a bigint key as (classid, objid) = (high, low 32 bits), objsubid 1.
        let high = Int64(UInt32(truncatingIfNeeded: key >> 32))
        let low = Int64(UInt32(truncatingIfNeeded: key))
        do {
            let rows = try await connection.query("""
                SELECT EXISTS (
                    SELECT 1 FROM pg_locks
                    WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
                        AND classid = \(high)::oid AND objid = \(low)::oid AND objsubid = 1
                )
                """)
            if try rows.first?.decode(Bool.self, at: 0) == true { return true }
            drop()
            return false
        } catch {
            drop()
            return false
        }
    }

    /// Gives the lock up and closes the dedicated session. Idempotent.
    public func release() async {
        if held, let connection, connection.isUsable {
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(key))")
        }
        drop()
    }

    /// Forgets the session; closing it ends the server session, which frees a lock it held.
    private func drop() {
        held = false
        connection = nil
    }
}
