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
        let migrator = try Migrator.load(directory: TestDatabase.repositoryRoot.appendingPathComponent("migrations").path)
        let emulatorConfiguration = EmulatorConfiguration(processingTime: .milliseconds(300), callbackRetryDelay: .milliseconds(200))
        try await TestDatabase.withFreshDatabase { url in
            _ = try await TestDatabase.withClient(url: url) { client in try await migrator.migrate(client, logger: Self.quiet) }
            try await EmulatorServer.withRunningEmulator(configuration: emulatorConfiguration) { running in
                let port = try #require(freeLoopbackPort())
                let configuration = try AppConfiguration(environment: [
                    "MPSHOOK_DATABASE_URL": url,
                    "MPSHOOK_HTTP_PORT": String(port),
                    "MPSHOOK_PUBLIC_BASE_URL": "http://127.0.0.1:\(port)",
                    "MPSHOOK_CALLBACK_KEYS": "e2e:" + Base64URL.encode(SecureRandom.bytes(count: 32)),
                    "MPSHOOK_NOTIFY_KEY": "end-to-end-notify-key",
                    "MPSHOOK_MPS_ENDPOINT": running.endpoint,
                    "TENCENTCLOUD_SECRET_ID": EmulatorConfiguration.defaultSecretId,
                    "TENCENTCLOUD_SECRET_KEY": EmulatorConfiguration.defaultSecretKey,
                ])
                let client = PostgresClient(configuration: configuration.database, logger: Self.quiet)
                let threadPool = NIOThreadPool(numberOfThreads: 4)
                threadPool.start()
                let readiness = DatabaseReadiness(client: client, migrator: migrator, interval: .seconds(1), logger: Self.quiet)
                let application = Server.makeApplication(
                    configuration: configuration, client: client, readiness: readiness,
                    registry: PrometheusCollectorRegistry(), http: CurlClient(threadPool: threadPool), logger: Self.quiet
                )
                let group = ServiceGroup(services: [application], logger: Self.quiet)
                do {
                    try await withThrowingTaskGroup(of: Void.self) { tasks in
                        tasks.addTask { try await group.run() }
                        defer { tasks.cancelAll() }
                        try await runJobs(url: url, emulator: running)
                        await group.triggerGracefulShutdown()
                        try await tasks.waitForAll()
                    }
                } catch {
                    await client.shutdown()
                    try? await threadPool.shutdownGracefully()
                    throw error
                }
                await client.shutdown()
                try await threadPool.shutdownGracefully()
            }
        }
    }

    private func runJobs(url: String, emulator running: RunningEmulator) async throws {
        try await TestDatabase.withClient(url: url) { client in
            let jobs = JobStore(client: client)
            for _ in 0..<3 {
                let correlation = CorrelationId()
                _ = try await jobs.create(NewJob(steps: [NewStep(
                    correlationId: correlation.uuid, sessionContext: correlation.sessionContext,
                    request: JSONBText(Self.storedRequest), inputURLs: ["https://e.com/ok.mp4", "https://e.com/fail.mp4"]
                )]))
            }
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
