import Correlation
import Foundation
import MPSEmulator
import Postgres
import Store
import Testing

/// Retention inside `mpshook serve` (the whole service, ``Spine``): it runs only when turned on.
/// Runs in the test command's one-at-a-time pass: beside hundreds of other tests a pass that
/// takes milliseconds alone has waited tens of seconds for the machine.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct RetentionServiceTests {
    /// `serve` runs retention only when `MPSHOOK_RETENTION` turns it on: with it on (a one-second
    /// interval), an old notification of a finished job loses its body within seconds while a
    /// recent one stays whole; with it off (the default) the same old row stays whole.
    @Test(arguments: [true, false])
    func theServicePrunesOnlyWhenTurnedOn(_ enabled: Bool) async throws {
        let environment = enabled
            ? ["MPSHOOK_RETENTION": "on", "MPSHOOK_RETENTION_AGE": "1d", "MPSHOOK_RETENTION_INTERVAL": "1"]
            : ["MPSHOOK_RETENTION_AGE": "1d", "MPSHOOK_RETENTION_INTERVAL": "1"]
        try await Spine.run(replicas: 1, emulator: EmulatorConfiguration(), environment: environment) { url, _ in
            try await TestDatabase.withClient(url: url) { client in
                // Its step is created due in an hour, so the running dispatcher never claims it
                // before the helper moves it to `submitted`.
                let finished = try await RetentionTests.job(client, state: "succeeded", dueIn: 3600).correlation
                let old = try await RetentionTests.insert(client, correlation: finished.uuid, outcome: "applied", received: Date(timeIntervalSinceNow: -2 * RetentionTests.day))
                let recent = try await RetentionTests.insert(client, correlation: finished.uuid, outcome: "applied", received: Date(timeIntervalSinceNow: -3600))
                // Enabled: pruned by the pass after the insert (passes start every second); the
                // wait ends as soon as it is. Disabled: three seconds (three passes' worth) see it whole.
                let deadline = ContinuousClock.now + .seconds(enabled ? 60 : 3)
                var stored = try await RetentionTests.stored(client)
                while ContinuousClock.now < deadline, stored[old]?.prunedAt == nil {
                    try await Task.sleep(for: .milliseconds(100))
                    stored = try await RetentionTests.stored(client)
                }
                let why = try await Self.why(client, finished)
                #expect((stored[old]?.prunedAt != nil) == enabled, "\(why)")
                #expect(stored[old]?.body.isEmpty == enabled)
                #expect(stored[recent]?.prunedAt == nil && stored[recent]?.body.isEmpty == false)
            }
        }
    }

    /// What a failure needs to tell apart: the job's and step's states now, and how many rows a
    /// pass would take (none: something made them unprunable; some: the service ran no pass).
    static func why(_ client: PostgresClient, _ correlation: CorrelationId) async throws -> String {
        let states = try await client.query("""
            SELECT j.state::text, s.state::text FROM steps s JOIN jobs j ON j.id = s.job_id WHERE s.correlation_id = \(correlation.uuid)
            """).map { try $0.decode((String, String).self) }
        let prunable = try await RetentionStore(client: client).count(notificationsBefore: Date(timeIntervalSinceNow: -RetentionTests.day), attemptsBefore: nil)
        return "job and step states \(states); prunable now: \(prunable.notifications)"
    }
}
