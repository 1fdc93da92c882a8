import Foundation
import Hashing
import Hummingbird
import HummingbirdTesting
import API
import Logging
import MPS
import MPSEmulator
import NIOCore
import Postgres
import Store
import Synchronization
import TestSupport
import Testing
import Workflows

/// Acceptance 4: the "job finished" webhook, through the whole spine, to a receiver on loopback.
/// One at a time: each runs a whole spine, and the machine has 2 cores.
@Suite(.serialized, .enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct WebhookDeliveryTests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    /// Two active keys (a rotation in progress): each signs every message.
    static let secrets = ["whsec_" + Base64.encode(SecureRandom.bytes(count: 32)), "whsec_" + Base64.encode(SecureRandom.bytes(count: 32))]
    static let emulator = EmulatorConfiguration(processingTime: .milliseconds(200), callbackRetryDelay: .milliseconds(200))

    /// Signing keys, quick retries; loopback allowed unless `allowLoopback` is false.
    static func environment(allowLoopback: Bool = true, timeout: String = "5", concurrency: String = "4") -> [String: String] {
        var environment = [
            "MPSHOOK_WEBHOOK_KEYS": "old:\(secrets[0]),new:\(secrets[1])",
            "MPSHOOK_WEBHOOK_RETRY_BASE": "0.05",
            "MPSHOOK_WEBHOOK_RETRY_MAX": "0.2",
            "MPSHOOK_WEBHOOK_MAX_ATTEMPTS": "5",
            "MPSHOOK_WEBHOOK_TIMEOUT": timeout,
            "MPSHOOK_WEBHOOK_CONCURRENCY": concurrency,
        ]
        if allowLoopback { environment["MPSHOOK_WEBHOOK_ALLOW"] = "127.0.0.0/8,::1" }
        return environment
    }

    static let loopback = CallbackPolicy(allowList: try! NetworkAllowList.parse("127.0.0.0/8,::1").get())

    /// A one-step job over `inputs`, created as `POST /v1/jobs` creates it.
    static func createJob(
        _ client: PostgresClient, callbackURL: String?, policy: CallbackPolicy = loopback, inputs: [String] = ["https://media.example/v/ok.mp4"],
        reference: String = UUID().uuidString
    ) async throws(JobCreationError) -> UUID {
        let list = inputs.map { #""\#($0)""# }.joined(separator: ",")
        let callback = callbackURL.map { #""callbackUrl":"\#($0)","# } ?? ""
        let body = #"""
            {\#(callback)"clientReference":"\#(reference)","clientContext":{"customer":"acme","order":7},"inputUrls":[\#(list)],
             "request":{"OutputStorage":{"Type":"COS","CosOutputStorage":{"Bucket":"b-1250000000","Region":"ap-guangzhou"}},
                        "OutputDir":"/subs/","SmartSubtitlesTask":{"Definition":0,"RawParameter":{"SubtitleType":0,"VideoSrcLanguage":"en","SubtitleFormat":"vtt"}}}}
            """#
        let parsed: JobBody
        switch JobBody.parse(Array(body.utf8)) {
        case .success(let value): parsed = value
        case .failure(let problems): throw .invalid(problems)
        }
        return try await JobCreator(client: client, callbacks: policy).create(parsed).creation.jobId
    }

    struct DeliveryRow: Equatable {
        var id: UUID
        var state: String
        var attempts: Int
        var lastStatus: Int?
        var lastError: String?
        var payload: String?
    }

    static func delivery(_ client: PostgresClient, job: UUID) async throws -> DeliveryRow? {
        try await client.query("""
            SELECT id, state, attempts, last_status, last_error, payload FROM webhook_deliveries WHERE job_id = \(job)
            """).first.map { row in
            let (id, state, attempts, status, error, payload) = try row.decode((UUID, String, Int, Int?, String?, String?).self)
            return DeliveryRow(id: id, state: state, attempts: attempts, lastStatus: status, lastError: error, payload: payload)
        }
    }

    static func waitForDelivery(_ client: PostgresClient, job: UUID, state: String, within limit: Duration = .seconds(60)) async throws -> DeliveryRow? {
        _ = try await TestDatabase.eventually(within: limit) { try await delivery(client, job: job)?.state == state }
        return try await delivery(client, job: job)
    }

    /// Acceptance 4: the job ends, its webhook reaches the receiver, which answers 500 twice then
    /// 200: three attempts recorded (statuses, latencies, errors), the same `webhook-id` and the
    /// same bytes every time, and every request verifies with the Standard Webhooks reference
    /// library (PyPI `standardwebhooks`) under each of the two active keys.
    @Test func aFinishedJobsWebhookIsSignedRetriedAfterTwo500sAndVerifiedIndependently() async throws {
        let receiver = Receiver(answers: [500, 500])
        try await receiver.serve { port in
            try await Spine.run(replicas: 1, emulator: Self.emulator, environment: Self.environment()) { url, _ in
                try await TestDatabase.withClient(url: url) { client in
                    let jobId = try await Self.createJob(client, callbackURL: "http://127.0.0.1:\(port)/hooks/done?token=t0k", reference: "order-7")
                    let delivery = try #require(try await Self.waitForDelivery(client, job: jobId, state: "delivered"))
                    #expect(delivery.attempts == 3 && delivery.lastStatus == 200 && delivery.lastError == nil)

                    let attempts = try await client.query("""
                        SELECT http_status, latency_ms, error FROM webhook_attempts WHERE delivery_id = \(delivery.id) ORDER BY started_at, id
                        """).map { try $0.decode((Int?, Int, String?).self) }
                    #expect(attempts.map(\.0) == [500, 500, 200])
                    #expect(attempts.map(\.2) == ["the receiver answered 500", "the receiver answered 500", nil])
                    #expect(attempts.allSatisfy { $0.1 >= 0 })

                    let requests = receiver.requests
                    #expect(requests.count == 3)
                    let id = delivery.id.uuidString.lowercased()
                    #expect(requests.allSatisfy { $0.headers["webhook-id"] == id })
                    #expect(requests.allSatisfy { $0.path == "/hooks/done?token=t0k" && $0.headers["content-type"] == "application/json" })
                    #expect(Set(requests.map(\.body)).count == 1, "every retry sends the same bytes")
                    #expect(requests.first?.body == delivery.payload)
                    #expect(requests.allSatisfy { $0.headers["webhook-signature"]?.split(separator: " ").count == 2 })

                    let payload = try JSONDecoder().decode(JSONValue.self, from: Data(try #require(requests.first?.body).utf8))
                    #expect(payload["type"]?.stringValue == "job.finished")
                    let data = try #require(payload["data"])
                    #expect(data["jobId"]?.stringValue == jobId.uuidString.lowercased())
                    #expect(data["state"]?.stringValue == "succeeded")
                    #expect(data["clientReference"]?.stringValue == "order-7")
                    #expect(data["clientContext"]?["customer"]?.stringValue == "acme")
                    #expect(data["steps"]?.arrayValue?.first?["state"]?.stringValue == "succeeded")
                    let output = try #require(data["inputs"]?.arrayValue?.first?["outputs"]?.arrayValue?.first)
                    #expect(output["status"]?.stringValue == "SUCCESS")
                    #expect(output["subtitlePath"]?.stringValue?.isEmpty == false)
                    #expect(output["files"]?.arrayValue?.first?["language"]?.stringValue == "en")

                    try await Self.verifyWithReferenceLibrary(requests)
                }
            }
        }
    }

    /// The reference library, run as a child process over what the receiver got.
    static func verifyWithReferenceLibrary(_ requests: [Receiver.Request]) async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let python = environment["MPSHOOK_SDK_PYTHON"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            if environment["MPSHOOK_TEST_REQUIRE_SDK"] == "1" {
                Issue.record("MPSHOOK_SDK_PYTHON is not set (scripts/sdk-venv.sh installs standardwebhooks) but the check is required")
            }
            return
        }
        let document: [String: Any] = [
            "secrets": secrets,
            "requests": requests.map { ["headers": $0.headers, "body": $0.body] as [String: Any] },
        ]
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("webhooks-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: document).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let script = TestDatabase.repositoryRoot.appendingPathComponent("scripts/verify_webhooks.py").path
        let child = try ChildProcess([python, script, file.path], environment: environment)
        defer { child.removeFiles() }
        let status = try await child.waitForExit(within: .seconds(60))
        #expect(status == 0, "\(child.standardOutput)\(child.standardError)")
        #expect(child.standardOutput.contains("webhooks: \(requests.count) verified"), "\(child.standardOutput)\(child.standardError)")
    }

    /// A literal private address is refused when the job is created (400 at `callbackUrl`);
    /// the allow list lets loopback through, and nothing else.
    @Test func aLiteralPrivateAddressIsRefusedAtCreation() async throws {
        let migrator = try Migrator.load(directory: TestDatabase.repositoryRoot.appendingPathComponent("migrations").path)
        try await TestDatabase.withFreshDatabase { url in
            try await TestDatabase.withClient(url: url) { client in
                try await migrator.migrate(client, logger: Self.quiet)
                for refused in ["http://10.0.0.7/hook", "http://[::ffff:169.254.169.254]/latest", "http://0x7f.1/x", "http://192.168.1.1:8080/"] {
                    do {
                        _ = try await Self.createJob(client, callbackURL: refused, policy: CallbackPolicy())
                        Issue.record("\(refused) was accepted")
                    } catch JobCreationError.invalid(let problems) {
                        #expect(problems.map(\.field) == ["callbackUrl"], "\(refused)")
                    }
                }
                // Loopback, allowed by the list, is accepted; 10/8 still is not.
                _ = try await Self.createJob(client, callbackURL: "http://127.0.0.1:9/hook", policy: Self.loopback)
                await #expect(throws: JobCreationError.self) { try await Self.createJob(client, callbackURL: "http://10.1.1.1/", policy: Self.loopback) }
                // Not http(s), or with userinfo: refused by the body check.
                for bad in ["file:///etc/passwd", "http://u:p@example.com/"] {
                    await #expect(throws: JobCreationError.self) { try await Self.createJob(client, callbackURL: bad, policy: Self.loopback) }
                }
                #expect(try await client.query("SELECT count(*) FROM jobs")[0].decode(Int.self, at: 0) == 1)
            }
        }
    }

    /// Through the HTTP API: 400 problem+json, the problem at `callbackUrl`, nothing stored.
    @Test func theJobsAPIAnswers400AtCallbackUrlForAPrivateAddress() async throws {
        let migrator = try Migrator.load(directory: TestDatabase.repositoryRoot.appendingPathComponent("migrations").path)
        try await TestDatabase.withFreshDatabase { url in
            try await TestDatabase.withClient(url: url) { client in
                try await migrator.migrate(client, logger: Self.quiet)
                let router = Router(context: APIRequestContext.self)
                RESTAPI(client: client).mount(on: router)
                try await Application(router: router, logger: Self.quiet).test(.router) { base in
                    let http = try await KeyedTestClient.admin(base, client: client)
                    for callback in ["http://169.254.169.254/latest/meta-data", "gopher://e.com/"] {
                        let body = #"""
                            {"callbackUrl":"\#(callback)","inputUrls":["https://e.com/a.mp4"],
                             "request":{"OutputStorage":{"Type":"COS","CosOutputStorage":{"Bucket":"b-1250000000","Region":"ap-guangzhou"}},
                                        "OutputDir":"/subs/","SmartSubtitlesTask":{"Definition":0,"RawParameter":{"SubtitleType":0,"VideoSrcLanguage":"en","SubtitleFormat":"vtt"}}}}
                            """#
                        let response = try await http.execute(
                            uri: "/v1/jobs", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body)
                        )
                        #expect(response.status == .badRequest)
                        #expect(response.headers[.contentType] == "application/problem+json")
                        let problem = try JSONDecoder().decode(ProblemDocument.self, from: Data(String(buffer: response.body).utf8))
                        #expect(problem.errors?.map(\.field) == ["callbackUrl"], "\(problem)")
                    }
                }
                #expect(try await client.query("SELECT count(*) FROM jobs")[0].decode(Int.self, at: 0) == 0)
            }
        }
    }

    /// A name that resolves to loopback (`localhost`) passes creation (names are checked when
    /// resolved) but, without the allow list, its delivery fails at once with the reason and no
    /// request reaches the receiver; `redeliver` puts it back, audited.
    @Test func aHostnameResolvingToLoopbackIsRefusedAtDeliveryWithoutTheAllowList() async throws {
        let receiver = Receiver(answers: [])
        try await receiver.serve { port in
            try await Spine.run(replicas: 1, emulator: Self.emulator, environment: Self.environment(allowLoopback: false)) { url, _ in
                try await TestDatabase.withClient(url: url) { client in
                    let jobId = try await Self.createJob(client, callbackURL: "http://localhost:\(port)/hook", policy: CallbackPolicy())
                    let delivery = try #require(try await Self.waitForDelivery(client, job: jobId, state: "failed"))
                    #expect(delivery.attempts == 1)
                    #expect(delivery.lastStatus == nil)
                    #expect(delivery.lastError?.contains("localhost resolves to a loopback address") == true, "\(delivery.lastError ?? "")")
                    #expect(receiver.requests.isEmpty)

                    let store = WebhookStore(client: client)
                    #expect(try await store.redeliver(delivery.id, actor: "tester", reason: "allow list fixed") == .queued(previous: .failed))
                    // (A second redeliver while it is queued is refused: DeliveriesAPITests' 409.
                    // Not here: the running deliverer may already have failed it again.)
                    let audit = try await client.query("""
                        SELECT actor, action, reason, job_id FROM operator_actions WHERE action = 'webhook.redeliver'
                        """).map { try $0.decode((String, String, String, UUID).self) }
                    #expect(audit.count == 1 && audit.first?.0 == "tester" && audit.first?.3 == jobId)
                    // Still refused (the configuration did not change): failed again, both attempts kept.
                    _ = try await TestDatabase.eventually(within: .seconds(30)) {
                        try await client.query("SELECT count(*) FROM webhook_attempts WHERE delivery_id = \(delivery.id)")[0].decode(Int.self, at: 0) == 2
                    }
                    let again = try #require(try await Self.waitForDelivery(client, job: jobId, state: "failed"))
                    #expect(again.attempts == 1)
                    #expect(receiver.requests.isEmpty)
                }
            }
        }
    }

    /// Receivers that hang hold every webhook thread, and the spine goes on: new jobs are
    /// dispatched, called back through the door and finished while the attempts still hang.
    /// Four hang: as many as the threads of the spine's shared Curl pool (Spine), so attempts
    /// made on that pool would stop every MPS call.
    @Test func hangingReceiversDoNotDelayTheDoorOrTheDispatcher() async throws {
        let receiver = Receiver(answers: [], hang: true)
        try await receiver.serve { port in
            let environment = Self.environment(timeout: "60", concurrency: "4")
            try await Spine.run(replicas: 1, emulator: Self.emulator, environment: environment) { url, _ in
                try await TestDatabase.withClient(url: url) { client in
                    for _ in 0..<4 {
                        _ = try await Self.createJob(client, callbackURL: "http://127.0.0.1:\(port)/hang")
                    }
                    let hanging = try await TestDatabase.eventually(within: .seconds(30)) { receiver.requests.count == 4 }
                    #expect(hanging, "both webhook threads are held by the receiver")
                    let started = ContinuousClock.now
                    var jobs: [UUID] = []
                    for _ in 0..<4 {
                        jobs.append(try await Self.createJob(client, callbackURL: nil))
                    }
                    let finished = try await TestDatabase.eventually(within: .seconds(20)) {
                        try await client.query("SELECT count(*) FROM jobs WHERE id = ANY(\(jobs)::uuid[]) AND state = 'succeeded'")[0]
                            .decode(Int.self, at: 0) == jobs.count
                    }
                    let took = ContinuousClock.now - started
                    #expect(finished)
                    #expect(took < .seconds(10), "jobs took \(took) while webhooks hung")
                    let delivering = try await client.query("SELECT count(*) FROM webhook_deliveries WHERE state = 'delivering'")[0].decode(Int.self, at: 0)
                    #expect(delivering == 4, "the hanging attempts were still in flight")
                    receiver.release()
                }
            }
        }
    }
}

/// A webhook receiver on 127.0.0.1: records each request, answers the next of `answers` (then
/// 200), or, with `hang`, holds every request until ``release()``.
final class Receiver: Sendable {
    struct Request: Sendable {
        var path: String
        var headers: [String: String]
        var body: String
    }

    private let state: Mutex<(requests: [Request], answers: [Int], released: Bool)>
    private let hang: Bool

    init(answers: [Int], hang: Bool = false) {
        state = Mutex(([], answers, false))
        self.hang = hang
    }

    var requests: [Request] { state.withLock { $0.requests } }

    func release() { state.withLock { $0.released = true } }

    /// Runs `body` with the receiver listening; its port is passed in.
    func serve(_ body: @escaping @Sendable (Int) async throws -> Void) async throws {
        let router = Router(context: BasicRequestContext.self)
        router.post("**") { request, _ -> Response in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let recorded = Request(path: request.uri.description, headers: headers, body: String(buffer: bytes))
            let status = self.state.withLock { state -> Int in
                state.requests.append(recorded)
                return state.answers.isEmpty ? 200 : state.answers.removeFirst()
            }
            if self.hang {
                while !self.state.withLock({ $0.released }) {
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            return Response(status: .init(code: status))
        }
        defer { release() }
        try await Application(router: router, logger: WebhookDeliveryTests.quiet).test(.live) { client in
            guard let port = client.port else { throw ChildProcess.Failure(description: "the receiver has no port") }
            try await body(port)
        }
    }
}
