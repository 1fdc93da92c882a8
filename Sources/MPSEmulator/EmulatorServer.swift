import Curl
import Foundation
public import Hummingbird
public import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import UnixSignals

/// The emulator over HTTP: `POST /` (and `GET /?…` for DescribeBatchTaskDetail) is the API
/// (dispatch on `X-TC-Action`), and `/_emulator/…`
/// lets tests and people look inside and inject faults:
/// `GET calls`, `GET callbacks`, `GET|PUT faults`, `POST reset`.
public enum EmulatorServer {
    /// Largest API body accepted (Tencent Cloud: 10 MB for signature v3 POSTs).
    public static let maximumBodySize = 10 << 20

    /// The request's headers by lower-case name, as the signature check reads them. HTTP/1
    /// `Host` arrives as the request's authority, not as a header field, so it is put back.
    static func apiHeaders(_ request: Request) -> [String: String] {
        var headers: [String: String] = [:]
        for field in request.headers {
            headers[field.name.canonicalName] = field.value
        }
        if let authority = request.head.authority { headers["host"] = authority }
        return headers
    }

    public static func makeRouter(emulator: MPSEmulator) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.post("/") { request, _ -> Response in
            // Stamped first thing: the rate limit and the records count arrivals, not handling.
            let arrivedAt = Date()
            let arrivedInstant = ContinuousClock.now
            let headers = apiHeaders(request)
            let body = try await request.body.collect(upTo: maximumBodySize)
            let answer = await emulator.handle(headers: headers, body: Array(buffer: body), arrivedAt: arrivedAt, arrivedInstant: arrivedInstant)
            return json(answer.body, status: .init(code: answer.status))
        }
        // GET with the parameters in the query string, as the SDKs can send it (HttpProfile reqMethod GET).
        router.get("/") { request, _ -> Response in
            let arrivedAt = Date()
            let arrivedInstant = ContinuousClock.now
            let headers = apiHeaders(request)
            // The raw query, exactly as sent: the signature covers these bytes.
            let target = request.head.path ?? "/"
            let query = target.firstIndex(of: "?").map { String(target[target.index(after: $0)...]) } ?? ""
            let answer = await emulator.handle(
                method: "GET", query: query, headers: headers, body: [], arrivedAt: arrivedAt, arrivedInstant: arrivedInstant
            )
            return json(answer.body, status: .init(code: answer.status))
        }
        router.get("/_emulator/calls") { _, _ in try encode(emulator.calls) }
        router.get("/_emulator/callbacks") { _, _ in try encode(emulator.callbacks) }
        router.get("/_emulator/faults") { _, _ in try encode(emulator.faults) }
        router.put("/_emulator/faults") { request, context -> Response in
            let faults = try await request.decode(as: EmulatorFaults.self, context: context)
            emulator.faults = faults
            return try encode(emulator.faults)
        }
        router.post("/_emulator/reset") { _, _ -> HTTPResponse.Status in
            emulator.reset()
            return .noContent
        }
        return router
    }

    /// Runs an emulator on `host:port` (0 picks a free port) for the duration of `body`, with its
    /// own callback thread pool, and shuts everything down afterwards.
    public static func withRunningEmulator<Result>(
        configuration: EmulatorConfiguration = EmulatorConfiguration(),
        host: String = "127.0.0.1",
        port: Int = 0,
        logger: Logger = Logger(label: "mps-emulator", factory: { _ in SwiftLogNoOpLogHandler() }),
        _ body: (RunningEmulator) async throws -> Result
    ) async throws -> Result {
        let threadPool = NIOThreadPool(numberOfThreads: 8)
        threadPool.start()
        let emulator = MPSEmulator(configuration: configuration, http: CurlClient(threadPool: threadPool), logger: logger)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let application = Application(
            router: makeRouter(emulator: emulator),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "mps-emulator"),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger
        )
        // The emulator is listed last so it stops first: that releases calls held by the
        // accept-then-hang fault, which the server would otherwise wait for.
        let group = ServiceGroup(services: [application, emulator], logger: logger)
        do {
            let result = try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                var iterator = ports.makeAsyncIterator()
                guard let bound = await iterator.next(), bound > 0 else {
                    throw EmulatorError(description: "the emulator's HTTP server did not start")
                }
                let running = RunningEmulator(emulator: emulator, endpoint: "http://\(host):\(bound)", port: bound)
                do {
                    let result = try await body(running)
                    emulator.releaseHungCalls()
                    await group.triggerGracefulShutdown()
                    try await tasks.waitForAll()
                    return result
                } catch {
                    emulator.releaseHungCalls()
                    await group.triggerGracefulShutdown()
                    try? await tasks.waitForAll()
                    throw error
                }
            }
            try await threadPool.shutdownGracefully()
            return result
        } catch {
            try? await threadPool.shutdownGracefully()
            throw error
        }
    }

    private static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        // Exactly `application/json`: the official SDK ignores error bodies with any other value.
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    private static func encode(_ value: some Encodable) throws -> Response {
        json(Array(try MPSJSONPretty.encoder.encode(value)))
    }
}

/// A running emulator: its API endpoint and the emulator itself, for inspection and faults.
public struct RunningEmulator: Sendable {
    public let emulator: MPSEmulator
    /// `http://127.0.0.1:PORT`, to use as the MPS endpoint.
    public let endpoint: String
    public let port: Int
}

struct EmulatorError: Error, CustomStringConvertible {
    let description: String
}

enum MPSJSONPretty {
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

extension EmulatorServer {
    /// Runs an emulator until SIGTERM or SIGINT; `onRunning` gets the endpoint once it listens.
    public static func runUntilSignalled(
        configuration: EmulatorConfiguration,
        host: String,
        port: Int,
        logger: Logger,
        onRunning: @escaping @Sendable (String) -> Void
    ) async throws {
        let threadPool = NIOThreadPool(numberOfThreads: 8)
        threadPool.start()
        let emulator = MPSEmulator(configuration: configuration, http: CurlClient(threadPool: threadPool), logger: logger)
        let application = Application(
            router: makeRouter(emulator: emulator),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "mps-emulator"),
            onServerRunning: { channel in onRunning("http://\(host):\(channel.localAddress?.port ?? port)") },
            logger: logger
        )
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: application), .init(service: emulator)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        do {
            try await group.run()
        } catch {
            try? await threadPool.shutdownGracefully()
            throw error
        }
        try await threadPool.shutdownGracefully()
    }
}
