import Correlation
import Foundation
import Hashing
import Postgres
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The shipped nginx configuration (deploy/nginx/mpshook.conf, unchanged) run by Debian's nginx
/// on loopback, with a self-signed certificate made here, in front of two `mpshook serve`
/// replicas on a fresh database, and a third upstream address that refuses connections (a
/// replica that is down). Clients connect from their own loopback addresses (127.0.0.2 through
/// nginx, 127.0.0.3 directly), so the address recorded tells who was believed.
///
/// Fails, never skips, when nginx, openssl or curl is missing or nginx does not start
/// (scripts/test.sh installs them).
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct NginxIntegrationTests {
    static let client = "127.0.0.2"
    static let stranger = "127.0.0.3"
    static let notifyKey = "nginx-test-notify-key"

    @Test func notificationsAndAPICallsThroughNginxLandWithTheForwardedAddressAndNoTokenInAnyLog() async throws {
        let nginx = try #require(Self.nginxBinary(), "nginx is not installed (scripts/install-deps.sh nginx)")
        let keyBytes = SecureRandom.bytes(count: 32)
        let keyId = try #require(CallbackTokens.KeyId("k1"))
        let tokens = try CallbackTokens(keys: [keyId: keyBytes], current: keyId)

        try await TestDatabase.withFreshDatabase { url in
            #expect(try await MPSHook.run(["migrate"], database: url).status == 0)
            let created = try await MPSHook.run(["keys", "create", "--name", "nginx-test", "--scope", "read"], database: url)
            let apiKey = try #require(created.stdout.split(separator: "\n").first.map(String.init), "keys create: \(created.stderr)")

            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nginx-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let nginxPort = try #require(freeLoopbackPort())
            let base = "https://127.0.0.1:\(nginxPort)"

            var environment = MPSHook.environment(database: url)
            environment["MPSHOOK_CALLBACK_KEYS"] = "k1:" + Base64URL.encode(keyBytes)
            environment["MPSHOOK_NOTIFY_KEY"] = Self.notifyKey
            environment["MPSHOOK_PUBLIC_BASE_URL"] = base
            environment["MPSHOOK_TRUSTED_PROXIES"] = "127.0.0.1"
            environment["LOG_LEVEL"] = "debug"
            let replicas = [try ChildProcess([MPSHook.binary, "serve"], environment: environment),
                            try ChildProcess([MPSHook.binary, "serve"], environment: environment)]
            var nginxProcess: ChildProcess?
            defer {
                if let nginxProcess { Self.stop(nginxProcess) }
                replicas.forEach { Self.stop($0) }
            }
            var ports: [Int] = []
            for replica in replicas {
                ports.append(try await Self.listeningPort(of: replica))
            }
            let down = try ReservedPort()

            try await Self.writeCertificate(in: folder)
            try Self.writeConfiguration(in: folder, port: nginxPort, replicas: ports, down: down.port)
            let test = try await Self.run([
                nginx, "-t", "-p", folder.path + "/", "-c", folder.appendingPathComponent("nginx.conf").path,
                "-e", folder.appendingPathComponent("startup.log").path,
            ])
            try #require(test.status == 0, "nginx -t: \(test.output)")
            let started = try ChildProcess(
                [nginx, "-p", folder.path + "/", "-c", folder.appendingPathComponent("nginx.conf").path, "-e", folder.appendingPathComponent("startup.log").path],
                environment: ProcessInfo.processInfo.environment
            )
            nginxProcess = started
            let listening = try await TestDatabase.eventually(within: .seconds(10)) {
                await RawSocket.connect(port: nginxPort, within: .milliseconds(200)) != nil || !started.isRunning
            }
            try #require(listening && started.isRunning, "nginx did not start: \(started.standardError) \(Self.read(folder, "startup.log"))")

            let https = HTTPS(base: base, certificate: folder.appendingPathComponent("cert.pem").path)
            var sentTokens: [String] = []

            // Errors are logged for the other paths: a request that meets the refusing upstream
            // is written to the error log (so its silence about the notify path means something).
            var sawUpstreamError = false
            for _ in 0..<9 where !sawUpstreamError {
                let spec = try await https.request("/openapi.yaml", from: Self.client)
                #expect(spec.status == 200 && spec.body.contains("openapi:"), "GET /openapi.yaml: \(spec.status)")
                sawUpstreamError = Self.read(folder, "error.log").contains("connect() failed")
            }
            #expect(sawUpstreamError, "no upstream error logged for the refusing upstream: \(Self.read(folder, "error.log"))")

            // Notifications as MPS sends them, through nginx over HTTPS. One claims a forged
            // address in X-Forwarded-For: nginx replaces the header, so it is not believed either.
            var correlations: [CorrelationId] = []
            for index in 0..<12 {
                let correlation = CorrelationId()
                let token = tokens.token(for: correlation)
                sentTokens.append(token)
                let headers = index == 0 ? ["X-Forwarded-For: 198.51.100.66", "X-Real-IP: 198.51.100.66"] : []
                let answer = try await https.request(
                    "/mps/notify?token=\(token)", from: Self.client, method: "POST", headers: headers,
                    body: IntakeIntegrationTests.body(context: correlation.sessionContext, key: Self.notifyKey)
                )
                #expect(answer.status == 200 && answer.body == #"{"status":"stored"}"#, "notification \(index): \(answer.status) \(answer.body)")
                correlations.append(correlation)
            }
            // A body over the limit is refused by nginx (413, as mpshook would), without a log line holding its token.
            let large = CorrelationId()
            let largeToken = tokens.token(for: large)
            sentTokens.append(largeToken)
            let tooLarge = try await https.request(
                "/mps/notify?token=\(largeToken)", from: Self.client, method: "POST",
                body: String(repeating: " ", count: (1 << 20) + 1) + "{}"
            )
            #expect(tooLarge.status == 413, "an oversized callback: \(tooLarge.status)")

            // A forged header sent straight to each replica from an address that is no proxy:
            // the peer's address is recorded, not the header's.
            var forged: [CorrelationId] = []
            for port in ports {
                let correlation = CorrelationId()
                let token = tokens.token(for: correlation)
                sentTokens.append(token)
                let answer = try await HTTPS.plain(
                    "http://127.0.0.1:\(port)/mps/notify?token=\(token)", from: Self.stranger,
                    headers: ["X-Forwarded-For: 198.51.100.77"],
                    body: IntakeIntegrationTests.body(context: correlation.sessionContext, key: Self.notifyKey)
                )
                #expect(answer.status == 200, "direct to \(port): \(answer.status) \(answer.body)")
                forged.append(correlation)
            }

            try await TestDatabase.withClient(url: url) { database in
                let rows = try await database.query("SELECT id, correlation_id, source_address FROM notifications ORDER BY id")
                let stored = try rows.map { try $0.decode((Int64, UUID?, String?).self) }
                let byCorrelation = Dictionary(stored.map { ($0.1, ($0.0, $0.2)) }, uniquingKeysWith: { first, _ in first })
                #expect(stored.count == correlations.count + forged.count)
                for correlation in correlations {
                    #expect(byCorrelation[correlation.uuid]?.1 == Self.client, "through nginx: \(String(describing: byCorrelation[correlation.uuid]))")
                }
                for correlation in forged {
                    #expect(byCorrelation[correlation.uuid]?.1 == Self.stranger, "direct, forged: \(String(describing: byCorrelation[correlation.uuid]))")
                }

                // The API through nginx: the notification as stored, with the forwarded address.
                let first = try #require(byCorrelation[correlations[0].uuid]?.0)
                let shown = try await https.request("/v1/notifications/\(first)", from: Self.client, headers: ["Authorization: Bearer \(apiKey)"])
                #expect(shown.status == 200, "GET /v1/notifications/\(first): \(shown.status) \(shown.body)")
                let document = try JSONSerialization.jsonObject(with: Data(shown.body.utf8)) as? [String: Any]
                #expect(document?["sourceAddress"] as? String == Self.client)
                let unauthenticated = try await https.request("/v1/notifications", from: Self.client)
                #expect(unauthenticated.status == 401)
                // Not public through nginx.
                #expect(try await https.request("/metrics", from: Self.client).status == 404)

                // Server-Sent Events through nginx arrive as they happen, not when a buffer fills:
                // as soon as mpshook has sent the event (seen on a stream straight to each replica).
                let stream = try https.stream("/v1/events?kinds=notification", from: Self.client, apiKey: apiKey)
                let directs = try ports.map {
                    try HTTPS.stream("http://127.0.0.1:\($0)/v1/events?kinds=notification", from: Self.stranger, apiKey: apiKey)
                }
                defer { ([stream] + directs).forEach { Self.stop($0, signal: SIGKILL) } }
                for opened in [stream] + directs {
                    let open = try await TestDatabase.eventually(within: .seconds(10)) {
                        opened.standardOutput.contains(" 200") || !opened.isRunning
                    }
                    try #require(open && opened.isRunning, "an event stream did not open: \(opened.standardOutput) \(opened.standardError)")
                }
                let live = CorrelationId()
                let liveToken = tokens.token(for: live)
                sentTokens.append(liveToken)
                let answer = try await https.request(
                    "/mps/notify?token=\(liveToken)", from: Self.client, method: "POST",
                    body: IntakeIntegrationTests.body(context: live.sessionContext, key: Self.notifyKey)
                )
                #expect(answer.status == 200)
                let liveId = try await database.query("SELECT id FROM notifications WHERE correlation_id = \(live.uuid)")[0].decode(Int64.self, at: 0)
                let event = "\"notificationId\":\(liveId)"
                // The event exists once the applier has applied the notification, and each replica
                // sends it when its change-feed reader wakes (at once on NOTIFY, or at its 5 s poll).
                let sent = try await TestDatabase.eventually(within: .seconds(30)) {
                    directs.allSatisfy { $0.standardOutput.contains(event) }
                }
                try #require(sent, "the replicas never streamed notification \(liveId)")
                // A buffering proxy would hold this one small event until its buffer filled or the
                // stream ended: far past this bound.
                let delivered = try await TestDatabase.eventually(within: .seconds(2)) { stream.standardOutput.contains(event) }
                #expect(delivered, "nginx did not pass on the event for notification \(liveId) within 2 s: \(stream.standardOutput.suffix(2000))")
            }

            // Both replicas answered through nginx, and a callback that met the refusing
            // upstream was passed on to a replica (two attempts logged, without the query).
            let access = Self.read(folder, "access.log")
            for port in ports {
                #expect(access.contains("127.0.0.1:\(port)"), "replica \(port) never answered through nginx")
            }
            let notifyLines = access.split(separator: "\n").filter { $0.contains(#""path":"/mps/notify""#) }
            #expect(notifyLines.count == correlations.count + 2)
            #expect(notifyLines.contains { $0.contains("127.0.0.1:\(down.port), ") && $0.contains(#""status":200"#) },
                    "no callback was passed on from the refusing upstream: \(notifyLines.prefix(3))")
            #expect(notifyLines.contains { $0.contains(#""status":413"#) })
            #expect(access.contains(#""client":"127.0.0.2""#))

            // The replicas' request logs name the forwarded client.
            let replicaLogs = replicas.map { $0.standardOutput + $0.standardError }
            #expect(replicaLogs.joined().contains(#""client.address":"127.0.0.2""#), "no request logged with the client's address")
            // One id a request in both logs: nginx's $request_id, passed on in X-Request-Id, is the
            // id the replica logged the request under.
            let apiIds = access.split(separator: "\n").filter { $0.contains(#""path":"/v1/notifications"#) }.compactMap { line -> String? in
                guard let start = line.range(of: #""request_id":""#) else { return nil }
                return String(line[start.upperBound...].prefix { $0 != "\"" })
            }
            #expect(apiIds.count >= 2 && apiIds.allSatisfy { $0.count == 32 })
            for id in apiIds {
                #expect(replicaLogs.joined().contains(#""hb.request.id":"\#(id)""#), "nginx's request \(id) is not in a replica's log")
            }

            // No token, nor its MAC alone, in any log: nginx's access, error and startup logs, both replicas'.
            let logs = [("access.log", access), ("error.log", Self.read(folder, "error.log")), ("startup.log", Self.read(folder, "startup.log"))]
                + replicaLogs.enumerated().map { ("replica \($0.offset)", $0.element) }
            for (name, text) in logs {
                let leaked = sentTokens.filter { token in text.contains(String(token.split(separator: ".").last ?? "")) }
                #expect(leaked.isEmpty, "\(name) holds \(leaked.count) callback token(s)")
            }
            #expect(sentTokens.count == correlations.count + forged.count + 2)
        }
    }

    // MARK: Setting up

    static func nginxBinary() -> String? {
        ["/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A self-signed certificate for 127.0.0.1 and localhost, made with openssl.
    static func writeCertificate(in folder: URL) async throws {
        let result = try await run([
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout", folder.appendingPathComponent("key.pem").path, "-out", folder.appendingPathComponent("cert.pem").path,
        ])
        guard result.status == 0 else { throw ChildProcess.Failure(description: "openssl req: \(result.output)") }
    }

    /// nginx.conf (the process settings, then deploy/nginx/mpshook.conf as shipped) and this
    /// site's two include files, in `folder` (nginx's prefix and configuration folder).
    static func writeConfiguration(in folder: URL, port: Int, replicas: [Int], down: Int) throws {
        let shipped = TestDatabase.repositoryRoot.appendingPathComponent("deploy/nginx/mpshook.conf")
        try FileManager.default.copyItem(at: shipped, to: folder.appendingPathComponent("mpshook.conf"))
        let path = folder.path
        // As root, the workers would run as nobody, who cannot enter this folder.
        let user = geteuid() == 0 ? "user root root;\n" : ""
        let main = """
            \(user)daemon off;
            master_process on;
            worker_processes 1;
            pid \(path)/nginx.pid;
            error_log \(path)/error.log info;
            events { worker_connections 256; }
            http {
                client_body_temp_path \(path)/body;
                proxy_temp_path \(path)/proxy;
                fastcgi_temp_path \(path)/fastcgi;
                uwsgi_temp_path \(path)/uwsgi;
                scgi_temp_path \(path)/scgi;
                include mpshook.conf;
            }

            """
        try main.write(to: folder.appendingPathComponent("nginx.conf"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("mpshook"), withIntermediateDirectories: true)
        // The refusing upstream first and never marked down, so callbacks keep meeting it.
        let upstreams = (["server 127.0.0.1:\(down) max_fails=0;"] + replicas.map { "server 127.0.0.1:\($0) max_fails=0;" })
            .joined(separator: "\n") + "\n"
        try upstreams.write(to: folder.appendingPathComponent("mpshook/replicas.conf"), atomically: true, encoding: .utf8)
        // The error log at info, stricter than a site would keep it: more lines that could leak.
        let site = """
            listen 127.0.0.1:\(port) ssl http2;
            server_name localhost;
            ssl_certificate \(path)/cert.pem;
            ssl_certificate_key \(path)/key.pem;
            access_log \(path)/access.log mpshook_safe;
            error_log \(path)/error.log info;

            """
        try site.write(to: folder.appendingPathComponent("mpshook/site.conf"), atomically: true, encoding: .utf8)
    }

    /// The port a replica logged it listens on.
    static func listeningPort(of replica: ChildProcess) async throws -> Int {
        var port: Int?
        _ = try await TestDatabase.eventually(within: .seconds(30)) {
            port = replica.standardError.split(separator: "\n").first { $0.contains("\"http.address\"") }
                .flatMap { $0.split(separator: ":").last }.flatMap { Int($0.prefix { $0.isNumber }) }
            return port != nil || !replica.isRunning
        }
        return try #require(port, "a replica did not start: \(replica.standardError.suffix(3000))")
    }

    /// Runs a command to its end; its status and what it printed.
    static func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let child = try ChildProcess(arguments, environment: ProcessInfo.processInfo.environment)
        defer { child.removeFiles() }
        guard let status = try await child.waitForExit(within: .seconds(60)) else {
            child.signal(SIGKILL)
            throw ChildProcess.Failure(description: "\(arguments[0]) did not exit within 60 s")
        }
        return (status, child.standardOutput + child.standardError)
    }

    static func read(_ folder: URL, _ name: String) -> String {
        (try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)) ?? ""
    }

    /// `signal` (SIGTERM: nginx stops its workers, mpshook shuts down), then SIGKILL if still
    /// running after 10 s.
    static func stop(_ process: ChildProcess, signal: Int32 = SIGTERM) {
        process.signal(signal)
        let deadline = ContinuousClock.now + .seconds(10)
        while process.isRunning, ContinuousClock.now < deadline { usleep(20_000) }
        process.signal(SIGKILL)
        _ = process.status
        process.removeFiles()
    }
}

/// Requests with curl from a chosen loopback source address (`--interface`), over HTTPS to nginx
/// with the test's certificate, or over plain HTTP straight to a replica.
struct HTTPS {
    let base: String
    let certificate: String

    struct Answer {
        var status: Int
        var body: String
    }

    func request(
        _ path: String, from source: String, method: String = "GET", headers: [String] = [], body: String? = nil
    ) async throws -> Answer {
        try await Self.curl(["--cacert", certificate, base + path], from: source, method: method, headers: headers, body: body)
    }

    static func plain(_ url: String, from source: String, headers: [String], body: String) async throws -> Answer {
        try await curl([url], from: source, method: "POST", headers: headers, body: body)
    }

    /// An open `curl -N` on an event stream through nginx, its output (head and events) in its output file.
    func stream(_ path: String, from source: String, apiKey: String) throws -> ChildProcess {
        try Self.stream(base + path, from: source, apiKey: apiKey, options: ["--cacert", certificate])
    }

    static func stream(_ url: String, from source: String, apiKey: String, options: [String] = []) throws -> ChildProcess {
        try ChildProcess(
            ["curl", "-sS", "-N", "-i", "--max-time", "60", "--interface", source, "-H", "Authorization: Bearer \(apiKey)"] + options + [url],
            environment: ProcessInfo.processInfo.environment
        )
    }

    private static func curl(_ arguments: [String], from source: String, method: String, headers: [String], body: String?) async throws -> Answer {
        var command = ["curl", "-sS", "--max-time", "30", "--interface", source, "-X", method, "-o", "-", "-w", "\n%{http_code}"]
        for header in headers { command += ["-H", header] }
        var bodyFile: URL?
        if let body {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("nginx-body-\(UUID().uuidString)")
            try body.write(to: file, atomically: true, encoding: .utf8)
            bodyFile = file
            command += ["-H", "Content-Type: application/json", "--data-binary", "@" + file.path]
        }
        defer { bodyFile.map { try? FileManager.default.removeItem(at: $0) } }
        let output = try await ChildProcess.run(command + arguments)
        guard let newline = output.lastIndex(of: "\n"), let status = Int(output[output.index(after: newline)...]) else {
            throw ChildProcess.Failure(description: "curl printed no status: \(output.suffix(500))")
        }
        return Answer(status: status, body: String(output[..<newline]))
    }
}
