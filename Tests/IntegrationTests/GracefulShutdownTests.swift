import Correlation
import Curl
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import MPS
import MPSTransport
import NIOPosix
import Postgres
import ServiceLifecycle
import StepDispatch
import Store
import Synchronization
import Testing

/// What SIGTERM (a graceful shutdown) does to work in flight, against a real PostgreSQL.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct GracefulShutdownTests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A BatchProcessMedia call in flight when the shutdown begins is answered and recorded
    /// (the step `submitted` with its TaskId, the call in `attempts`), not aborted into
    /// `submit_unknown`; a step not claimed yet is left pending for another replica.
    @Test func aDispatchInFlightFinishesAndIsRecordedAndNoNewStepIsClaimed() async throws {
        let received = Mutex(0)
        let (calls, call) = AsyncStream<Void>.makeStream()
        // A slow MPS: each call is answered a second and a half after it arrives.
        let router = Router()
        router.post("/") { _, _ -> Response in
            let number = received.withLock { count in
                count += 1
                return count
            }
            call.yield()
            try? await Task.sleep(for: .milliseconds(1500))
            let body = #"{"Response":{"TaskId":"task-graceful-\#(number)","RequestId":"request-\#(number)"}}"#
            return Response(
                status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: body))
            )
        }
        let slowMPS = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: Self.quiet)
        let migrator = try Migrator.load(directory: TestDatabase.repositoryRoot.appendingPathComponent("migrations").path)
        try await slowMPS.test(.live) { live in
            let port = try #require(live.port)
            try await TestDatabase.withFreshDatabase { url in
                try await TestDatabase.withClient(url: url, maximumConnections: 8) { client in
                    try await migrator.migrate(client, logger: Self.quiet)
                    let jobs = JobStore(client: client)
                    for _ in 0..<2 {
                        let correlation = CorrelationId()
                        _ = try await jobs.create(NewJob(steps: [NewStep(
                            correlationId: correlation.uuid, sessionContext: correlation.sessionContext,
                            request: JSONBText(DispatchIntegrationTests.storedRequest), inputURLs: ["https://e.com/a.mp4"]
                        )]))
                    }
                    let threadPool = NIOThreadPool(numberOfThreads: 2)
                    threadPool.start()
                    defer { threadPool.shutdownGracefully { _ in } }
                    let mps = MPSClient(
                        configuration: MPSClientConfiguration(
                            endpoint: try #require(MPSEndpoint("http://127.0.0.1:\(port)")),
                            credentials: TencentCloudCredentials(secretId: "id", secretKey: "key"), totalTimeout: .seconds(10)
                        ),
                        http: CurlClient(threadPool: threadPool)
                    )
                    let dispatcher = Dispatcher(
                        configuration: DispatchConfiguration(
                            publicBaseURL: "http://127.0.0.1:1", notifyKey: "test-notify-key", concurrency: 1,
                            pollInterval: .milliseconds(300)
                        ),
                        client: client, mps: mps, tokens: DispatchIntegrationTests.tokens, logger: Self.quiet
                    )
                    let group = ServiceGroup(configuration: .init(services: [dispatcher], logger: Self.quiet))
                    try await withThrowingTaskGroup(of: Void.self) { tasks in
                        tasks.addTask { try await group.run() }
                        // The first call has reached MPS: shut down while it is in flight.
                        var arrivals = calls.makeAsyncIterator()
                        _ = await arrivals.next()
                        await group.triggerGracefulShutdown()
                        try await tasks.waitForAll()
                    }
                    #expect(received.withLock { $0 } == 1)
                    // Whichever step was claimed first: ordered by state.
                    let states = try await client.query("SELECT state, coalesce(task_id, '') FROM steps ORDER BY state")
                        .map { (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1)) }
                    #expect(states.map(\.0) == ["pending", "submitted"])
                    #expect(states.last?.1 == "task-graceful-1")
                    let attempts = try await client.query(
                        "SELECT count(*) FROM attempts WHERE action = 'BatchProcessMedia' AND error_code IS NULL AND request_id = 'request-1'"
                    )
                    #expect(try attempts[0].decode(Int.self, at: 0) == 1)
                }
            }
        }
    }
}
