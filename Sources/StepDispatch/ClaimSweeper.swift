import Foundation
import Logging
import Store
import Workflows

/// Finds steps left `submitting` by a process that died, while the service runs: every
/// `interval`, claims whose lease ran out go back to `pending` when their request certainly
/// never left the process, else to `submit_unknown` (never resent); ``ClaimRecovery`` decides.
/// Every replica sweeps; the statements' guards make two sweeps of one claim harmless.
struct ClaimSweeper: Sendable {
    let rule: ClaimRecovery
    let interval: Duration
    let steps: StepStore
    let logger: Logger

    /// One pass; logs what it moved.
    func sweep() async {
        do {
            let recovered = try await steps.recoverLapsedClaims(rule)
            if !recovered.requeued.isEmpty {
                logger.warning(
                    "steps claimed by a stopped process and never sent are pending again",
                    metadata: ["steps": "\(recovered.requeued.count)"]
                )
            }
            if !recovered.unclear.isEmpty {
                logger.warning(
                    "steps left submitting by a stopped process are now submit_unknown (not resent)",
                    metadata: ["steps": "\(recovered.unclear.count)"]
                )
            }
        } catch {
            logger.error("could not recover abandoned submissions", metadata: ["error": "\(error)"])
        }
    }

    /// Sweeps at once, then every `interval`, until cancelled.
    func run() async {
        while !Task.isCancelled {
            await sweep()
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
        }
    }
}
