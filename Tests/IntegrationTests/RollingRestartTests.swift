import Correlation
import Foundation
import Hashing
import Postgres
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A rolling restart behind nginx under load: Debian's nginx with deploy/nginx/mpshook.conf as
/// shipped (NginxIntegrationTests' harness) in front of two `mpshook serve` replicas on fixed
/// ports, while signed notifications with unique bodies arrive over many HTTPS connections at a
/// few hundred per second; replica A is stopped with SIGTERM and started again on its port, then
/// replica B. Fails, never skips, without nginx, openssl or curl (scripts/test.sh installs them).
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct RollingRestartTests {
    /// Load: `senders` curl processes (one keep-alive connection each), `perSender` requests
    /// each at `rate` per second: 24 × 12/s = 288 notifications per second for 10 s.
    static let senders = 24
    static let perSender = 120
    static let rate = 12
    static let notifyKey = "rolling-test-notify-key"
    /// Clients come from these loopback addresses (nginx rate-limits per address).
    static let sources = ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"]

    @Test func aRollingRestartUnderLoadLosesNothingDuplicatesNothingAndAnswersNo5xxButA503() async throws {
        let nginx = try #require(NginxIntegrationTests.nginxBinary(), "nginx is not installed (scripts/install-deps.sh nginx)")
        let keyBytes = SecureRandom.bytes(count: 32)
        let keyId = try #require(CallbackTokens.KeyId("k1"))
        let tokens = try CallbackTokens(keys: [keyId: keyBytes], current: keyId)

        try await TestDatabase.withFreshDatabase { url in
            #expect(try await MPSHook.run(["migrate"], database: url).status == 0)
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rolling-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let nginxPort = try #require(freeLoopbackPort())
            let base = "https://127.0.0.1:\(nginxPort)"
            let ports = [try #require(freeLoopbackPort()), try #require(freeLoopbackPort())]

            var environment = MPSHook.environment(database: url)
            environment["MPSHOOK_CALLBACK_KEYS"] = "k1:" + Base64URL.encode(keyBytes)
            environment["MPSHOOK_NOTIFY_KEY"] = Self.notifyKey
            environment["MPSHOOK_PUBLIC_BASE_URL"] = base
            environment["MPSHOOK_TRUSTED_PROXIES"] = "127.0.0.1"
            environment["MPSHOOK_SHUTDOWN_TIMEOUT"] = "20"
            var replicas: [ChildProcess] = []
            var nginxProcess: ChildProcess?
            defer {
                if let nginxProcess { NginxIntegrationTests.stop(nginxProcess) }
                replicas.forEach { NginxIntegrationTests.stop($0) }
            }
            for port in ports {
                replicas.append(try await Self.startReplica(environment: environment, port: port))
            }

            // The shipped configuration, and the shipped replicas.conf with this test's ports.
            try await NginxIntegrationTests.writeCertificate(in: folder)
            try NginxIntegrationTests.writeConfiguration(in: folder, port: nginxPort, replicas: ports, down: 1)
            let shippedReplicas = try String(
                contentsOf: TestDatabase.repositoryRoot.appendingPathComponent("deploy/nginx/mpshook/replicas.conf"), encoding: .utf8
            )
            try #require(shippedReplicas.contains("127.0.0.1:8080") && shippedReplicas.contains("127.0.0.1:8081"))
            try shippedReplicas.replacingOccurrences(of: "127.0.0.1:8080", with: "127.0.0.1:\(ports[0])")
                .replacingOccurrences(of: "127.0.0.1:8081", with: "127.0.0.1:\(ports[1])")
                .write(to: folder.appendingPathComponent("mpshook/replicas.conf"), atomically: true, encoding: .utf8)
            let configuration = folder.appendingPathComponent("nginx.conf").path
            let startup = folder.appendingPathComponent("startup.log").path
            let check = try await NginxIntegrationTests.run([nginx, "-t", "-p", folder.path + "/", "-c", configuration, "-e", startup])
            try #require(check.status == 0, "nginx -t: \(check.output)")
            let started = try ChildProcess(
                [nginx, "-p", folder.path + "/", "-c", configuration, "-e", startup], environment: ProcessInfo.processInfo.environment
            )
            nginxProcess = started
            let listening = try await TestDatabase.eventually(within: .seconds(10)) {
                await RawSocket.connect(port: nginxPort, within: .milliseconds(200)) != nil || !started.isRunning
            }
            try #require(listening && started.isRunning, "nginx did not start: \(started.standardError)")

            // Every request written out up front (a curl config per sender): unique bodies, signed.
            var correlations: [[UUID]] = []
            var senderConfigurations: [String] = []
            let certificate = folder.appendingPathComponent("cert.pem").path
            for sender in 0..<Self.senders {
                var lines: [String] = []
                var sent: [UUID] = []
                for index in 0..<Self.perSender {
                    let correlation = CorrelationId()
                    let body = folder.appendingPathComponent("body-\(sender)-\(index).json")
                    try IntakeIntegrationTests.body(context: correlation.sessionContext, key: Self.notifyKey)
                        .write(to: body, atomically: false, encoding: .utf8)
                    if index > 0 { lines.append("next") }
                    lines += [
                        "url = \"\(base)/mps/notify?token=\(tokens.token(for: correlation))\"",
                        "cacert = \"\(certificate)\"", "interface = \"\(Self.sources[sender % Self.sources.count])\"",
                        "http1.1", "max-time = 30", "request = \"POST\"", "header = \"Content-Type: application/json\"",
                        "data-binary = \"@\(body.path)\"", "output = \"/dev/null\"", "write-out = \"%{http_code}\\n\"",
                    ]
                    sent.append(correlation.uuid)
                }
                let file = folder.appendingPathComponent("sender-\(sender).curl")
                try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
                senderConfigurations.append(file.path)
                correlations.append(sent)
            }

            let loadStarted = ContinuousClock.now
            let load = try senderConfigurations.map {
                try ChildProcess(["curl", "-sS", "--rate", "\(Self.rate)/s", "--config", $0], environment: ProcessInfo.processInfo.environment)
            }
            defer { load.forEach { NginxIntegrationTests.stop($0, signal: SIGKILL) } }

            // The rolling restart, while the load runs: A, then B.
            try await Task.sleep(for: .seconds(2))
            var restarts: [String] = []
            for (index, port) in ports.enumerated() {
                let old = replicas[index]
                let stopping = ContinuousClock.now
                old.signal(SIGTERM)
                let status = try await old.waitForExit(within: .seconds(30))
                let stopped = ContinuousClock.now - stopping
                try #require(status == 0, "replica \(index) did not stop cleanly on SIGTERM: \(String(describing: status)) \(old.standardError.suffix(2000))")
                let new = try await Self.startReplica(environment: environment, port: port)
                replicas[index] = new
                restarts.append("replica \(index) (port \(port)): stopped in \(stopped), ready again \(ContinuousClock.now - stopping) after SIGTERM")
                try await Task.sleep(for: .seconds(1))
            }
            let restartsDone = ContinuousClock.now - loadStarted

            for sender in load {
                let status = try await sender.waitForExit(within: .seconds(90))
                try #require(status != nil, "a sender did not finish")
            }
            let loadTook = ContinuousClock.now - loadStarted

            // Each sender printed one status per request, in order.
            var statuses: [UUID: Int] = [:]
            for (sender, process) in load.enumerated() {
                let printed = process.standardOutput.split(separator: "\n").map { Int($0) ?? -1 }
                #expect(printed.count == Self.perSender, "sender \(sender) printed \(printed.count) statuses: \(process.standardError.suffix(500))")
                for (index, status) in printed.enumerated() where index < Self.perSender {
                    statuses[correlations[sender][index]] = status
                }
            }
            let sent = Self.senders * Self.perSender
            let byStatus = Dictionary(grouping: statuses.values, by: { $0 }).mapValues(\.count)
            let acknowledged = Set(statuses.filter { (200..<300).contains($0.value) }.keys)

            let (stored, rows, distinctBodies) = try await TestDatabase.withClient(url: url) { database in
                let rows = try await database.query("SELECT correlation_id FROM notifications")
                let ids = try rows.compactMap { try $0.decode(UUID?.self, at: 0) }
                let counts = try await database.query("SELECT count(*), count(DISTINCT body) FROM notifications")[0]
                return (ids, try counts.decode(Int.self, at: 0), try counts.decode(Int.self, at: 1))
            }
            let storedSet = Set(stored)
            let lost = acknowledged.subtracting(storedSet).count
            let duplicates = rows - distinctBodies
            let otherServerErrors = byStatus.filter { (500..<600).contains($0.key) && $0.key != 503 }.values.reduce(0, +)
            let figures = """
                rolling restart: sent \(sent), answered 2xx \(acknowledged.count), stored \(storedSet.count) (rows \(rows)), \
                lost \(lost), duplicated \(duplicates), statuses \(byStatus.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")); \
                load \(loadTook), restarts done at \(restartsDone); \(restarts.joined(separator: "; "))
                """
            print(figures)
            #expect(statuses.count == sent)
            #expect(lost == 0, "\(figures)")
            #expect(duplicates == 0, "\(figures)")
            let failedLines = NginxIntegrationTests.read(folder, "access.log").split(separator: "\n")
                .filter { line in !line.contains(#""status":200"#) && !line.contains(#""status":503"#) }
            #expect(otherServerErrors == 0, "\(figures)\nfirst failures in nginx's access log:\n\(failedLines.prefix(8).joined(separator: "\n"))")
            // Curl saw every answer (no connection to nginx failed) and nothing was stored unasked.
            #expect(byStatus[0] == nil && byStatus[-1] == nil, "\(figures)")
            #expect(storedSet.isSubset(of: Set(statuses.keys)))
            // The restarts happened under the load, not after it.
            #expect(restartsDone < loadTook, "\(figures)")
        }
    }

    /// `mpshook serve` on `port`, once /readyz answers 200.
    static func startReplica(environment: [String: String], port: Int) async throws -> ChildProcess {
        var environment = environment
        environment["MPSHOOK_HTTP_PORT"] = "\(port)"
        let replica = try ChildProcess([MPSHook.binary, "serve"], environment: environment)
        let ready = try await TestDatabase.eventually(within: .seconds(30)) {
            let status = try? await ChildProcess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/readyz"])
            return status == "200" || !replica.isRunning
        }
        try #require(ready && replica.isRunning, "a replica on port \(port) did not become ready: \(replica.standardError.suffix(3000))")
        return replica
    }
}
