import App
import Curl
import Foundation
import Hashing
import Logging
import MPSEmulator
import NIOPosix
import Postgres
import Prometheus
import ServiceLifecycle
import Testing
import TestSupport

/// The whole spine in this process: `replicas` copies of the app (door, applier, dispatcher),
/// each on its own port with its own database pool, sharing one fresh migrated PostgreSQL, one
/// set of callback keys and one emulator that calls each replica back at its own NotifyUrl.
enum Spine {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    static func run(
        replicas: Int, emulator emulatorConfiguration: EmulatorConfiguration, environment extra: [String: String] = [:],
        _ body: @escaping @Sendable (String, RunningEmulator) async throws -> Void
    ) async throws {
        let migrator = try Migrator.load(directory: TestDatabase.repositoryRoot.appendingPathComponent("migrations").path)
        let callbackKeys = "e2e:" + Base64URL.encode(SecureRandom.bytes(count: 32))
        try await TestDatabase.withFreshDatabase { url in
            _ = try await TestDatabase.withClient(url: url) { client in try await migrator.migrate(client, logger: quiet) }
            try await EmulatorServer.withRunningEmulator(configuration: emulatorConfiguration) { running in
                let threadPool = NIOThreadPool(numberOfThreads: 4)
                threadPool.start()
                var clients: [PostgresClient] = []
                var services: [any Service] = []
                for _ in 0..<max(1, replicas) {
                    let port = try #require(freeLoopbackPort())
                    let configuration = try AppConfiguration(environment: [
                        "MPSHOOK_DATABASE_URL": url,
                        "MPSHOOK_HTTP_PORT": String(port),
                        "MPSHOOK_PUBLIC_BASE_URL": "http://127.0.0.1:\(port)",
                        "MPSHOOK_CALLBACK_KEYS": callbackKeys,
                        "MPSHOOK_NOTIFY_KEY": "end-to-end-notify-key",
                        "MPSHOOK_MPS_ENDPOINT": running.endpoint,
                        "TENCENTCLOUD_SECRET_ID": EmulatorConfiguration.defaultSecretId,
                        "TENCENTCLOUD_SECRET_KEY": EmulatorConfiguration.defaultSecretKey,
                    ].merging(extra) { _, new in new })
                    let client = PostgresClient(configuration: configuration.database, logger: quiet)
                    let readiness = DatabaseReadiness(client: client, migrator: migrator, interval: .seconds(1), logger: quiet)
                    clients.append(client)
                    services.append(Server.makeApplication(
                        configuration: configuration, client: client, readiness: readiness,
                        registry: PrometheusCollectorRegistry(), http: CurlClient(threadPool: threadPool), logger: quiet
                    ))
                }
                let group = ServiceGroup(services: services, logger: quiet)
                do {
                    try await withThrowingTaskGroup(of: Void.self) { tasks in
                        tasks.addTask { try await group.run() }
                        defer { tasks.cancelAll() }
                        try await body(url, running)
                        running.emulator.releaseHungCalls()
                        await group.triggerGracefulShutdown()
                        try await tasks.waitForAll()
                    }
                } catch {
                    for client in clients { await client.shutdown() }
                    try? await threadPool.shutdownGracefully()
                    throw error
                }
                for client in clients { await client.shutdown() }
                try await threadPool.shutdownGracefully()
            }
        }
    }
}
