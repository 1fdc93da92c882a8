import Foundation
public import Logging
import Metrics
import MPS
public import MPSTransport
public import Postgres
public import ServiceLifecycle
import Store
import Workflows

/// Finds lost callbacks: queries MPS (`DescribeBatchTaskDetail`) for steps whose final callback
/// has not come within their deadline, and gives up on steps nothing can be learnt about any more.
///
/// Runs in every replica; one leads at a time, through a session advisory lock on a connection of
/// its own (``PostgresLeaderLock``). The others try to take the lock every
/// `leaderCheckInterval`, so when the leader dies or loses its connection another leads within
/// about that long. The leader confirms its lock as often, and between rounds of polls.
///
/// What to do with each step is ``ReconcilePolicy``'s decision. A polled answer is stored as a
/// notification (`source = 'poll'`: `{"EventType":"BatchTask","BatchTaskEvent":<the answer's
/// BatchTaskResult, as received>,"SessionContext":<the step's>}`) and applied by the applier like
/// a callback: forward-only, idempotent, follow-ups planned once; a callback arriving after it
/// changes nothing it applied, and the same answer twice is one row. Polls have a call budget of
/// their own in the permit store (`DescribeBatchTaskDetail`, shared by every replica), never
/// `BatchProcessMedia`'s; every call is logged in `attempts`. Nothing here sends a task again.
///
/// Two replicas that both believe they lead for a moment (the old leader's session ended
/// between two checks) poll some steps twice: wasteful, still within the shared budget, and
/// harmless, since applying is idempotent.
public final class Reconciler: Service, Sendable {
    /// The advisory lock key of the reconciler's leadership ("mpsh.rec" in ASCII).
    public static let lockKey: Int64 = 0x6D70_7368_2E72_6563
    /// The action polls call, and their bucket in the permit store.
    public static let action = "DescribeBatchTaskDetail"

    private let configuration: ReconcilerConfiguration
    private let mps: MPSClient
    private let store: ReconcileStore
    private let attempts: AttemptStore
    private let permits: CallPermitStore
    private let lock: PostgresLeaderLock
    private let logger: Logger

    public init(configuration: ReconcilerConfiguration, client: PostgresClient, mps: MPSClient, logger: Logger) {
        self.configuration = configuration
        self.mps = mps
        self.store = ReconcileStore(client: client)
        self.attempts = AttemptStore(client: client)
        self.permits = CallPermitStore(client: client, bucket: Self.action, limit: configuration.callsPerSecond)
        // A check that goes unanswered for about a check interval gives leadership up.
        // Named for this process, so `pg_stat_activity` tells which replica leads.
        self.lock = PostgresLeaderLock(
            client: client, key: Self.lockKey, statementTimeout: max(.seconds(1), configuration.leaderCheckInterval),
            applicationName: "mpshook.reconciler.\(ProcessInfo.processInfo.processIdentifier)"
        )
        self.logger = logger
    }

    /// Takes part until graceful shutdown, then gives the lock up (so another replica leads at once).
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.loop()
        }
        await lock.release()
        ReconcilerMetrics.leader.record(0)
    }

    private func loop() async {
        var leading = false
        var nextRound = ContinuousClock.now
        while !Task.isCancelled {
            leading = await confirmLeadership(was: leading)
            if leading, ContinuousClock.now >= nextRound {
                let started = ContinuousClock.now
                let more = await rounds(until: started + configuration.leaderCheckInterval)
                nextRound = more ? .now : started + configuration.interval
            }
            var wake = ContinuousClock.now + configuration.leaderCheckInterval
            if leading { wake = min(wake, nextRound) }
            try? await Task.sleep(until: wake, clock: .continuous)
        }
    }

    /// Takes the lock, or confirms it is still held; reports a change of leadership.
    private func confirmLeadership(was leading: Bool) async -> Bool {
        let now: Bool
        do {
            now = try await lock.tryAcquire()
        } catch {
            logger.debug("the reconciler's lock cannot be reached", metadata: ["error": "\(error)"])
            now = false
        }
        if now != leading {
            ReconcilerMetrics.leader.record(now ? 1 : 0)
            if now {
                ReconcilerMetrics.leaderChanges.increment()
                let pid = await lock.holderBackendPID ?? 0
                logger.info("leading the reconciler", metadata: ["postgres.pid": "\(pid)"])
            } else {
                logger.warning("no longer leading the reconciler: its lock's connection was lost")
            }
        }
        return now
    }

    /// Rounds while a full batch was due, up to `deadline` (the next leadership check).
    /// Returns whether more may be due.
    private func rounds(until deadline: ContinuousClock.Instant) async -> Bool {
        while !Task.isCancelled {
            let result = await round()
            if !result.more { return false }
            if ContinuousClock.now >= deadline { return true }
        }
        return false
    }

    /// One look at the steps due: each is scheduled, expired or polled as the policy decides.
    /// `more` when a full batch was taken and no rate limit was met.
    func round() async -> (more: Bool, rateLimited: Bool) {
        ReconcilerMetrics.rounds.increment()
        let due: (now: Date, steps: [ReconcileCandidate])
        do {
            due = try await store.due(limit: configuration.batchSize)
        } catch {
            logger.warning("the reconciler cannot read the steps due", metadata: ["error": "\(error)"])
            return (false, false)
        }
        let readAt = ContinuousClock.now
        let policy = configuration.policy
        var waits: [(stepId: UUID, at: Date)] = []
        var polls: [ReconcileCandidate] = []
        for step in due.steps {
            switch policy.decide(step.facts, now: due.now) {
            case .pollNow where step.taskId != nil:
                polls.append(step)
            case .waitUntil(let at):
                waits.append((step.id, at))
            case .expire(let reason):
                await expire(step, reason: reason)
            case .pollNow, .ignore:
                // Not expected for the states read; kept from the head of the queue all the same.
                waits.append((step.id, due.now + policy.maximumPollInterval))
            }
        }
        do {
            try await store.schedule(waits)
        } catch {
            logger.warning("the reconciler cannot schedule its next polls", metadata: ["error": "\(error)"])
        }
        let rateLimited = await poll(polls, now: due.now, readAt: readAt)
        return (due.steps.count == configuration.batchSize && !rateLimited, rateLimited)
    }

    /// Polls `steps`, `concurrency` at a time; stops starting new ones after a rate limit.
    /// Returns whether one was met.
    private func poll(_ steps: [ReconcileCandidate], now: Date, readAt: ContinuousClock.Instant) async -> Bool {
        await withTaskGroup(of: PollOutcome.self) { group in
            var remaining = steps.makeIterator()
            var running = 0
            var rateLimited = false
            while running < configuration.concurrency, let step = remaining.next() {
                group.addTask { await self.poll(step, now: now, readAt: readAt) }
                running += 1
            }
            while let outcome = await group.next() {
                running -= 1
                if outcome == .rateLimited { rateLimited = true }
                if !rateLimited, !Task.isCancelled, let step = remaining.next() {
                    group.addTask { await self.poll(step, now: now, readAt: readAt) }
                    running += 1
                }
            }
            return rateLimited
        }
    }

    /// One `DescribeBatchTaskDetail` call for `step`, in its turn of the budget; the answer stored
    /// as a polled notification, the call logged and counted, the next poll scheduled.
    private func poll(_ step: ReconcileCandidate, now databaseNow: Date, readAt: ContinuousClock.Instant) async -> PollOutcome {
        guard let taskId = step.taskId else { return .skipped }
        let waitStarted = ContinuousClock.now
        do {
            try await permits.waitForPermit()
            DispatchMetrics.waitedForPermit(Self.action, ContinuousClock.now - waitStarted)
        } catch {
            DispatchMetrics.waitedForPermit(Self.action, ContinuousClock.now - waitStarted)
            // No call made: the step stays due for the next round.
            logger.warning("no call slot for a poll", metadata: ["step.id": "\(step.id)", "error": "\(error)"])
            return .skipped
        }
        let startedAt = Date()
        let started = ContinuousClock.now
        // The database's clock at the call: every replica schedules by that one clock.
        let polledAt = databaseNow + (started - readAt)
        let policy = configuration.policy
        let described: DescribedBatchTask
        do {
            described = try await mps.describeBatchTask(taskId: taskId)
        } catch {
            await record(step, startedAt: startedAt, started: started, requestId: error.requestId, error: error)
            if error.code.hasPrefix("RequestLimitExceeded") {
                // Not a poll of the step: it stays due; the round stops and the next one waits.
                ReconcilerMetrics.count(.rateLimited)
                logger.info("polls rate-limited by MPS; backing off", metadata: ["step.id": "\(step.id)"])
                return .rateLimited
            }
            await recordPoll(step, at: polledAt, next: policy.nextPoll(policy.polled(step.facts, at: polledAt)))
            if ReconcilePolicy.taskNotFoundCodes.contains(error.code) {
                ReconcilerMetrics.count(.notFound)
                if case .expire(let reason) = policy.afterNotFound(step.facts, now: polledAt) {
                    await expire(step, reason: reason)
                }
                return .notFound
            }
            ReconcilerMetrics.count(.error)
            logger.warning("a poll failed; retried later", metadata: [
                "step.id": "\(step.id)", "mps.task_id": "\(taskId)", "mps.error": "\(error.code)",
            ])
            return .error
        }
        await record(step, startedAt: startedAt, started: started, requestId: described.response.requestId, error: nil)
        await recordPoll(step, at: polledAt, next: policy.nextPoll(policy.polled(step.facts, at: polledAt)))
        let outcome = await storeAnswer(described, for: step)
        ReconcilerMetrics.count(outcome)
        logger.debug("step polled", metadata: [
            "step.id": "\(step.id)", "mps.task_id": "\(taskId)", "mps.status": "\(described.response.status?.rawValue ?? "")",
            "reconcile.outcome": "\(outcome.rawValue)",
        ])
        return outcome
    }

    /// Stores the answer as the notification MPS would have sent, read by the door's own reader
    /// first (`NotificationVerifier.read`: its content hash, and a body the applier can read).
    private func storeAnswer(_ described: DescribedBatchTask, for step: ReconcileCandidate) async -> PollOutcome {
        guard let event = described.batchTaskResult else { return .empty }
        guard let body = Self.notificationBody(event: event, sessionContext: step.sessionContext),
            let text = String(validating: body, as: UTF8.self),
            case .success(let (envelope, fingerprint)) = NotificationVerifier.read(body)
        else {
            logger.warning("a polled answer cannot be read as a notification; not stored", metadata: ["step.id": "\(step.id)"])
            return .unreadable
        }
        let notification = IncomingNotification(
            contentHash: fingerprint, correlationId: step.correlationId, sessionContext: envelope.sessionContext,
            eventType: envelope.eventType, body: text
        )
        do {
            return try await store.storePolled(notification) ? .stored : .unchanged
        } catch {
            logger.warning("a polled answer could not be stored; polled again later", metadata: ["step.id": "\(step.id)", "error": "\(error)"])
            return .error
        }
    }

    /// `{"EventType":"BatchTask","BatchTaskEvent":<event>,"SessionContext":<context>}`.
    static func notificationBody(event: [UInt8], sessionContext: String) -> [UInt8]? {
        guard let context = try? MPSJSON.encoder.encode(sessionContext) else { return nil }
        var body = Array(#"{"EventType":"BatchTask","BatchTaskEvent":"#.utf8)
        body += event
        body += Array(#","SessionContext":"#.utf8)
        body += Array(context)
        body.append(UInt8(ascii: "}"))
        return body
    }

    private func expire(_ step: ReconcileCandidate, reason: LossReason) async {
        do {
            guard try await store.expire(stepId: step.id, state: step.facts.state, lastReportAt: step.facts.lastReportAt, reason: reason) else {
                return
            }
            ReconcilerMetrics.lost(reason)
            logger.warning("step is lost: no final callback, and MPS cannot tell", metadata: [
                "step.id": "\(step.id)", "mps.task_id": "\(step.taskId ?? "")", "reconcile.reason": "\(reason.rawValue)",
            ])
        } catch {
            logger.warning("could not mark a step lost", metadata: ["step.id": "\(step.id)", "error": "\(error)"])
        }
    }

    private func recordPoll(_ step: ReconcileCandidate, at: Date, next: Date) async {
        do {
            try await store.recordPoll(stepId: step.id, at: at, next: next)
        } catch {
            logger.warning("could not record a poll", metadata: ["step.id": "\(step.id)", "error": "\(error)"])
        }
    }

    private func record(_ step: ReconcileCandidate, startedAt: Date, started: ContinuousClock.Instant, requestId: String?, error: MPSError?) async {
        let elapsed = ContinuousClock.now - started
        DispatchMetrics.call(Self.action, error: error, elapsed: elapsed)
        let milliseconds = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        do {
            try await attempts.record(AttemptRecord(
                stepId: step.id, action: Self.action, requestId: requestId, errorCode: error?.code,
                errorClass: error?.errorClass.rawValue, httpStatus: error?.httpStatus ?? 200,
                latencyMilliseconds: milliseconds, startedAt: startedAt
            ))
        } catch {
            logger.warning("could not log an MPS call", metadata: ["step.id": "\(step.id)", "error": "\(error)"])
        }
    }
}

/// What one poll came to (the `outcome` of `mpshook_reconciler_polls_total`).
enum PollOutcome: String, CaseIterable, Sendable {
    /// The answer was stored as a new polled notification.
    case stored
    /// The same answer was stored before.
    case unchanged
    /// The answer carried no BatchTaskResult.
    case empty
    /// The answer could not be read as a notification.
    case unreadable
    /// MPS does not know the task.
    case notFound = "not_found"
    /// MPS refused the call for its rate.
    case rateLimited = "rate_limited"
    /// Another failure (network, MPS, the database).
    case error
    /// No call was made (no slot, no TaskId).
    case skipped
}

/// The reconciler's counters and gauge: rounds run (by the leader), polls by outcome, steps
/// found lost by reason, leadership.
public enum ReconcilerMetrics {
    static let polls: [PollOutcome: Counter] = Dictionary(uniqueKeysWithValues: PollOutcome.allCases.map { outcome in
        (outcome, Counter(label: "mpshook_reconciler_polls_total", dimensions: [("outcome", outcome.rawValue)]))
    })
    static let lostSteps: [LossReason: Counter] = Dictionary(uniqueKeysWithValues: LossReason.allCases.map { reason in
        (reason, Counter(label: "mpshook_reconciler_lost_steps_total", dimensions: [("reason", reason.rawValue)]))
    })
    /// How often this replica became the leader.
    static let leaderChanges = Counter(label: "mpshook_reconciler_leader_changes_total")
    /// 1 while this replica leads.
    static let leader = Gauge(label: "mpshook_reconciler_leader")
    /// Rounds of looking at the steps due (only the leader runs them).
    static let rounds = Counter(label: "mpshook_reconciler_rounds_total")

    /// Makes every series now, so each is scraped (at zero) before its first event.
    public static func prepare() {
        _ = (polls, lostSteps, leaderChanges, leader, rounds)
        leader.record(0)
    }

    static func count(_ outcome: PollOutcome) { polls[outcome]?.increment() }
    static func lost(_ reason: LossReason) { lostSteps[reason]?.increment() }
}

extension Date {
    /// `self` moved by `duration`.
    fileprivate static func + (date: Date, duration: Duration) -> Date {
        let (seconds, attoseconds) = duration.components
        return date.addingTimeInterval(Double(seconds) + Double(attoseconds) / 1e18)
    }
}
