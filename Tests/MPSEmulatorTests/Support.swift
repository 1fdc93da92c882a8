import Curl
import Foundation
import Hummingbird
import Logging
import MPS
import MPSEmulator
import MPSTransport
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import Testing

/// A request body the way a caller would write one; `notifyUrl` nil means no notifications;
/// `raw` replaces the whole `RawParameter` object (JSON text) when given.
func requestJSON(
    urls: [String] = ["https://example.com/videos/demo.mp4"],
    sessionContext: String = "mh1:test",
    notifyUrl: String? = nil,
    mode: String = "Finish",
    key: String = "test-notify-key",
    translate: Bool = true,
    raw: String? = nil
) -> String {
    let inputs = urls.map { #"{"Type":"URL","UrlInputInfo":{"Url":"\#($0)"}}"# }.joined(separator: ",")
    let raw = raw ?? (translate
        ? #"{"SubtitleType":2,"VideoSrcLanguage":"en","SubtitleFormat":"vtt","TranslateSwitch":"ON","TranslateDstLanguage":"zh"}"#
        : #"{"SubtitleType":0,"VideoSrcLanguage":"en","SubtitleFormat":"srt","TranslateSwitch":"OFF"}"#)
    let notify = notifyUrl.map {
        #","TaskNotifyConfig":{"NotifyType":"URL","NotifyMode":"\#(mode)","NotifyUrl":"\#($0)","NotifyKey":"\#(key)"}"#
    } ?? ""
    return #"{"InputInfo":[\#(inputs)],"OutputStorage":{"Type":"COS","CosOutputStorage":{"Bucket":"subs-1250000000","Region":"ap-guangzhou"}},"OutputDir":"/subtitles/","SmartSubtitlesTask":{"Definition":0,"RawParameter":\#(raw)}\#(notify),"SessionContext":"\#(sessionContext)"}"#
}

/// The typed request for `requestJSON(...)`.
func request(_ json: String) throws -> BatchProcessMediaRequest {
    try BatchProcessMediaValidator.decode(Array(json.utf8)).get()
}

/// Runs `body` with an emulator and an MPS client pointed at it.
func withEmulatorAndClient<Result>(
    configuration: EmulatorConfiguration = EmulatorConfiguration(processingTime: .milliseconds(300)),
    credentials: TencentCloudCredentials = TencentCloudCredentials(
        secretId: EmulatorConfiguration.defaultSecretId, secretKey: EmulatorConfiguration.defaultSecretKey
    ),
    totalTimeout: Duration = .seconds(5),
    clock: (@Sendable () -> Int64)? = nil,
    _ body: (RunningEmulator, MPSClient) async throws -> Result
) async throws -> Result {
    let threadPool = NIOThreadPool(numberOfThreads: 8)
    threadPool.start()
    do {
        let result = try await EmulatorServer.withRunningEmulator(configuration: configuration) { running in
            let endpoint = try parseEndpoint(running.endpoint)
            let client = MPSClient(
                configuration: MPSClientConfiguration(endpoint: endpoint, credentials: credentials, totalTimeout: totalTimeout),
                http: CurlClient(threadPool: threadPool),
                clock: clock
            )
            return try await body(running, client)
        }
        try await threadPool.shutdownGracefully()
        return result
    } catch {
        try? await threadPool.shutdownGracefully()
        throw error
    }
}

struct SupportError: Error, CustomStringConvertible {
    let description: String
}

/// The emulator's endpoint, parsed.
func parseEndpoint(_ text: String) throws -> MPSEndpoint {
    guard let endpoint = MPSEndpoint(text) else { throw SupportError(description: "bad endpoint \(text)") }
    return endpoint
}

/// A notification receiver on loopback: records every body it is sent and answers `status`.
final class CallbackReceiver: Sendable {
    /// One request as it arrived: header names lower-cased, body bytes.
    struct Received: Sendable {
        var headers: [String: String]
        var body: [UInt8]
    }

    private let received = Mutex<[Received]>([])
    let status: HTTPResponse.Status
    let answer: [UInt8]

    init(status: Int = 200, answer: String = "") {
        self.status = HTTPResponse.Status(code: status)
        self.answer = Array(answer.utf8)
    }

    var bodies: [[UInt8]] { received.withLock { $0.map(\.body) } }
    var requests: [Received] { received.withLock { $0 } }

    /// Runs the receiver for the duration of `body`; passes its URL (with a token query).
    func run<Result>(_ body: (String) async throws -> Result) async throws -> Result {
        let router = Router(context: BasicRequestContext.self)
        let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            if let authority = request.head.authority { headers["host"] = authority }
            self.received.withLock { $0.append(Received(headers: headers, body: Array(buffer: bytes))) }
            return Response(
                status: self.status, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: self.answer))
            )
        }
        router.post("/mps/notify", use: handler)
        router.post("/", use: handler)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let application = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: Logger(label: "receiver", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let group = ServiceGroup(services: [application], logger: Logger(label: "receiver", factory: { _ in SwiftLogNoOpLogHandler() }))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next(), port > 0 else { throw SupportError(description: "receiver did not start") }
            do {
                let result = try await body("http://127.0.0.1:\(port)/mps/notify?token=secret-token")
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }

    /// Waits (bounded) until at least `count` bodies arrived; fewer is a failure that ends the
    /// test, so callers may index the first `count` (an index out of range would crash the
    /// whole test process). The bound is wide for the parallel pass; it ends when they arrive.
    func waitFor(_ count: Int, within limit: Duration = .seconds(60)) async throws -> [[UInt8]] {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline, bodies.count < count {
            try await Task.sleep(for: .milliseconds(10))
        }
        let arrived = bodies
        try #require(arrived.count >= count, "\(arrived.count) of \(count) callbacks arrived within \(limit)")
        return arrived
    }
}

/// Output statuses of a notification body, in order.
func statuses(_ body: [UInt8]) throws -> [String] {
    let notification = try MPSJSON.decoder.decode(JSONValue.self, from: Data(body))
    return notification["BatchTaskEvent"]?["SmartSubtitlesTaskResult"]?["Outputs"]?.arrayValue?.compactMap {
        $0["Status"]?.stringValue
    } ?? []
}

/// Waits (bounded) until the emulator has recorded at least `count` callbacks: a receiver
/// can see a body before the emulator has read the answer and written its record.
func recordedCallbacks(_ running: RunningEmulator, atLeast count: Int, within limit: Duration = .seconds(60)) async throws -> [RecordedCallback] {
    let deadline = ContinuousClock.now + limit
    while running.emulator.callbacks.count < count, ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(10))
    }
    return running.emulator.callbacks
}
