import Foundation
import Hashing
import Logging
import MPSEmulator
import Postgres
import Store
import Testing
import TestSupport
import Workflows

/// A replica killed with SIGKILL after a step's completing callback was acknowledged and before its
/// follow-up was sent: the follow-up was committed with the callback, so the next process sends
/// it, once.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct WorkflowCrashTests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// `mpshook serve` as a child process on `port`, pointed at the emulator; `extra` adds settings.
    static func serve(
        database: String, port: Int, emulator: RunningEmulator, callbackKeys: String, extra: [String: String] = [:]
    ) throws -> ChildProcess {
        guard FileManager.default.isExecutableFile(atPath: MPSHook.binary) else {
            throw ChildProcess.Failure(description: "\(MPSHook.binary) is missing: build with `swift build` (scripts/test.sh does)")
        }
        var environment = MPSHook.environment(database: database)
        environment["MPSHOOK_HTTP_PORT"] = String(port)
        environment["MPSHOOK_PUBLIC_BASE_URL"] = "http://127.0.0.1:\(port)"
        environment["MPSHOOK_CALLBACK_KEYS"] = callbackKeys
        environment["MPSHOOK_NOTIFY_KEY"] = "crash-test-notify-key"
        environment["MPSHOOK_MPS_ENDPOINT"] = emulator.endpoint
        environment["TENCENTCLOUD_SECRET_ID"] = EmulatorConfiguration.defaultSecretId
        environment["TENCENTCLOUD_SECRET_KEY"] = EmulatorConfiguration.defaultSecretKey
        environment.merge(extra) { _, new in new }
        return try ChildProcess([MPSHook.binary, "serve"], environment: environment)
    }

    static func count(_ client: PostgresClient, _ sql: PostgresQuery) async throws -> Int {
        try await client.query(sql)[0].decode(Int.self, at: 0)
    }

    @Test func aFollowUpCommittedBeforeACrashIsSentOnceByTheNextProcess() async throws {
        let migrator = try Migrator.load(directory: TestDatabase.repositoryRoot.appendingPathComponent("migrations").path)
        let callbackKeys = "crash:" + Base64URL.encode(SecureRandom.bytes(count: 32))
        let emulator = EmulatorConfiguration(processingTime: .milliseconds(300), callbackRetryDelay: .milliseconds(200))
        try await TestDatabase.withFreshDatabase { url in
            try await TestDatabase.withClient(url: url) { client in
                try await migrator.migrate(client, logger: Self.quiet)
                try await EmulatorServer.withRunningEmulator(configuration: emulator) { running in
                    let source = try String(
                        contentsOf: WorkflowEndToEndTests.examples.appendingPathComponent("transcribe-then-translate.yaml"), encoding: .utf8
                    )
                    var definition = try WorkflowDefinition.parse(source, file: "transcribe-then-translate.yaml").get()
                    // The follow-up waits 4 s after it is planned: the window in which the process dies.
                    definition.name = "crash-window"
                    definition.version = nil
                    definition.steps[1].delaySeconds = 4
                    let stored = try await WorkflowStore(client: client).save(definition, source: definition.canonicalJSON, file: nil).workflow

                    let first = try Self.serve(database: url, port: try #require(freeLoopbackPort()), emulator: running, callbackKeys: callbackKeys)
                    defer { first.signal(SIGKILL); first.removeFiles() }
                    let jobId = try await WorkflowEndToEndTests.createJob(version: stored, inputs: [WorkflowEndToEndTests.ok], client: client)
                    let planned = try await TestDatabase.eventually(within: .seconds(30)) {
                        try await Self.count(client, "SELECT count(*) FROM steps WHERE job_id = \(jobId) AND name = 'translate'") == 1
                    }
                    #expect(planned, "the completing callback did not plan the follow-up; log: \(first.standardError.suffix(2000))")
                    first.signal(SIGKILL)
                    _ = try await first.waitForExit(within: .seconds(10))

                    // Committed, not sent: the emulator saw the first step only.
                    #expect(try await Self.count(client, "SELECT count(*) FROM steps WHERE job_id = \(jobId) AND name = 'translate' AND state = 'pending'") == 1)
                    #expect(running.emulator.calls.filter { $0.action == "BatchProcessMedia" }.count == 1)

                    let second = try Self.serve(database: url, port: try #require(freeLoopbackPort()), emulator: running, callbackKeys: callbackKeys)
                    defer { second.signal(SIGKILL); second.removeFiles() }
                    let finished = try await TestDatabase.eventually(within: .seconds(30)) {
                        try await Self.count(client, "SELECT count(*) FROM jobs WHERE id = \(jobId) AND state = 'succeeded'") == 1
                    }
                    #expect(finished, "log: \(second.standardError.suffix(2000))")
                    let calls = running.emulator.calls.filter { $0.action == "BatchProcessMedia" && $0.errorCode == nil }
                    #expect(calls.count == 2)
                    #expect(Set(calls.compactMap(\.sessionContext)).count == 2)
                }
            }
        }
    }
}
