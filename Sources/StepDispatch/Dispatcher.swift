public import Correlation
public import Foundation
public import Logging
import MPS
public import MPSTransport
public import Postgres
public import ServiceLifecycle
import Store
import Workflows

/// Submits pending steps to MPS, at most `callsPerSecond` across every replica, never blindly.
///
/// Calls are spaced evenly through a Postgres-coordinated slot limiter. After the call: a TaskId → `submitted`; a final refusal → `failed`; a retryable one (certainly not
/// executed) → back to pending with backoff and jitter; anything ambiguous → `submit_unknown`,
/// which only its callback or a person resolves. Every call is logged in `attempts`.
///
/// Each claim is leased to this process (a random ``instanceId`` per start) and renewed while
/// its call is in flight (``LeaseKeeper``); sending is committed (`sent_at`) before the call.
/// Every replica sweeps for claims whose lease ran out (``ClaimSweeper``): a process that died
/// mid-submission is found while the service runs, not only at the next start.
public final class Dispatcher: Service, Sendable {
    /// This process's id in the claims it makes (`steps.claimed_by`).
    public let instanceId: UUID
    private let configuration: DispatchConfiguration
    private let client: PostgresClient
    private let mps: MPSClient
    private let tokens: CallbackTokens
    private let steps: StepStore
    private let attempts: AttemptStore
    private let permits: CallPermitStore
    private let leases: LeaseKeeper
    private let sweeper: ClaimSweeper
    private let listener: PostgresListener
    /// True when ``listener`` is this dispatcher's own, run by it (none was shared with it).
    private let runsListener: Bool
    private let logger: Logger

    /// Woken through `listener`, the process's shared one (without it, the dispatcher runs a
    /// listener of its own).
    public init(
        configuration: DispatchConfiguration, client: PostgresClient, mps: MPSClient, tokens: CallbackTokens, logger: Logger,
        instanceId: UUID = UUID(), listener: PostgresListener? = nil
    ) {
        self.instanceId = instanceId
        self.listener = listener ?? PostgresListener(client: client, logger: logger)
        self.runsListener = listener == nil
        self.configuration = configuration
        self.client = client
        self.mps = mps
        self.tokens = tokens
        self.steps = StepStore(client: client)
        self.attempts = AttemptStore(client: client)
        self.permits = CallPermitStore(client: client, bucket: "BatchProcessMedia", limit: configuration.callsPerSecond)
        self.leases = LeaseKeeper(
            lease: ClaimLease(owner: instanceId, duration: configuration.claimLease), renewEvery: configuration.leaseRenewal,
            steps: steps, logger: logger
        )
        self.sweeper = ClaimSweeper(
            rule: ClaimRecovery(unleasedAbandonedAfter: configuration.abandonedAfter), interval: configuration.recoveryInterval,
            steps: steps, logger: logger
        )
        self.logger = logger
    }

    /// Dispatches until graceful shutdown, then claims nothing more and returns once the calls
    /// in flight are answered and recorded: a BatchProcessMedia call is never aborted half-way
    /// (its outcome would be unknown) unless the shutdown's grace period runs out and the task is
    /// cancelled.
    public func run() async throws {
        logger.info("dispatcher started", metadata: ["dispatch.instance": "\(instanceId)"])
        await withDiscardingTaskGroup { group in
            // The leases are renewed until the last call in flight is recorded.
            group.addTask { await self.leases.run() }
            group.addTask { await self.sweeper.run() }
            if self.runsListener {
                group.addTask { try? await self.listener.run() }
            }
            await self.dispatchLoop()
            group.cancelAll()
        }
        logger.info("dispatcher stopped", metadata: ["dispatch.instance": "\(instanceId)"])
    }

    /// True once the dispatcher should claim nothing more: cancelled, or shutting down.
    private var stopping: Bool { Task.isCancelled || Task.isShuttingDownGracefully }

    /// Drains due steps, then waits for a wake-up (a NOTIFY when steps are created or retried,
    /// or the listener re-established) or the poll interval, whichever comes first.
    private func dispatchLoop() async {
        let wakeups = listener.subscribe([JobStore.stepsChannel])
        defer { wakeups.cancel() }
        while !stopping {
            await drain()
            if stopping { break }
            // A delayed step (a retry after its pause) is due before the next poll: wake for it.
            var wait = configuration.pollInterval
            if let due = try? await steps.untilNextDue() { wait = max(.milliseconds(50), min(wait, due)) }
            // A burst of wake-ups is merged into one: one drain. Only the wait ends at shutdown.
            let timeout = wait
            _ = await cancelWhenGracefulShutdown { await wakeups.next(within: timeout) }
        }
    }

    /// Submits due steps until none is left, `concurrency` at a time.
    func drain() async {
        await withTaskGroup(of: Bool.self) { group in
            var running = 0
            var exhausted = false
            // At shutdown no step is claimed any more; those claimed finish (`for await` below).
            while !exhausted, !stopping {
                while running < configuration.concurrency, !exhausted, !stopping {
                    group.addTask { await self.submitNext() }
                    running += 1
                }
                if let more = await group.next() {
                    running -= 1
                    if !more { exhausted = true }
                }
            }
            for await _ in group {}
        }
    }

    /// Claims one due step and submits it (waiting for its call slot). False when none was due.
    ///
    /// The slot is taken after the claim and after the request is built, so that only signing
    /// stands between the slot and the call: the calls reach MPS as evenly spaced as the slots.
    /// A crash during that wait leaves the step `submitting` with no `sent_at`: when its lease
    /// runs out, a sweep puts it back to pending (the request never left the process).
    private func submitNext() async -> Bool {
        do {
            guard let step = try await steps.claimPending(limit: 1, lease: leases.lease).first else { return false }
            leases.hold(step.id)
            defer { leases.release(step.id) }
            await submit(step)
            return true
        } catch {
            logger.error("dispatch failed", metadata: ["error": "\(error)"])
            try? await Task.sleep(for: .seconds(1))
            return false
        }
    }

    private func submit(_ step: ClaimedStep) async {
        let correlation = CorrelationId(step.correlationId)
        let request: BatchProcessMediaRequest
        switch SubmissionRequest.build(
            stored: step.request, sessionContext: step.sessionContext, correlation: correlation,
            tokens: tokens, configuration: configuration
        ) {
        case .success(let built):
            request = built
        case .failure(let problems):
            let message = problems.map(\.description).joined(separator: "; ")
            _ = try? await steps.markFailed(step.id, code: "ClientValidation", message: message)
            logger.warning("step request is invalid; not sent", metadata: ["step.id": "\(step.id)"])
            return
        }
        // The request is built; only signing and sending stand between the slot and the call.
        // The sending is committed just before the slot (half a slot's spacing ahead, so its
        // round trip does not make the call late): from that commit on the call may reach MPS,
        // so a claim that lapses becomes submit_unknown, never pending. Until it, a crash leaves
        // no `sent_at`, and the sweep puts the step back to pending.
        let waitStarted = ContinuousClock.now
        defer { DispatchMetrics.waitedForPermit(permits.bucket, ContinuousClock.now - waitStarted) }
        do {
            try await permits.waitForPermit(lead: permits.spacing / 2, preparing: {
                let owned: Bool
                do {
                    owned = try await self.steps.markSending(step.id, attempt: step.submitAttempts, lease: self.leases.lease)
                } catch {
                    throw NotSent.unrecorded(error)
                }
                guard owned else { throw NotSent.claimLapsed }
            })
        } catch NotSent.claimLapsed {
            // This process stalled past its lease and the claim was recovered, or the step's job
            // was cancelled (which ends a step not sent yet): not ours to send.
            logger.warning("claim lapsed or job cancelled before sending; not sent", metadata: ["step.id": "\(step.id)"])
            return
        } catch {
            // No slot, or the sending not recorded: nothing was sent, so the step can safely go back to pending.
            let code = if case NotSent.unrecorded = error { "SendNotRecorded" } else { "PermitUnavailable" }
            _ = try? await steps.markRetry(step.id, after: .seconds(1), code: code, message: "\(error)", attempt: step.submitAttempts)
            logger.error("not sent", metadata: ["step.id": "\(step.id)", "error.code": "\(code)", "error": "\(error)"])
            return
        }
        let started = Date()
        let clock = ContinuousClock.now
        let created: BatchProcessMediaResponse
        do {
            created = try await mps.batchProcessMedia(request)
        } catch {
            await record(step, started: started, clock: clock, requestId: error.requestId, error: error)
            await settle(step, after: error)
            return
        }
        let taskId = created.taskId ?? ""
        await record(step, started: started, clock: clock, requestId: created.requestId, error: nil)
        do {
            try await steps.markSubmitted(step.id, taskId: taskId)
            logger.info("step submitted", metadata: ["step.id": "\(step.id)", "mps.task_id": "\(taskId)"])
        } catch {
            // The task exists; its callback still finds the step through SessionContext.
            logger.error("could not record a TaskId", metadata: ["step.id": "\(step.id)", "mps.task_id": "\(taskId)", "error": "\(error)"])
        }
    }

    /// Why a claimed step was not sent after all.
    private enum NotSent: Error {
        /// The claim lapsed and was recovered before its sending was recorded.
        case claimLapsed
        /// Recording the sending failed (it may or may not have committed; either way nothing was sent).
        case unrecorded(any Error)
    }

    private func settle(_ step: ClaimedStep, after error: MPSError) async {
        do {
            switch error.errorClass {
            case .final:
                try await steps.markFailed(step.id, code: error.code, message: error.message)
                logger.warning("step refused by MPS", metadata: ["step.id": "\(step.id)", "mps.error": "\(error.code)"])
            case .retryable:
                let delay = Self.backoff(attempt: step.submitAttempts, configuration: configuration)
                try await steps.markRetry(step.id, after: delay, code: error.code, message: error.message, attempt: step.submitAttempts)
                logger.info("step will be retried", metadata: ["step.id": "\(step.id)", "mps.error": "\(error.code)", "delay": "\(delay)"])
            case .ambiguous:
                try await steps.markSubmitUnknown(step.id, code: error.code, message: error.message, attempt: step.submitAttempts)
                logger.warning("step outcome unknown; not resent", metadata: ["step.id": "\(step.id)", "mps.error": "\(error.code)"])
            }
        } catch {
            logger.error("could not record a submission outcome", metadata: ["step.id": "\(step.id)", "error": "\(error)"])
        }
    }

    private func record(_ step: ClaimedStep, started: Date, clock: ContinuousClock.Instant, requestId: String?, error: MPSError?) async {
        let elapsed = ContinuousClock.now - clock
        DispatchMetrics.call("BatchProcessMedia", error: error, elapsed: elapsed)
        let milliseconds = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        do {
            try await attempts.record(AttemptRecord(
                stepId: step.id, action: "BatchProcessMedia", requestId: requestId, errorCode: error?.code,
                errorClass: error?.errorClass.rawValue, httpStatus: error?.httpStatus ?? 200,
                latencyMilliseconds: milliseconds, startedAt: started
            ))
        } catch {
            logger.error("could not log an MPS call", metadata: ["step.id": "\(step.id)", "error": "\(error)"])
        }
    }

    /// Exponential backoff with jitter (50–100 % of the doubled delay), capped.
    static func backoff(attempt: Int, configuration: DispatchConfiguration) -> Duration {
        let base = configuration.initialBackoff * (1 << min(max(0, attempt - 1), 20))
        let capped = min(base, configuration.maximumBackoff)
        return capped * Double.random(in: 0.5...1.0)
    }
}
