import Foundation
import Logging
import Store
import Synchronization

/// Keeps this process's claims alive: the steps it is submitting are renewed together, one
/// statement every `renewEvery`, for as long as their call is in flight. A process that dies
/// stops renewing, so its claims lapse and the sweep (``ClaimSweeper``) of any replica finds them.
final class LeaseKeeper: Sendable {
    let lease: ClaimLease
    private let renewEvery: Duration
    private let steps: StepStore
    private let logger: Logger
    private let held = Mutex<Set<UUID>>([])

    init(lease: ClaimLease, renewEvery: Duration, steps: StepStore, logger: Logger) {
        self.lease = lease
        self.renewEvery = renewEvery
        self.steps = steps
        self.logger = logger
    }

    /// Renews `id`'s lease until ``release(_:)``.
    func hold(_ id: UUID) {
        _ = held.withLock { $0.insert(id) }
    }

    func release(_ id: UUID) {
        _ = held.withLock { $0.remove(id) }
    }

    /// The steps whose leases are being kept.
    var holding: Set<UUID> { held.withLock { $0 } }

    /// Renews every held lease once. A failure is logged and retried at the next turn: the
    /// lease outlasts two missed renewals, and a claim that lapses meanwhile is never sent
    /// (``StepStore/markSending(_:attempt:lease:)`` refuses it) or becomes unknown, never resent.
    func renew() async {
        let ids = Array(holding)
        guard !ids.isEmpty else { return }
        do {
            try await steps.renewLeases(ids, lease: lease)
        } catch {
            logger.warning("could not renew claim leases", metadata: ["steps": "\(ids.count)", "error": "\(error)"])
        }
    }

    /// Renews the held leases every `renewEvery` until cancelled.
    func run() async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: renewEvery)
            } catch {
                return
            }
            await renew()
        }
    }
}
