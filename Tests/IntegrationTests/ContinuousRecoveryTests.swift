import Correlation
import Foundation
import Hashing
import Logging
import MPSEmulator
import Postgres
import StepDispatch
import Store
import Testing
import TestSupport
import Workflows

/// Steps left `submitting` by a process that died are found while the service runs, through the
/// per-claim leases: back to `pending` when the request certainly never left the process, else
/// `submit_unknown`, never resent; and a live process's claims are never taken from it.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct ContinuousRecoveryTests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    /// The child's lease and sweep interval: short, so the test measures the bound in seconds.
    static let lease: Duration = .milliseconds(1500)
    static let recoveryInterval: Duration = .milliseconds(500)

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func step(_ client: PostgresClient, context: String) async throws -> (state: String, sent: Bool, taskId: String?, error: String?) {
        try await client.query("""
            SELECT state, sent_at IS NOT NULL, task_id, error_code FROM steps WHERE session_context = \(context)
            """)[0].decode((String, Bool, String?, String?).self)
    }

    static func calls(_ running: RunningEmulator, context: String) -> Int {
        running.emulator.calls.filter { $0.action == "BatchProcessMedia" && $0.sessionContext == context }.count
    }

    /// Acceptance 3, first half: a call MPS accepted and then hung on, the process SIGKILLed
    /// mid-call and restarted at once. The restarted process finds the step within the lease
    /// plus one sweep interval, makes it `submit_unknown` (never pending: the call may have made
    /// a task, and it did), never sends it again, and the late callback resolves it.
    @Test func aHungSubmissionKilledMidCallBecomesUnknownWithinTheIntervalAndItsLateCallbackFinishesIt() async throws {
        let emulator = EmulatorConfiguration(
            processingTime: .milliseconds(200), callbackRetryDelay: .milliseconds(200),
            faults: EmulatorFaults(hangAfterCreate: 1, holdCallbacks: true)
        )
        let migrator = try Migrator.load(directory: TestDatabase.repositoryRoot.appendingPathComponent("migrations").path)
        let callbackKeys = "rec:" + Base64URL.encode(SecureRandom.bytes(count: 32))
        try await TestDatabase.withFreshDatabase { url in
            try await TestDatabase.withClient(url: url) { client in
                try await migrator.migrate(client, logger: Self.quiet)
                try await EmulatorServer.withRunningEmulator(configuration: emulator) { running in
                    // The same port for both processes: the task's NotifyUrl names it.
                    let port = try #require(freeLoopbackPort())
                    let settings = [
                        "MPSHOOK_CLAIM_LEASE": "\(Self.seconds(Self.lease))",
                        "MPSHOOK_RECOVERY_INTERVAL": "\(Self.seconds(Self.recoveryInterval))",
                    ]
                    let first = try WorkflowCrashTests.serve(
                        database: url, port: port, emulator: running, callbackKeys: callbackKeys, extra: settings
                    )
                    defer { first.signal(SIGKILL); first.removeFiles() }
                    let context = try #require(try await DispatchIntegrationTests().createJobs(1, url: url).first)

                    let called = try await TestDatabase.eventually(within: .seconds(20)) { Self.calls(running, context: context) == 1 }
                    #expect(called, "log: \(first.standardError.suffix(2000))")
                    // The call is in flight (MPS made the task and holds the answer); its sending was committed.
                    let inFlight = try await Self.step(client, context: context)
                    #expect(inFlight.state == "submitting")
                    #expect(inFlight.sent, "sent_at was not committed before the call")

                    first.signal(SIGKILL)
                    _ = try await first.waitForExit(within: .seconds(10))
                    let killed = ContinuousClock.now
                    let second = try WorkflowCrashTests.serve(
                        database: url, port: port, emulator: running, callbackKeys: callbackKeys, extra: settings
                    )
                    defer { second.signal(SIGKILL); second.removeFiles() }

                    let unknown = try await TestDatabase.eventually(within: .seconds(20)) {
                        try await Self.step(client, context: context).state == "submit_unknown"
                    }
                    let recovery = ContinuousClock.now - killed
                    print("continuous recovery: SIGKILL to submit_unknown in \(recovery) (lease \(Self.lease), sweep every \(Self.recoveryInterval))")
                    #expect(unknown, "log: \(second.standardError.suffix(3000))")
                    // The lease ran out at most `lease` after the kill; the next sweep comes within
                    // one interval of that (plus the restart itself, under a second here).
                    #expect(recovery < Self.lease + Self.recoveryInterval + .seconds(2), "took \(recovery)")
                    #expect(try await Self.step(client, context: context).error == "Interrupted")

                    // Now the late callback: it proves the task exists and finishes the step.
                    running.emulator.faults.holdCallbacks = false
                    let finished = try await TestDatabase.eventually(within: .seconds(20)) {
                        try await Self.step(client, context: context).state == "succeeded"
                    }
                    #expect(finished, "log: \(second.standardError.suffix(3000))")
                    let job = try await client.query("SELECT state FROM jobs")[0].decode(String.self, at: 0)
                    #expect(job == "succeeded")
                    #expect(Self.calls(running, context: context) == 1, "the step was sent again")
                }
            }
        }
    }

    /// A process that died after its claim and before committing `sent_at` (the rows are set as
    /// it left them): the request certainly never left it, so the step goes back to pending and
    /// is sent, once. One that died after committing `sent_at` becomes unknown and is not sent.
    @Test func aLapsedClaimNeverSentIsSentOnceAndOneThatMayHaveBeenSentIsNot() async throws {
        let dispatch = DispatchIntegrationTests()
        try await dispatch.withEnvironment { environment in
            let contexts = try await dispatch.createJobs(2, url: environment.url)
            let (unsent, sent) = (contexts[0], contexts[1])
            try await TestDatabase.withClient(url: environment.url) { client in
                let dead = UUID()
                _ = try await client.query("""
                    UPDATE steps SET state = 'submitting', submit_attempts = 1, claimed_by = \(dead),
                        lease_until = now() - interval '1 second',
                        sent_at = CASE WHEN session_context = \(sent) THEN now() - interval '2 seconds' END
                    """)
            }
            let done = try await dispatch.runDispatchers(environment) { client in
                let resent = try await Self.step(client, context: unsent).state
                let unclear = try await Self.step(client, context: sent).state
                return resent == "submitted" && unclear == "submit_unknown"
            }
            #expect(done)
            #expect(Self.calls(environment.running, context: unsent) == 1)
            #expect(Self.calls(environment.running, context: sent) == 0)
            try await TestDatabase.withClient(url: environment.url) { client in
                #expect(try await Self.step(client, context: sent).error == "Interrupted")
                let leases = try await client.query("SELECT count(*) FROM steps WHERE claimed_by IS NOT NULL OR lease_until IS NOT NULL")
                #expect(try leases[0].decode(Int.self, at: 0) == 0, "a step that left submitting kept its lease")
            }
        }
    }
}
