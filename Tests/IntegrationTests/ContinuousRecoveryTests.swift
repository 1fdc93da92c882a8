import Correlation
import Foundation
import Hashing
import Logging
import MPSEmulator
import Postgres
import StepDispatch
import Store
import Synchronization
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

    /// A live process's call that takes longer than its lease is not swept, by its own sweeper
    /// or another replica's, both sweeping every 100 ms: the lease is renewed while the call is
    /// in flight, and the step ends as the call's own outcome says (here a client timeout after
    /// 2 s: unknown, from the call, not `Interrupted` from a sweep).
    @Test func aLiveCallLongerThanItsLeaseKeepsItsClaimWhileTwoReplicasSweep() async throws {
        var emulator = EmulatorConfiguration(processingTime: .seconds(60), callbackRetries: 0)
        emulator.faults.hangAfterCreate = 1
        let dispatch = DispatchIntegrationTests()
        let lease: Duration = .milliseconds(900)
        try await dispatch.withEnvironment(emulator: emulator) { environment in
            let context = try #require(try await dispatch.createJobs(1, url: environment.url).first)
            let observations = Observations()
            let done = try await dispatch.runDispatchers(environment, replicas: 2, configure: {
                $0.claimLease = lease
                $0.recoveryInterval = .milliseconds(100)
            }) { client in
                let row = try await client.query("""
                    SELECT state, lease_until > now(), error_code FROM steps WHERE session_context = \(context)
                    """)[0].decode((String, Bool?, String?).self)
                observations.record(state: row.0, leaseLive: row.1, at: .now)
                return row.0 != "submitting" && row.0 != "pending"
            }
            #expect(done)
            let seen = observations.all
            let submitting = seen.filter { $0.state == "submitting" }
            let span = (submitting.last?.at ?? .now) - (submitting.first?.at ?? .now)
            #expect(span > lease * 1.5, "the call was in flight only \(span), not longer than the lease")
            #expect(submitting.allSatisfy { $0.leaseLive == true }, "a lease of a live call lapsed")
            let sinceClaimed = seen.drop { $0.state == "pending" }
            #expect(!sinceClaimed.contains { $0.state == "pending" }, "a live claim went back to pending")
            try await TestDatabase.withClient(url: environment.url) { client in
                let step = try await Self.step(client, context: context)
                #expect(step.state == "submit_unknown")
                #expect(step.error != "Interrupted", "a sweep took the live claim")
                let attempts = try await client.query("SELECT error_class FROM attempts")
                #expect(try attempts.map { try $0.decode(String?.self, at: 0) } == ["ambiguous"])
            }
            #expect(Self.calls(environment.running, context: context) == 1)
        }
    }

    /// What the observer saw of the step, poll by poll.
    final class Observations: Sendable {
        struct Seen: Sendable {
            var state: String
            var leaseLive: Bool?
            var at: ContinuousClock.Instant
        }

        private let seen = Mutex<[Seen]>([])

        func record(state: String, leaseLive: Bool?, at: ContinuousClock.Instant) {
            seen.withLock { $0.append(Seen(state: state, leaseLive: leaseLive, at: at)) }
        }

        var all: [Seen] { seen.withLock { $0 } }
    }

    /// The sweep moves only claims whose lease ran out (or unleased ones past the old timeout):
    /// another process's live claims, sent or not, are left exactly as they are.
    @Test func theSweepNeverTouchesAnotherLiveProcesssClaims() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let other = UUID()
            struct Row {
                var lease: String?
                var sent: Bool
                var age: String
                var expected: String
            }
            let rows: [String: Row] = [
                "live unsent": Row(lease: "1 minute", sent: false, age: "0 seconds", expected: "submitting"),
                "live sent": Row(lease: "1 minute", sent: true, age: "0 seconds", expected: "submitting"),
                "live, claimed long ago": Row(lease: "1 minute", sent: true, age: "1 hour", expected: "submitting"),
                "lapsed unsent": Row(lease: "-1 second", sent: false, age: "0 seconds", expected: "pending"),
                "lapsed sent": Row(lease: "-1 second", sent: true, age: "0 seconds", expected: "submit_unknown"),
                "unleased, young": Row(lease: nil, sent: false, age: "1 minute", expected: "submitting"),
                "unleased, old": Row(lease: nil, sent: false, age: "3 minutes", expected: "submit_unknown"),
            ]
            var ids: [String: UUID] = [:]
            for (name, row) in rows {
                let (_, _, id) = try await TestDatabase.createStep(client)
                _ = try await client.query("""
                    UPDATE steps SET state = 'submitting', submit_attempts = 1,
                        claimed_by = CASE WHEN \(row.lease)::text IS NOT NULL THEN \(other) END,
                        lease_until = now() + \(row.lease)::interval,
                        sent_at = CASE WHEN \(row.sent) THEN now() END,
                        updated_at = now() - \(row.age)::interval
                    WHERE id = \(id)
                    """)
                ids[name] = id
            }
            let leases = "SELECT id, claimed_by, lease_until, sent_at FROM steps ORDER BY id"
            let before = try await client.query(PostgresQuery(unsafeSQL: leases)).map { try $0.decode((UUID, UUID?, Date?, Date?).self) }

            let recovered = try await StepStore(client: client).recoverLapsedClaims(ClaimRecovery(unleasedAbandonedAfter: .seconds(120)))
            #expect(recovered.requeued == [ids["lapsed unsent"]].compactMap { $0 })
            #expect(Set(recovered.unclear) == Set([ids["lapsed sent"], ids["unleased, old"]].compactMap { $0 }))
            // A second sweep finds nothing more to do.
            #expect(try await StepStore(client: client).recoverLapsedClaims(ClaimRecovery(unleasedAbandonedAfter: .seconds(120))).count == 0)

            let after = try await client.query(PostgresQuery(unsafeSQL: leases)).map { try $0.decode((UUID, UUID?, Date?, Date?).self) }
            for (name, row) in rows {
                let id = try #require(ids[name])
                let state = try await client.query("SELECT state FROM steps WHERE id = \(id)")[0].decode(String.self, at: 0)
                #expect(state == row.expected, "\(name): \(state)")
                if row.expected == "submitting" {
                    let was = before.first { $0.0 == id }, now = after.first { $0.0 == id }
                    #expect(was?.1 == now?.1 && was?.2 == now?.2 && was?.3 == now?.3, "\(name): its lease was changed")
                }
            }
        }
    }

    /// The request leaves the process only after `sent_at` is committed, and that commit is
    /// refused unless the step is still this process's claim: not another's, not an earlier
    /// claim's, not one that lapsed and was recovered, and not twice.
    @Test func sendingIsRecordedOnlyForTheProcesssOwnLiveClaim() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let store = StepStore(client: client)
            let (_, _, id) = try await TestDatabase.createStep(client)
            let mine = ClaimLease(owner: UUID(), duration: .seconds(30))
            let theirs = ClaimLease(owner: UUID(), duration: .seconds(30))
            let claim = try #require(try await store.claimPending(limit: 1, lease: mine).first)
            #expect(claim.id == id)
            #expect(!(try await store.markSending(id, attempt: claim.submitAttempts, lease: theirs)))
            #expect(!(try await store.markSending(id, attempt: claim.submitAttempts - 1, lease: mine)))
            #expect(try await store.renewLeases([id], lease: theirs) == 0)
            #expect(try await store.renewLeases([id], lease: mine) == 1)
            #expect(try await store.markSending(id, attempt: claim.submitAttempts, lease: mine))
            #expect(!(try await store.markSending(id, attempt: claim.submitAttempts, lease: mine)), "recorded as sent twice")

            // A second step whose claim lapsed before sending: recovered to pending, then too late to send.
            let (_, _, lapsedId) = try await TestDatabase.createStep(client)
            let short = ClaimLease(owner: mine.owner, duration: .milliseconds(1))
            let lapsed = try #require(try await store.claimPending(limit: 1, lease: short).first)
            #expect(lapsed.id == lapsedId)
            let swept = try await TestDatabase.eventually {
                try await store.recoverLapsedClaims(ClaimRecovery(unleasedAbandonedAfter: .seconds(120))).requeued == [lapsedId]
            }
            #expect(swept)
            #expect(!(try await store.markSending(lapsedId, attempt: lapsed.submitAttempts, lease: mine)))
            #expect(try await store.step(id: lapsedId)?.state == .pending)
            // The sent one, meanwhile, is still a live claim.
            #expect(try await store.step(id: id)?.state == .submitting)
        }
    }
}
