import Foundation
import Postgres
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `mpshook serve` must never use up its descriptors: on Linux, libdispatch (under Swift's
/// executor) checks its worker threads every second by opening `/proc/<tid>/stat`, and when that
/// open fails it traps (SIGILL, "workq: registered worker exited prematurely"). So the HTTP
/// connection limit has to leave room for everything else the process holds or will open,
/// including descriptors it already held when it started (inherited from whoever started it).
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct DescriptorExhaustionTests {
    static let limit = 384
    /// Descriptors the service inherits and holds for its whole life: more than half its limit.
    static let inherited = 200

    @Test func descriptorsHeldAtStartLeaveAConnectionFloodRoomForTheDatabaseAndTheProcessAlive() async throws {
        try await TestDatabase.withFreshDatabase { url in
            #expect(try await MPSHook.run(["migrate"], database: url).status == 0)
            var environment = MPSHook.environment(database: url)
            environment.merge([
                "MPSHOOK_HTTP_IDLE_TIMEOUT": "120", "MPSHOOK_HTTP_HEADER_TIMEOUT": "120",
                "MPSHOOK_CALLBACK_KEYS": "k1:" + String(repeating: "A", count: 43),
                "MPSHOOK_PUBLIC_BASE_URL": "https://hooks.example.com",
            ]) { _, new in new }
            // bash opens the descriptors without close-on-exec, so prlimit and then mpshook
            // (one process, exec after exec) hold them; the test process keeps none.
            let holdAndRun = "for _ in $(seq 1 \(Self.inherited)); do exec {fd}</dev/null || exit 97; done; exec \"$@\""
            let service = try ChildProcess(
                ["bash", "-c", holdAndRun, "bash", "prlimit", "--nofile=\(Self.limit):\(Self.limit)", MPSHook.binary, "serve"],
                environment: environment
            )
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
            #expect(Self.openDescriptors(service.pid).map { $0 >= Self.inherited } == true, "the service did not inherit the held descriptors")

            // More connections than the service has descriptors left, held open.
            var attackers: [RawSocket] = []
            for index in 0..<400 {
                guard let socket = RawSocket.startConnecting(port: listening) else { continue }
                if index.isMultiple(of: 2) { socket.send("GET / HTTP/1.1\r\nX-Slow: ") }
                attackers.append(socket)
            }
            #expect(attackers.count == 400)

            // Its database sessions are ended under the flood: the pool and the process's one
            // listening session must reconnect, which needs descriptors the flood must not have taken.
            try await TestDatabase.withClient(url: url, maximumConnections: 1) { admin in
                // Materialized first, so this session is never among those terminated.
                let ended = try await admin.query("""
                    WITH others AS MATERIALIZED (
                        SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
                    )
                    SELECT count(*) FROM others WHERE pg_terminate_backend(pid)
                    """)[0].decode(Int.self, at: 0)
                #expect(ended > 0, "the service had no database sessions to end")
                let back = try await TestDatabase.eventually(within: .seconds(10)) {
                    try await admin.query("""
                        SELECT count(*) FROM pg_stat_activity
                        WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN %'
                        """)[0].decode(Int.self, at: 0) >= 1
                }
                #expect(back, "the shared LISTEN session did not come back under the flood")
            }

            // Watched past a few of libdispatch's one-second checks: the descriptors never all
            // taken, the door answering, the process alive.
            var peak = 0
            let watchUntil = ContinuousClock.now + .seconds(3)
            while ContinuousClock.now < watchUntil, service.isRunning {
                peak = max(peak, Self.openDescriptors(service.pid) ?? 0)
                let health = await RawSocket.exchange(port: listening, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", within: .seconds(10))
                #expect(health?.hasPrefix("HTTP/1.1 200") == true, "GET /healthz under the flood: \(health ?? "no answer")")
                peak = max(peak, Self.openDescriptors(service.pid) ?? 0)
            }
            #expect(peak < Self.limit, "the service used all \(Self.limit) of its descriptors")
            #expect(service.isRunning, "the service died: \(service.standardError.suffix(2000))")
            #expect(!service.standardError.contains("Too many open files"), "\(service.standardError.suffix(2000))")

            attackers.removeAll()
            let after = await RawSocket.exchange(port: listening, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", within: .seconds(5))
            #expect(after?.hasPrefix("HTTP/1.1 200") == true, "GET /healthz after the flood: \(after ?? "no answer")")
            #expect(service.isRunning, "the service died: \(service.standardError.suffix(2000))")
        }
    }

    /// The descriptors `pid` has open, or nil once it is gone.
    static func openDescriptors(_ pid: pid_t) -> Int? {
        try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count
    }
}
