import Correlation
import Curl
import Foundation
import Logging
import MPS
import MPSEmulator
import MPSTransport
import NIOPosix
import Postgres
import StepDispatch
import Store
import Testing

/// The dispatcher against a real PostgreSQL and the MPS emulator over loopback.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct DispatchIntegrationTests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    static let keyId = CallbackTokens.KeyId("test")!
    static let tokens = try! CallbackTokens(keys: [keyId: Array(repeating: 3, count: 32)], current: keyId)

    static let storedRequest = #"{"InputInfo":[{"Type":"URL","UrlInputInfo":{"Url":"https://e.com/a.mp4"}}],"OutputStorage":{"Type":"COS","CosOutputStorage":{"Bucket":"b-125","Region":"ap-guangzhou"}},"OutputDir":"/out/","SmartSubtitlesTask":{"Definition":0,"RawParameter":{"SubtitleType":0,"VideoSrcLanguage":"en","SubtitleFormat":"vtt"}}}"#

    struct Environment {
        let url: String
        let running: RunningEmulator
        let credentials = TencentCloudCredentials(
            secretId: EmulatorConfiguration.defaultSecretId, secretKey: EmulatorConfiguration.defaultSecretKey
        )
    }

    /// A migrated database and a running emulator whose tasks take a minute (no callbacks here).
    func withEnvironment(
        emulator configuration: EmulatorConfiguration = EmulatorConfiguration(processingTime: .seconds(60), callbackRetries: 0),
        _ body: (Environment) async throws -> Void
    ) async throws {
        let migrator = try Migrator.load(directory: TestDatabase.repositoryRoot.appendingPathComponent("migrations").path)
        try await TestDatabase.withFreshDatabase { url in
            _ = try await TestDatabase.withClient(url: url) { client in try await migrator.migrate(client, logger: Self.quiet) }
            try await EmulatorServer.withRunningEmulator(configuration: configuration) { running in
                try await body(Environment(url: url, running: running))
            }
        }
    }

    /// Creates `count` one-step jobs and returns their SessionContexts.
    func createJobs(_ count: Int, url: String) async throws -> [String] {
        try await TestDatabase.withClient(url: url) { client in
            var contexts: [String] = []
            let jobs = JobStore(client: client)
            for _ in 0..<count {
                let correlation = CorrelationId()
                _ = try await jobs.create(NewJob(steps: [NewStep(
                    correlationId: correlation.uuid, sessionContext: correlation.sessionContext,
                    request: JSONBText(Self.storedRequest), inputURLs: ["https://e.com/a.mp4"]
                )]))
                contexts.append(correlation.sessionContext)
            }
            return contexts
        }
    }

    /// Runs `replicas` dispatchers (each with its own pool and HTTP client) until `done` holds.
    func runDispatchers(
        _ environment: Environment, replicas: Int = 1, credentials: TencentCloudCredentials? = nil,
        initialBackoff: Duration = .milliseconds(50), within limit: Duration = .seconds(30),
        configure: (inout DispatchConfiguration) -> Void = { _ in },
        until done: @escaping @Sendable (PostgresClient) async throws -> Bool
    ) async throws -> Bool {
        let threadPool = NIOThreadPool(numberOfThreads: 8)
        threadPool.start()
        let endpoint = try #require(MPSEndpoint(environment.running.endpoint))
        let mps = MPSClient(
            configuration: MPSClientConfiguration(endpoint: endpoint, credentials: credentials ?? environment.credentials, totalTimeout: .seconds(2)),
            http: CurlClient(threadPool: threadPool)
        )
        var tuned = DispatchConfiguration(
            publicBaseURL: "http://127.0.0.1:1", notifyKey: "test-notify-key",
            initialBackoff: initialBackoff, maximumBackoff: .milliseconds(500), pollInterval: .milliseconds(300)
        )
        configure(&tuned)
        let configuration = tuned
        let finished: Bool
        do {
            finished = try await TestDatabase.withClient(url: environment.url, maximumConnections: 12) { observer in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<replicas {
                        group.addTask {
                            try await TestDatabase.withClient(url: environment.url, maximumConnections: 10) { client in
                                let dispatcher = Dispatcher(
                                    configuration: configuration, client: client, mps: mps, tokens: Self.tokens, logger: Self.quiet
                                )
                                try await dispatcher.run()
                            }
                        }
                    }
                    let result = try await TestDatabase.eventually(within: limit) { try await done(observer) }
                    group.cancelAll()
                    while let _ = try? await group.next() {}
                    return result
                }
            }
        } catch {
            try? await threadPool.shutdownGracefully()
            throw error
        }
        try await threadPool.shutdownGracefully()
        return finished
    }

    static func count(_ client: PostgresClient, state: String) async throws -> Int {
        try await client.query("SELECT count(*) FROM steps WHERE state = \(state)")[0].decode(Int.self, at: 0)
    }

    @Test func pendingStepsAreSubmittedOnceWithTheirCorrelationAndToken() async throws {
        try await withEnvironment { environment in
            let contexts = try await createJobs(5, url: environment.url)
            let done = try await runDispatchers(environment) { try await Self.count($0, state: "submitted") == 5 }
            #expect(done)
            let calls = environment.running.emulator.calls.filter { $0.action == "BatchProcessMedia" }
            #expect(calls.count == 5)
            #expect(Set(calls.compactMap(\.sessionContext)) == Set(contexts))
            try await TestDatabase.withClient(url: environment.url) { client in
                let rows = try await client.query("SELECT task_id FROM steps ORDER BY task_id")
                let taskIds = try rows.map { try $0.decode(String.self, at: 0) }
                #expect(Set(taskIds) == Set(calls.compactMap(\.taskId)))
                let attempts = try await client.query("SELECT count(*) FROM attempts WHERE action = 'BatchProcessMedia' AND error_code IS NULL")
                #expect(try attempts[0].decode(Int.self, at: 0) == 5)
                // The stored request never holds the callback token or the notify key.
                let stored = try await client.query("SELECT count(*) FROM steps WHERE request::text LIKE '%token=%' OR request::text LIKE '%test-notify-key%'")
                #expect(try stored[0].decode(Int.self, at: 0) == 0)
            }
        }
    }

    @Test func aFinalRefusalFailsTheStepWithoutRetrying() async throws {
        try await withEnvironment { environment in
            _ = try await createJobs(1, url: environment.url)
            let wrong = TencentCloudCredentials(secretId: EmulatorConfiguration.defaultSecretId, secretKey: "wrong")
            let done = try await runDispatchers(environment, credentials: wrong) { try await Self.count($0, state: "failed") == 1 }
            #expect(done)
            #expect(environment.running.emulator.calls.count == 1)
            try await TestDatabase.withClient(url: environment.url) { client in
                let rows = try await client.query("SELECT error_code FROM steps")
                #expect(try rows[0].decode(String.self, at: 0) == "AuthFailure.SignatureFailure")
                // Its only step failed, so the job is finished too (not left running).
                let job = try await client.query("SELECT state, finished_at IS NOT NULL FROM jobs")
                #expect(try job[0].decode((String, Bool).self) == ("failed", true))
            }
        }
    }

    @Test func aRefusedSubmissionEndsItsOutputsFailedWithTheRefusal() async throws {
        try await withEnvironment { environment in
            _ = try await createJobs(1, url: environment.url)
            let wrong = TencentCloudCredentials(secretId: EmulatorConfiguration.defaultSecretId, secretKey: "wrong")
            let done = try await runDispatchers(environment, credentials: wrong) { try await Self.count($0, state: "failed") == 1 }
            #expect(done)
            try await TestDatabase.withClient(url: environment.url) { client in
                let rows = try await client.query("SELECT status, error_code, error_message IS NOT NULL FROM outputs")
                let outputs = try rows.map { try $0.decode((String, String?, Bool).self) }
                #expect(outputs.count == 1)
                #expect(outputs.first?.0 == "FAIL")
                #expect(outputs.first?.1 == "AuthFailure.SignatureFailure")
                #expect(outputs.first?.2 == true)
            }
        }
    }

    @Test func anAmbiguousOutcomeIsNeverResent() async throws {
        var configuration = EmulatorConfiguration(processingTime: .seconds(60), callbackRetries: 0)
        configuration.faults.internalErrorAfterCreate = 1
        try await withEnvironment(emulator: configuration) { environment in
            _ = try await createJobs(1, url: environment.url)
            let done = try await runDispatchers(environment) { try await Self.count($0, state: "submit_unknown") == 1 }
            #expect(done)
            // Give a wrong resend every chance to happen: another poll cycle and more.
            try await Task.sleep(for: .seconds(1))
            #expect(environment.running.emulator.calls.count == 1)
            #expect(environment.running.emulator.calls.first?.taskId != nil)
        }
    }

    @Test func rateLimitedStepsGoBackToPendingAndAreSubmittedLater() async throws {
        // The emulator allows 2 calls per second; our limiter allows 20, so MPS refuses some.
        let configuration = EmulatorConfiguration(processingTime: .seconds(60), rateLimit: 2, callbackRetries: 0)
        try await withEnvironment(emulator: configuration) { environment in
            _ = try await createJobs(6, url: environment.url)
            let done = try await runDispatchers(environment) { try await Self.count($0, state: "submitted") == 6 }
            #expect(done)
            let calls = environment.running.emulator.calls
            #expect(calls.contains { $0.errorCode == "RequestLimitExceeded" })
            // Each step created exactly one task.
            #expect(calls.compactMap(\.taskId).count == 6)
            #expect(Set(calls.compactMap(\.taskId)).count == 6)
        }
    }

    @Test func twoReplicasWithABacklogOf200StayUnderTwentyPerSecondAndSubmitEachStepOnce() async throws {
        try await withEnvironment(emulator: EmulatorConfiguration(processingTime: .seconds(120), callbackRetries: 0)) { environment in
            let contexts = try await createJobs(200, url: environment.url)
            let done = try await runDispatchers(environment, replicas: 2, within: .seconds(40)) {
                try await Self.count($0, state: "submitted") == 200
            }
            #expect(done)
            let calls = environment.running.emulator.calls.filter { $0.action == "BatchProcessMedia" }
            #expect(calls.allSatisfy { $0.errorCode == nil })
            #expect(calls.count == 200)
            #expect(Set(calls.compactMap(\.sessionContext)) == Set(contexts))
            let times = calls.map(\.receivedAt).sorted()
            var busiest = 0
            for (index, start) in times.enumerated() {
                busiest = max(busiest, times[index...].prefix { $0 - start < 1.0 }.count)
            }
            let span = (times.last ?? 0) - (times.first ?? 0)
            print("dispatch backlog: 200 calls over \(span) s, busiest one-second window \(busiest)")
            #expect(busiest <= 20, "the emulator saw \(busiest) calls within one second")
            #expect(span < 12.5, "200 calls at ~19/s should take about 10 s, took \(span)")
        }
    }
}
