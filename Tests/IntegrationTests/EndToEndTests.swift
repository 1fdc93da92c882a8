import App
import Correlation
import Curl
import Foundation
import Hashing
import Hummingbird
import Logging
import MPSEmulator
import NIOPosix
import Postgres
import Prometheus
import ServiceLifecycle
import Store
import Testing
import TestSupport

/// The whole spine in one process: the app (door, applier, dispatcher) on a real port, the
/// emulator calling it back, a real PostgreSQL. Jobs are created through the Store (the job API
/// comes with the REST issue).
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct EndToEndTests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    static let storedRequest = #"{"InputInfo":[{"Type":"URL","UrlInputInfo":{"Url":"https://e.com/ok.mp4"}},{"Type":"URL","UrlInputInfo":{"Url":"https://e.com/fail.mp4"}}],"OutputStorage":{"Type":"COS","CosOutputStorage":{"Bucket":"b-125","Region":"ap-guangzhou"}},"OutputDir":"/out/","SmartSubtitlesTask":{"Definition":0,"RawParameter":{"SubtitleType":0,"VideoSrcLanguage":"en","SubtitleFormat":"vtt"}},"TaskNotifyConfig":{"NotifyType":"URL","NotifyMode":"Change"}}"#

    @Test func jobsRunToTheEndThroughDispatcherEmulatorDoorAndApplier() async throws {
        let emulatorConfiguration = EmulatorConfiguration(processingTime: .milliseconds(300), callbackRetryDelay: .milliseconds(200))
        try await withSpine(emulator: emulatorConfiguration) { url, running in
            try await runJobs(url: url, emulator: running)
        }
    }

    /// Runs the app (door, applier, dispatcher) on a real port against a fresh migrated database
    /// and an emulator, for the length of `body`.
    func withSpine(
        emulator emulatorConfiguration: EmulatorConfiguration, environment extra: [String: String] = [:],
        _ body: @escaping @Sendable (String, RunningEmulator) async throws -> Void
    ) async throws {
        try await Spine.run(replicas: 1, emulator: emulatorConfiguration, environment: extra, body)
    }

    /// Creates one job per request (single-step), committed before anything is sent.
    static func createJobs(_ count: Int, request: String, inputs: [String], client: PostgresClient) async throws {
        let jobs = JobStore(client: client)
        for _ in 0..<count {
            let correlation = CorrelationId()
            _ = try await jobs.create(NewJob(steps: [NewStep(
                correlationId: correlation.uuid, sessionContext: correlation.sessionContext,
                request: JSONBText(request), inputURLs: inputs
            )]))
        }
    }

    /// Acceptance: every callback duplicated (re-signed) and delivered newest first; each
    /// distinct notification is applied once and each job submitted once.
    @Test func duplicatedAndReorderedCallbacksApplyOncePerDistinctNotification() async throws {
        let emulatorConfiguration = EmulatorConfiguration(
            processingTime: .milliseconds(300), callbackRetryDelay: .milliseconds(200),
            faults: EmulatorFaults(duplicateShare: 1, reorder: true)
        )
        try await withSpine(emulator: emulatorConfiguration) { url, running in
            try await TestDatabase.withClient(url: url) { client in
                try await Self.createJobs(100, request: Self.storedRequest, inputs: ["https://e.com/ok.mp4", "https://e.com/fail.mp4"], client: client)
                let finished = try await TestDatabase.eventually(within: .seconds(90)) {
                    try await client.query("SELECT count(*) FROM jobs WHERE state <> 'running'")[0].decode(Int.self, at: 0) == 100
                }
                #expect(finished)
                // Let late duplicates land before counting.
                let settled = try await TestDatabase.eventually(within: .seconds(10)) {
                    let callbacks = running.emulator.callbacks
                    let delivered = Set(callbacks.filter { $0.outcome == "sent" }.map { "\($0.taskId)|\($0.statuses)" })
                    let duplicates = callbacks.filter { $0.outcome == "duplicate" }.count
                    let pending = try await client.query("SELECT count(*) FROM notifications WHERE outcome = 'pending'")[0].decode(Int.self, at: 0)
                    return duplicates >= delivered.count && pending == 0
                }
                #expect(settled)
                let callbacks = running.emulator.callbacks
                let distinct = Set(callbacks.filter { $0.outcome == "sent" || $0.outcome == "duplicate" }.map { "\($0.taskId)|\($0.statuses)" })
                // Change mode: two or three distinct reports per task (a quick task may skip one).
                #expect(distinct.count >= 200)
                #expect(callbacks.filter { $0.outcome == "duplicate" }.count >= distinct.count)
                let outcomes = try await client.query("SELECT outcome, count(*) FROM notifications GROUP BY outcome")
                    .map { try $0.decode((String, Int).self) }
                #expect(outcomes.count == 1)
                #expect(outcomes.first?.0 == "applied")
                #expect(outcomes.first?.1 == distinct.count)
                let states = try await client.query("SELECT state, count(*) FROM steps GROUP BY state").map { try $0.decode((String, Int).self) }
                #expect(states.map(\.0) == ["partially_failed"])
                #expect(states.first?.1 == 100)
                // Reordered reports never moved an output back.
                let outputs = try await client.query("SELECT status, count(*) FROM outputs GROUP BY status ORDER BY status").map { try $0.decode((String, Int).self) }
                #expect(outputs.map(\.0) == ["FAIL", "SUCCESS"])
                #expect(outputs.map(\.1) == [100, 100])
            }
            let submissions = running.emulator.calls.filter { $0.action == "BatchProcessMedia" && $0.errorCode == nil }
            #expect(submissions.count == 100)
            #expect(Set(submissions.compactMap(\.sessionContext)).count == 100)
        }
    }

    /// A callback that arrives while the dispatcher still waits for the `BatchProcessMedia`
    /// answer (the emulator created the task and hangs): the step is matched, applied and
    /// finished; the late ambiguous answer changes nothing and nothing is resent.
    @Test func aCallbackDuringAHungSubmissionFinishesTheStepAndNothingIsResent() async throws {
        let emulatorConfiguration = EmulatorConfiguration(
            processingTime: .milliseconds(200), callbackRetryDelay: .milliseconds(200), faults: EmulatorFaults(hangAfterCreate: 1)
        )
        try await withSpine(emulator: emulatorConfiguration) { url, running in
            try await TestDatabase.withClient(url: url) { client in
                try await Self.createJobs(1, request: Self.storedRequest, inputs: ["https://e.com/ok.mp4", "https://e.com/fail.mp4"], client: client)
                let finishedWhileHung = try await TestDatabase.eventually(within: .seconds(20)) {
                    try await client.query("SELECT count(*) FROM steps WHERE state = 'partially_failed'")[0].decode(Int.self, at: 0) == 1
                }
                #expect(finishedWhileHung)
                // The call is still open: no attempt recorded yet.
                #expect(try await client.query("SELECT count(*) FROM attempts")[0].decode(Int.self, at: 0) == 0)
                running.emulator.releaseHungCalls()
                let answered = try await TestDatabase.eventually(within: .seconds(10)) {
                    try await client.query("SELECT count(*) FROM attempts")[0].decode(Int.self, at: 0) == 1
                }
                #expect(answered)
                let attempt = try await client.query("SELECT error_class FROM attempts")[0].decode(String?.self, at: 0)
                #expect(attempt == "ambiguous")
                let step = try await client.query("SELECT state, job_id FROM steps")[0].decode((String, UUID).self)
                #expect(step.0 == "partially_failed")
                let job = try await client.query("SELECT state FROM jobs WHERE id = \(step.1)")[0].decode(String.self, at: 0)
                #expect(job == "partially_failed")
            }
            #expect(running.emulator.calls.filter { $0.action == "BatchProcessMedia" }.count == 1)
        }
    }

    private func runJobs(url: String, emulator running: RunningEmulator) async throws {
        try await TestDatabase.withClient(url: url) { client in
            try await Self.createJobs(3, request: Self.storedRequest, inputs: ["https://e.com/ok.mp4", "https://e.com/fail.mp4"], client: client)
            let finished = try await TestDatabase.eventually(within: .seconds(30)) {
                try await client.query("SELECT count(*) FROM jobs WHERE state <> 'running'")[0].decode(Int.self, at: 0) == 3
            }
            #expect(finished)
            let states = try await client.query("SELECT state FROM jobs").map { try $0.decode(String.self, at: 0) }
            #expect(states == ["partially_failed", "partially_failed", "partially_failed"])
            let outputs = try await client.query("SELECT status, count(*) FROM outputs GROUP BY status ORDER BY status")
                .map { try $0.decode((String, Int).self) }
            #expect(outputs.map(\.0) == ["FAIL", "SUCCESS"])
            #expect(outputs.map(\.1) == [3, 3])
            let paths = try await client.query("SELECT count(*) FROM outputs WHERE status = 'SUCCESS' AND subtitle_path LIKE '/out/ok_smartsubtitle_0.vtt'")
            #expect(try paths[0].decode(Int.self, at: 0) == 3)
            // Every callback was stored and applied (Change mode: three per task).
            let notifications = try await client.query("SELECT outcome, count(*) FROM notifications GROUP BY outcome")
                .map { try $0.decode((String, Int).self) }
            #expect(notifications.count == 1)
            #expect(notifications.first?.0 == "applied")
            #expect(notifications.first?.1 == 9)
            let attempts = try await client.query("SELECT count(*) FROM attempts WHERE error_code IS NULL")
            #expect(try attempts[0].decode(Int.self, at: 0) == 3)
        }
        #expect(running.emulator.calls.filter { $0.action == "BatchProcessMedia" }.count == 3)
        #expect(running.emulator.callbacks.allSatisfy { $0.outcome == "sent" && $0.httpStatus == 200 })
    }
}
