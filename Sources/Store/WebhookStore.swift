public import Foundation
public import Postgres

/// One webhook delivery (a row of the outbox) as the delivery worker claims it.
public struct ClaimedDelivery: Sendable, Equatable {
    /// The Standard Webhooks `webhook-id`: the same on every attempt.
    public var id: UUID
    public var jobId: UUID
    public var url: String
    /// The body, fixed at the first attempt; nil until then.
    public var payload: String?
    /// Attempts made so far in this round (a redelivery starts a new round).
    public var attempts: Int
}

/// A delivery as `mpshook deliveries list` shows it.
public struct DeliveryView: Sendable, Equatable {
    public var id: UUID
    public var jobId: UUID
    public var url: String
    public var state: DeliveryState
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastStatus: Int?
    public var lastError: String?
    public var createdAt: Date
    public var deliveredAt: Date?
}

/// Where a delivery stands (`webhook_deliveries.state`).
public enum DeliveryState: String, Sendable, Hashable, CaseIterable, Codable {
    /// Waiting for its next attempt (`next_attempt_at`).
    case pending
    /// Claimed by a worker until its lease ends (a worker that dies leaves it to be claimed again).
    case delivering
    /// A 2xx answer came.
    case delivered
    /// Every attempt allowed failed, or the URL was refused; a person may redeliver it.
    case failed
}

/// What one attempt came to, for ``WebhookStore/finish(_:attempt:outcome:)``.
public enum DeliveryOutcome: Sendable, Equatable {
    case delivered
    /// Tried again after `delay`.
    case retry(after: Duration)
    case failed
}

/// One attempt as recorded in `webhook_attempts`.
public struct DeliveryAttempt: Sendable, Equatable {
    public var startedAt: Date
    /// nil when no HTTP answer came.
    public var httpStatus: Int?
    public var latencyMilliseconds: Int
    public var error: String?

    public init(startedAt: Date, httpStatus: Int?, latencyMilliseconds: Int, error: String?) {
        self.startedAt = startedAt
        self.httpStatus = httpStatus
        self.latencyMilliseconds = latencyMilliseconds
        self.error = error
    }
}

/// SQL for the "job finished" webhook outbox (`webhook_deliveries`, `webhook_attempts`).
public struct WebhookStore: Sendable {
    /// The channel the delivery workers listen on; notified when a delivery is written or put back.
    public static let channel = "mpshook_webhooks"

    let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// Writes one delivery per job in `jobIds` that has a callback URL, on `connection` inside
    /// the transaction that ends the jobs, and wakes the workers at commit. The same end enqueued twice
    /// writes nothing; an end after a person reopened the job (a new `finished_at`) writes a new
    /// delivery, with its own `webhook-id`.
    ///
    /// The configured default URL is copied into `jobs.callback_url` when a job is created
    /// (``NewJob/callbackURL``), not read here: every path that ends a job (the applier, the
    /// dispatcher's refusal, the reconciler, a person's abandon from the command line) then writes
    /// the same outbox row without being handed configuration, and a job reports to the URL it was
    /// created with.
    static func enqueue(jobIds: [UUID], on connection: PostgresConnection) async throws(PostgresError) {
        guard !jobIds.isEmpty else { return }
        let written = try await connection.query("""
            INSERT INTO webhook_deliveries (id, job_id, job_finished_at, url)
            SELECT gen_random_uuid(), j.id, j.finished_at, j.callback_url
            FROM jobs j
            WHERE j.id = ANY(\(jobIds)::uuid[]) AND j.callback_url IS NOT NULL AND j.finished_at IS NOT NULL
            ON CONFLICT (job_id, job_finished_at) DO NOTHING
            RETURNING id
            """)
        if written.count > 0 {
            _ = try await connection.query("SELECT pg_notify(\(Self.channel), '')")
        }
    }

    /// Claims up to `limit` due deliveries for `lease` (`FOR UPDATE SKIP LOCKED`: replicas never
    /// claim the same one). A `delivering` row whose lease ran out belongs to a worker that died
    /// mid-attempt; it is claimed again and resent with the same `webhook-id`, which is what the
    /// id is for: receivers drop the copy.
    public func claim(limit: Int, lease: Duration) async throws(PostgresError) -> [ClaimedDelivery] {
        let rows = try await client.query("""
            UPDATE webhook_deliveries SET state = 'delivering',
                lease_until = now() + \(lease.milliseconds) * interval '1 millisecond', updated_at = now()
            WHERE id IN (
                SELECT id FROM webhook_deliveries
                WHERE (state = 'pending' AND next_attempt_at <= now()) OR (state = 'delivering' AND lease_until < now())
                ORDER BY next_attempt_at
                LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
            )
            RETURNING id, job_id, url, payload, attempts
            """)
        return try rows.map { row throws(PostgresError) in
            let (id, jobId, url, payload, attempts) = try row.decode((UUID, UUID, String, String?, Int).self)
            return ClaimedDelivery(id: id, jobId: jobId, url: url, payload: payload, attempts: attempts)
        }
    }

    /// Keeps `payload` as the delivery's body unless one is kept already; returns the kept one,
    /// so every attempt sends the same bytes whoever built them.
    public func keepPayload(_ payload: String, for id: UUID) async throws(PostgresError) -> String {
        let rows = try await client.query("""
            UPDATE webhook_deliveries SET payload = coalesce(payload, \(payload)), updated_at = now()
            WHERE id = \(id)
            RETURNING payload
            """)
        guard let row = rows.first else { return payload }
        return try row.decode(String.self, at: 0)
    }

    /// Records `attempt` and moves the delivery by `outcome`, in one transaction, only while it is
    /// still `delivering` (a delivery put back by a person meanwhile keeps its new state; the
    /// attempt is recorded either way). Returns whether the delivery moved.
    @discardableResult
    public func finish(_ id: UUID, attempt: DeliveryAttempt, outcome: DeliveryOutcome) async throws -> Bool {
        let (state, delay): (DeliveryState, Duration) = switch outcome {
        case .delivered: (.delivered, .zero)
        case .retry(let after): (.pending, after)
        case .failed: (.failed, .zero)
        }
        return try await client.withTransaction { connection in
            _ = try await connection.query("""
                INSERT INTO webhook_attempts (delivery_id, started_at, http_status, latency_ms, error)
                VALUES (\(id), \(attempt.startedAt), \(attempt.httpStatus), \(max(0, attempt.latencyMilliseconds)), \(attempt.error))
                """)
            let moved = try await connection.query("""
                UPDATE webhook_deliveries SET state = \(state.rawValue), attempts = attempts + 1,
                    next_attempt_at = now() + \(delay.milliseconds) * interval '1 millisecond',
                    lease_until = NULL, last_status = \(attempt.httpStatus), last_error = \(attempt.error),
                    delivered_at = CASE WHEN \(state.rawValue) = 'delivered' THEN now() ELSE delivered_at END,
                    updated_at = now()
                WHERE id = \(id) AND state = 'delivering'
                RETURNING id
                """)
            return moved.count == 1
        }
    }

    /// Deliveries, newest first; only those in `state` when given.
    public func list(state: DeliveryState? = nil, limit: Int = 100) async throws(PostgresError) -> [DeliveryView] {
        let rows = try await client.query("""
            SELECT id, job_id, url, state, attempts, next_attempt_at, last_status, last_error, created_at, delivered_at
            FROM webhook_deliveries
            WHERE \(state?.rawValue)::text IS NULL OR state = \(state?.rawValue)
            ORDER BY created_at DESC, id
            LIMIT \(limit)
            """)
        return try rows.map { row throws(PostgresError) in
            let (id, jobId, url, state, attempts, next, status, error, created, delivered) =
                try row.decode((UUID, UUID, String, String, Int, Date, Int?, String?, Date, Date?).self)
            guard let parsed = DeliveryState(rawValue: state) else {
                throw PostgresError(code: .decoding, reason: "unknown delivery state \(state)", column: "state")
            }
            return DeliveryView(
                id: id, jobId: jobId, url: url, state: parsed, attempts: attempts, nextAttemptAt: next, lastStatus: status,
                lastError: error, createdAt: created, deliveredAt: delivered
            )
        }
    }

    /// Every attempt of delivery `id`, oldest first.
    public func attempts(of id: UUID) async throws(PostgresError) -> [DeliveryAttempt] {
        let rows = try await client.query("""
            SELECT started_at, http_status, latency_ms, error FROM webhook_attempts
            WHERE delivery_id = \(id) ORDER BY started_at, id
            """)
        return try rows.map { row throws(PostgresError) in
            let (started, status, latency, error) = try row.decode((Date, Int?, Int, String?).self)
            return DeliveryAttempt(startedAt: started, httpStatus: status, latencyMilliseconds: latency, error: error)
        }
    }

    /// What a redelivery did.
    public enum Redelivery: Sendable, Equatable {
        /// Back to pending, due now, from `previous`.
        case queued(previous: DeliveryState)
        /// It is pending or being delivered already: nothing changed.
        case alreadyQueued(DeliveryState)
        case notFound
    }

    /// Puts a `failed` (or `delivered`) delivery back to pending, due now, for a new round of
    /// attempts (its counter restarts; the attempts made stay in `webhook_attempts`), with its
    /// payload and `webhook-id` unchanged, and records who did it and why in `operator_actions`.
    public func redeliver(_ id: UUID, actor: String, reason: String) async throws -> Redelivery {
        try await client.withTransaction { connection in
            let rows = try await connection.query("""
                SELECT state, job_id, attempts, last_status, last_error FROM webhook_deliveries WHERE id = \(id) FOR UPDATE
                """)
            guard let row = rows.first else { return .notFound }
            let (raw, jobId, attempts, status, error) = try row.decode((String, UUID, Int, Int?, String?).self)
            guard let state = DeliveryState(rawValue: raw) else {
                throw PostgresError(code: .decoding, reason: "unknown delivery state \(raw)", column: "state")
            }
            guard state == .failed || state == .delivered else { return .alreadyQueued(state) }
            _ = try await connection.query("""
                UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_at = now(), lease_until = NULL,
                    updated_at = now()
                WHERE id = \(id)
                """)
            let before = Self.json(["delivery": id.uuidString.lowercased(), "state": raw, "attempts": attempts, "last_status": status, "last_error": error])
            let after = Self.json(["delivery": id.uuidString.lowercased(), "state": "pending", "attempts": 0])
            _ = try await connection.query("""
                INSERT INTO operator_actions (actor, action, job_id, reason, before, after)
                VALUES (\(actor), 'webhook.redeliver', \(jobId), \(reason), \(JSONBText(before)), \(JSONBText(after)))
                """)
            _ = try await connection.query("SELECT pg_notify(\(Self.channel), '')")
            return .queued(previous: state)
        }
    }

    private static func json(_ members: [String: Any?]) -> String {
        let object = members.compactMapValues { $0 }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}

extension Duration {
    /// Whole milliseconds, for SQL intervals.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
