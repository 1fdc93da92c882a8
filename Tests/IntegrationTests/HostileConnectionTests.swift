import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The real `mpshook serve` against connections that hold on without finishing a request
/// (idle, slowloris, slow body), more connections than it has descriptors, and
/// `Expect: 100-continue`.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct HostileConnectionTests {
    /// Short timeouts, so a test sees them fire within a few seconds.
    static let shortTimeouts = [
        "MPSHOOK_HTTP_IDLE_TIMEOUT": "1",
        "MPSHOOK_HTTP_HEADER_TIMEOUT": "1",
        "MPSHOOK_HTTP_BODY_TIMEOUT": "1",
    ]

    @Test func idleSlowlorisAndSlowBodyConnectionsAreClosedWithinTheirTimeouts() async throws {
        try await withService(environment: Self.shortTimeouts) { service, port, _ in
            let idle = try #require(await RawSocket.connect(port: port, within: .seconds(2)))
            let slowloris = try #require(await RawSocket.connect(port: port, within: .seconds(2)))
            let slowBody = try #require(await RawSocket.connect(port: port, within: .seconds(2)))
            let afterResponse = try #require(await RawSocket.connect(port: port, within: .seconds(2)))
            let started = ContinuousClock.now
            slowloris.send("GET /healthz HTTP/1.1\r\n")
            slowBody.send("POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
            // A keep-alive connection that made one request is idle after its response.
            afterResponse.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(await afterResponse.readResponse(within: .seconds(2))?.hasPrefix("HTTP/1.1 200") == true)

            // Every 200 ms a byte of headers or body: each keeps the connection busy but never
            // finishes its part, so only the header and body timeouts can end them.
            var closed: [String: Duration] = [:]
            let sockets = ["idle": idle, "slowloris": slowloris, "slow body": slowBody, "idle after a response": afterResponse]
            while closed.count < sockets.count, ContinuousClock.now - started < .seconds(6) {
                slowloris.send("X")
                slowBody.send(" ")
                for (name, socket) in sockets where closed[name] == nil && socket.isClosedByPeer() {
                    closed[name] = ContinuousClock.now - started
                }
                try await Task.sleep(for: .milliseconds(200))
            }
            for name in sockets.keys {
                guard let after = closed[name] else {
                    Issue.record("the \(name) connection was still open after 6 s")
                    continue
                }
                // The timeout is 1 s; allow for the server's sweep interval and a loaded machine.
                #expect(after < .seconds(4), "the \(name) connection was closed only after \(after)")
            }
            #expect(service.isRunning)
        }
    }

    @Test func atTheDescriptorLimitItStaysAliveAndAnswers() async throws {
        // 256 descriptors for the service; 400 attackers that connect and send nothing or a
        // slowloris head, with timeouts long enough that only the connection limit helps.
        let environment = [
            "MPSHOOK_HTTP_IDLE_TIMEOUT": "120", "MPSHOOK_HTTP_HEADER_TIMEOUT": "120",
            "MPSHOOK_CALLBACK_KEYS": "k1:" + String(repeating: "A", count: 43),
            "MPSHOOK_PUBLIC_BASE_URL": "https://hooks.example.com",
        ]
        try await withService(environment: environment, descriptorLimit: 256) { service, port, _ in
            var attackers: [RawSocket] = []
            for index in 0..<400 {
                guard let socket = RawSocket.startConnecting(port: port) else { continue }
                if index.isMultiple(of: 2) { socket.send("GET / HTTP/1.1\r\nX-Slow: ") }
                attackers.append(socket)
            }
            #expect(attackers.count == 400)

            let health = await RawSocket.exchange(port: port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", within: .seconds(10))
            #expect(health?.hasPrefix("HTTP/1.1 200") == true, "GET /healthz under attack: \(health ?? "no answer")")
            let body = IntakeIntegrationTests.body(context: "hostile")
            let notify = await RawSocket.exchange(
                port: port,
                "POST /mps/notify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)",
                within: .seconds(10)
            )
            // No token: the door answers 401, which shows it is reading and answering.
            #expect(notify?.hasPrefix("HTTP/1.1 401") == true, "POST to the notify path under attack: \(notify ?? "no answer")")
            #expect(service.isRunning)

            attackers.removeAll()
            let after = await RawSocket.exchange(port: port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", within: .seconds(5))
            #expect(after?.hasPrefix("HTTP/1.1 200") == true, "GET /healthz after the attack: \(after ?? "no answer")")
            #expect(service.isRunning, "the service died: \(service.standardError.suffix(2000))")
        }
    }

    @Test func expectContinueGetsAnInterimResponseBeforeTheBodyIsSent() async throws {
        try await withService(environment: [:]) { _, port, url in
            // A key, so the request gets as far as reading its body (without one it is answered 401 at once).
            let created = try await MPSHook.run(["keys", "create", "--name", "expect-continue", "--scope", "write"], database: url)
            let key = try #require(created.stdout.split(separator: "\n").first.map(String.init), "keys create: \(created.stderr)")
            let socket = try #require(await RawSocket.connect(port: port, within: .seconds(2)))
            socket.send(
                "POST /v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(key)\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 2\r\nExpect: 100-continue\r\n\r\n"
            )
            let interim = await socket.readResponse(within: .milliseconds(800))
            #expect(interim == "HTTP/1.1 100 Continue\r\n\r\n")
            socket.send("{}")
            let final = await socket.readResponse(within: .seconds(5))
            #expect(final?.hasPrefix("HTTP/1.1 400") == true, "the final answer: \(final ?? "none")")
        }
    }

    @Test func expectContinueWithATooLargeBodyOrAnUnknownExpectationIsAnsweredAtOnce() async throws {
        try await withService(environment: ["MPSHOOK_NOTIFY_MAX_BODY": "2048"]) { _, port, _ in
            let large = try #require(await RawSocket.connect(port: port, within: .seconds(2)))
            large.send("POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\nExpect: 100-continue\r\n\r\n")
            let tooLarge = await large.readResponse(within: .milliseconds(800))
            #expect(tooLarge?.hasPrefix("HTTP/1.1 413") == true, "answer: \(tooLarge ?? "none")")

            let unknown = try #require(await RawSocket.connect(port: port, within: .seconds(2)))
            unknown.send("POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: something-else\r\n\r\n")
            let refused = await unknown.readResponse(within: .milliseconds(800))
            #expect(refused?.hasPrefix("HTTP/1.1 417") == true, "answer: \(refused ?? "none")")
        }
    }

    /// Runs `body` with `mpshook serve` on a fresh, migrated database, started with
    /// `environment` added and (when given) its descriptor limit lowered through `prlimit`.
    private func withService(
        environment extra: [String: String], descriptorLimit: Int? = nil,
        _ body: (ChildProcess, Int, String) async throws -> Void
    ) async throws {
        try await TestDatabase.withFreshDatabase { url in
            #expect(try await MPSHook.run(["migrate"], database: url).status == 0)
            var environment = MPSHook.environment(database: url)
            environment.merge(extra) { _, new in new }
            let command = descriptorLimit.map { ["prlimit", "--nofile=\($0):\($0)"] } ?? []
            let service = try ChildProcess(command + [MPSHook.binary, "serve"], environment: environment)
            defer {
                service.signal(SIGKILL)
                _ = service.status
                service.removeFiles()
            }
            var port: Int?
            _ = try await TestDatabase.eventually(within: .seconds(20)) {
                port = service.standardError.split(separator: "\n").first { $0.contains("\"http.address\"") }
                    .flatMap { $0.split(separator: ":").last }.flatMap { Int($0.prefix { $0.isNumber }) }
                return port != nil || !service.isRunning
            }
            let listening = try #require(port, "no listening line; log: \(service.standardError)")
            try await body(service, listening, url)
        }
    }
}

/// A raw TCP connection to 127.0.0.1, for sending a request byte by byte and seeing exactly
/// what comes back and when the server closes.
final class RawSocket {
    let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    /// A non-blocking socket whose connection to `port` has been started, not necessarily
    /// finished (the server's accept queue may be full).
    static func startConnecting(port: Int) -> RawSocket? {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        let socket = RawSocket(descriptor: descriptor)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 || errno == EINPROGRESS else { return nil }
        return socket
    }

    /// A socket connected to `port`, or nil when the connection is not established in time.
    static func connect(port: Int, within limit: Duration) async -> RawSocket? {
        guard let socket = startConnecting(port: port) else { return nil }
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            var poller = pollfd(fd: socket.descriptor, events: Int16(POLLOUT), revents: 0)
            if poll(&poller, 1, 0) == 1 {
                var error: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(socket.descriptor, SOL_SOCKET, SO_ERROR, &error, &length)
                return error == 0 ? socket : nil
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    /// Connects, sends `request` and returns what arrives until the server closes or `limit`.
    static func exchange(port: Int, _ request: String, within limit: Duration) async -> String? {
        let deadline = ContinuousClock.now + limit
        guard let socket = await connect(port: port, within: limit) else { return nil }
        socket.send(request)
        var received: [UInt8] = []
        while ContinuousClock.now < deadline {
            let chunk = socket.receiveAvailable()
            received += chunk.bytes
            if chunk.closed { break }
            if chunk.bytes.isEmpty { try? await Task.sleep(for: .milliseconds(10)) }
        }
        return received.isEmpty ? nil : String(decoding: received, as: UTF8.self)
    }

    /// Sends `text`; a connection the server closed is not an error here (the caller checks).
    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// The bytes that arrive within `limit`, once some have arrived and nothing more comes for
    /// 100 ms (or the server closes); nil when nothing arrives.
    func readResponse(within limit: Duration) async -> String? {
        let deadline = ContinuousClock.now + limit
        var received: [UInt8] = []
        var lastArrival = ContinuousClock.now
        while ContinuousClock.now < deadline {
            let chunk = receiveAvailable()
            if !chunk.bytes.isEmpty {
                received += chunk.bytes
                lastArrival = ContinuousClock.now
            }
            if chunk.closed || (!received.isEmpty && ContinuousClock.now - lastArrival > .milliseconds(100)) { break }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return received.isEmpty ? nil : String(decoding: received, as: UTF8.self)
    }

    /// Whether the server has closed the connection (end of stream or reset); bytes it sent
    /// before (a 408) are read and dropped.
    func isClosedByPeer() -> Bool {
        receiveAvailable().closed
    }

    private func receiveAvailable() -> (bytes: [UInt8], closed: Bool) {
        var collected: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count > 0 {
                collected += buffer[0..<count]
                continue
            }
            if count == 0 { return (collected, true) }
            return (collected, errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN && errno != EINPROGRESS)
        }
    }
}
