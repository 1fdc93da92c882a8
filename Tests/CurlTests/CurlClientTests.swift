import Curl
import NIOPosix
import Testing
import TestSupport

/// Live tests: a real libcurl transfer against `TestServer` on 127.0.0.1.
@Suite struct CurlClientTests {
    @Test func getRoundTripSendsOnlyTheCallersHeaders() async throws {
        try await withServerAndClient { server, client in
            let response = try await client.execute(
                HTTPRequest(url: server.baseURL + "/echo", headers: [("X-Token", "abc"), ("X-Empty", "")])
            )
            #expect(response.status == 200)
            #expect(response.header("X-Echo-Method") == "GET")
            #expect(response.header("X-Echo-X-Token") == "abc")
            #expect(response.header("X-Echo-X-Empty") == "")
            #expect(response.header("X-Echo-User-Agent") == "mpshook")
            #expect(response.body.isEmpty)
            let sent = try #require(response.header("X-Echo-Header-Names")).split(separator: ",").map(String.init)
            #expect(!sent.contains("accept"))
            #expect(!sent.contains("content-type"))
            #expect(!sent.contains("content-length"))
        }
    }

    @Test func postRoundTripEchoesBodyAndHeaders() async throws {
        try await withServerAndClient { server, client in
            let body = Array(#"{"hello":"world"}"#.utf8)
            let response = try await client.execute(
                HTTPRequest(
                    method: "POST",
                    url: server.baseURL + "/echo",
                    headers: [("Content-Type", "application/json"), ("Authorization", "Bearer t")],
                    body: body
                )
            )
            #expect(response.status == 200)
            #expect(response.body == body)
            #expect(response.header("X-Echo-Method") == "POST")
            #expect(response.header("X-Echo-Content-Type") == "application/json")
            #expect(response.header("X-Echo-Authorization") == "Bearer t")
            #expect(response.header("X-Echo-Content-Length") == "\(body.count)")
        }
    }

    /// libcurl would add `Expect: 100-continue` to a large body and wait for the server's go-ahead.
    @Test func largePostGoesInOneRoundTripWithoutExpectOrDefaultContentType() async throws {
        try await withServerAndClient { server, client in
            let body = [UInt8](repeating: UInt8(ascii: "x"), count: 2 << 20)
            let response = try await client.execute(HTTPRequest(method: "POST", url: server.baseURL + "/echo", body: body))
            #expect(response.status == 200)
            #expect(response.body == body)
            let sent = try #require(response.header("X-Echo-Header-Names")).split(separator: ",").map(String.init)
            #expect(!sent.contains("expect"))
            #expect(!sent.contains("content-type"))
        }
    }

    @Test(arguments: ["PUT", "PATCH", "DELETE", "POST"])
    func otherMethodsAreSentAsGiven(method: String) async throws {
        try await withServerAndClient { server, client in
            let response = try await client.execute(HTTPRequest(method: method, url: server.baseURL + "/echo"))
            #expect(response.status == 200)
            #expect(response.header("X-Echo-Method") == method)
            if method != "DELETE" {
                #expect(response.header("X-Echo-Content-Length") == "0")
            }
        }
    }

    @Test func headReturnsWithoutWaitingForABody() async throws {
        try await withServerAndClient { server, client in
            let response = try await client.execute(HTTPRequest(method: "HEAD", url: server.baseURL + "/echo"))
            #expect(response.status == 200)
            #expect(response.header("X-Echo-Method") == "HEAD")
            #expect(response.body.isEmpty)
        }
    }

    @Test(arguments: [204, 404, 500, 503])
    func statusCodesAreResponsesNotErrors(status: Int) async throws {
        try await withServerAndClient { server, client in
            let response = try await client.execute(HTTPRequest(url: server.baseURL + "/status/\(status)"))
            #expect(response.status == status)
            // A 204 has no body by definition; libcurl does not read one.
            #expect(response.body == (status == 204 ? [] : Array("status \(status)".utf8)))
        }
    }

    @Test func headerLookupIsCaseInsensitive() async throws {
        try await withServerAndClient { server, client in
            let response = try await client.execute(HTTPRequest(url: server.baseURL + "/echo"))
            #expect(response.header("x-echo-method") == "GET")
            #expect(response.header("X-ECHO-METHOD") == "GET")
            #expect(response.header("content-length") == "0")
            #expect(response.header("X-Absent") == nil)
        }
    }

    @Test func connectionRefusedIsNotSent() async throws {
        let reserved = try ReservedPort()
        let port = reserved.port
        try await withServerAndClient { _, client in
            let error = try await failure { () async throws(CurlError) in
                try await client.execute(HTTPRequest(method: "POST", url: "http://127.0.0.1:\(port)/echo", body: [1]))
            }
            withExtendedLifetime(reserved) {}
            #expect(error.code == .couldNotConnect)
            #expect(error.delivery == .notSent)
            #expect(error.curlCode == 7)
        }
    }

    @Test func connectTimeoutIsNotSent() async throws {
        let blackhole = try await BlackholeListener.start()
        let configuration = CurlConfiguration(connectTimeout: .milliseconds(300), totalTimeout: .seconds(5))
        try await withServerAndClient(configuration) { _, client in
            let error = try await failure { () async throws(CurlError) in
                try await client.execute(HTTPRequest(method: "POST", url: "http://127.0.0.1:\(blackhole.port)/", body: [1]))
            }
            #expect(error.code == .connectTimeout)
            #expect(error.delivery == .notSent)
            #expect(error.curlCode == 28)
        }
        await blackhole.stop()
    }

    @Test func timeoutAfterTheRequestWasSentIsMaybeSent() async throws {
        let configuration = CurlConfiguration(connectTimeout: .seconds(2), totalTimeout: .milliseconds(500))
        try await withServerAndClient(configuration) { server, client in
            let clock = ContinuousClock()
            let start = clock.now
            let error = try await failure { () async throws(CurlError) in
                try await client.execute(HTTPRequest(method: "POST", url: server.baseURL + "/hang", body: [1, 2, 3]))
            }
            #expect(error.code == .timeout)
            #expect(error.delivery == .maybeSent)
            #expect(error.curlCode == 28)
            #expect(clock.now - start < .seconds(3))
        }
    }

    @Test func serverClosingAfterReadingTheRequestIsMaybeSent() async throws {
        try await withServerAndClient { server, client in
            let error = try await failure { () async throws(CurlError) in
                try await client.execute(HTTPRequest(method: "POST", url: server.baseURL + "/close", body: [1]))
            }
            #expect(error.code == .connectionLost)
            #expect(error.delivery == .maybeSent)
        }
    }

    /// `/large` announces its size (refused before the body); `/large-unsized` only ends at close.
    @Test(arguments: ["/large/100000", "/large-unsized/100000"])
    func responseOverTheLimitIsTooLargeAndMaybeSent(path: String) async throws {
        try await withServerAndClient(CurlConfiguration(maxResponseBytes: 1000)) { server, client in
            let error = try await failure { () async throws(CurlError) in
                try await client.execute(HTTPRequest(url: server.baseURL + path))
            }
            #expect(error.code == .responseTooLarge)
            #expect(error.delivery == .maybeSent)
        }
    }

    @Test(arguments: ["/large/1000", "/large-unsized/1000"])
    func responseAtTheLimitIsAccepted(path: String) async throws {
        try await withServerAndClient(CurlConfiguration(maxResponseBytes: 1000)) { server, client in
            let response = try await client.execute(HTTPRequest(url: server.baseURL + path))
            #expect(response.body.count == 1000)
        }
    }

    @Test func redirectsAreNotFollowedByDefault() async throws {
        try await withServerAndClient { server, client in
            let response = try await client.execute(HTTPRequest(url: server.baseURL + "/redirect"))
            #expect(response.status == 302)
            #expect(response.header("Location") == "/echo")
        }
    }

    @Test func redirectsAreFollowedWhenAskedAndOnlyFinalHeadersKept() async throws {
        try await withServerAndClient(CurlConfiguration(followRedirects: true)) { server, client in
            let response = try await client.execute(HTTPRequest(url: server.baseURL + "/redirect"))
            #expect(response.status == 200)
            #expect(response.header("X-Echo-Method") == "GET")
            #expect(response.header("Location") == nil)
            #expect(response.headers.filter { $0.name.lowercased() == "content-length" }.count == 1)
        }
    }

    @Test func tooManyRedirectsFailAfterTheFirstRequestWasSent() async throws {
        try await withServerAndClient(CurlConfiguration(followRedirects: true, maxRedirects: 2)) { server, client in
            let error = try await failure { () async throws(CurlError) in
                try await client.execute(HTTPRequest(url: server.baseURL + "/redirect-loop"))
            }
            #expect(error.code == .other)
            #expect(error.delivery == .maybeSent)
            #expect(error.curlCode == 47)
        }
    }

    /// libcurl's own protocol allow-list (REDIR_PROTOCOLS_STR) refuses the hop, after the first request went out.
    @Test func redirectToFTPIsRefusedAfterTheFirstRequestWasSent() async throws {
        try await withServerAndClient(CurlConfiguration(followRedirects: true)) { server, client in
            let error = try await failure { () async throws(CurlError) in
                try await client.execute(HTTPRequest(method: "POST", url: server.baseURL + "/redirect-ftp", body: [1]))
            }
            #expect(error.code == .unsupportedProtocol)
            #expect(error.delivery == .maybeSent)
        }
    }

    @Test(arguments: ["ftp://127.0.0.1/file", "file:///etc/passwd", "FILE:///etc/passwd", "gopher://127.0.0.1/", "dict://127.0.0.1/"])
    func nonHTTPSchemesAreRefusedBeforeSending(url: String) async throws {
        try await withServerAndClient { _, client in
            let error = try await failure { () async throws(CurlError) in
                try await client.execute(HTTPRequest(url: url))
            }
            #expect(error.code == .unsupportedProtocol)
            #expect(error.delivery == .notSent)
        }
    }

    /// `http://` and `http://[::1` pass our checks and are refused by libcurl's parser.
    @Test(arguments: ["http://", "http://[::1/", "http://exa mple.com/", "no scheme", "127.0.0.1:80/echo", "http://a\r\nb/"])
    func malformedURLsAreRefusedBeforeSending(url: String) async throws {
        try await withServerAndClient { _, client in
            let error = try await failure { () async throws(CurlError) in
                try await client.execute(HTTPRequest(url: url))
            }
            #expect(error.code == .malformedURL)
            #expect(error.delivery == .notSent)
        }
    }

    @Test(arguments: [
        HTTPRequest(method: "GET /x HTTP/1.1\r\nX:", url: "http://127.0.0.1:1/"),
        HTTPRequest(url: "http://127.0.0.1:1/", headers: [("X-A", "1\r\nX-Injected: 1")]),
        HTTPRequest(url: "http://127.0.0.1:1/", headers: [("Bad Name", "1")]),
        HTTPRequest(method: "HEAD", url: "http://127.0.0.1:1/", body: [1]),
    ])
    func requestsThatCouldInjectHeadersAreRefused(request: HTTPRequest) async throws {
        try await withServerAndClient { _, client in
            let error = try await failure { () async throws(CurlError) in try await client.execute(request) }
            #expect(error.code == .invalidRequest)
            #expect(error.delivery == .notSent)
        }
    }

    /// Our server speaks plain HTTP, so the TLS handshake cannot complete.
    @Test func tlsHandshakeFailureIsNotSent() async throws {
        try await withServerAndClient { server, client in
            let error = try await failure { () async throws(CurlError) in
                try await client.execute(HTTPRequest(method: "POST", url: "https://127.0.0.1:\(server.port)/echo", body: [1]))
            }
            #expect(error.code == .tls)
            #expect(error.delivery == .notSent)
        }
    }

    @Test func errorDescriptionRedactsQueryAndUserinfo() async throws {
        let reserved = try ReservedPort()
        let port = reserved.port
        try await withServerAndClient { _, client in
            let error = try await failure { () async throws(CurlError) in
                try await client.execute(HTTPRequest(url: "http://user:hunter2@127.0.0.1:\(port)/callback?token=secret#frag"))
            }
            withExtendedLifetime(reserved) {}
            for text in [error.description, error.message, error.url, "\(error)"] {
                #expect(!text.contains("secret"))
                #expect(!text.contains("token"))
                #expect(!text.contains("hunter2"))
                #expect(!text.contains("frag"))
            }
            #expect(error.url == "http://127.0.0.1:\(port)/callback?<redacted>")
        }
    }

    @Test func cancellingDuringTheTransferAbortsIt() async throws {
        let configuration = CurlConfiguration(totalTimeout: .seconds(60))
        try await withServerAndClient(configuration) { server, client in
            let clock = ContinuousClock()
            let start = clock.now
            let outcome = await withTaskGroup(of: Result<HTTPResponse, CurlError>.self) { group in
                group.addTask {
                    do throws(CurlError) {
                        return .success(try await client.execute(HTTPRequest(url: server.baseURL + "/hang")))
                    } catch {
                        return .failure(error)
                    }
                }
                // The server has the request: now cancel, and the transfer must stop.
                for await path in server.requests where path == "/hang" { break }
                group.cancelAll()
                return await group.next()
            }
            let result = try #require(outcome)
            guard case .failure(let error) = result else {
                Issue.record("expected a cancellation error")
                return
            }
            #expect(error.code == .cancelled)
            #expect(error.delivery == .maybeSent)
            // Stopped by the cancellation, not the 60 s timeout (slack for the parallel pass).
            #expect(clock.now - start < .seconds(30))
        }
    }

    @Test func cancelledBeforeStartingIsNotSent() async throws {
        try await withServerAndClient { server, client in
            let outcome = await withTaskGroup(of: Result<HTTPResponse, CurlError>.self) { group in
                group.cancelAll()
                group.addTask {
                    do throws(CurlError) {
                        return .success(try await client.execute(HTTPRequest(url: server.baseURL + "/echo")))
                    } catch {
                        return .failure(error)
                    }
                }
                return await group.next()
            }
            let result = try #require(outcome)
            guard case .failure(let error) = result else {
                Issue.record("expected a cancellation error")
                return
            }
            #expect(error.code == .cancelled)
            #expect(error.delivery == .notSent)
        }
    }

    @Test func fiftyConcurrentRequestsAllSucceed() async throws {
        try await withServerAndClient { server, client in
            let bodies = await withTaskGroup(of: (Int, [UInt8]?).self) { group in
                for index in 0..<50 {
                    group.addTask {
                        let request = HTTPRequest(method: "POST", url: server.baseURL + "/echo", body: Array("request \(index)".utf8))
                        let response = try? await client.execute(request)
                        return (index, response?.status == 200 ? response?.body : nil)
                    }
                }
                var bodies: [Int: [UInt8]] = [:]
                for await (index, body) in group {
                    bodies[index] = body
                }
                return bodies
            }
            #expect(bodies.count == 50)
            for index in 0..<50 {
                #expect(bodies[index] == Array("request \(index)".utf8))
            }
        }
    }

    @Test func stoppedThreadPoolIsNotSent() async throws {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        try await pool.shutdownGracefully()
        let client = CurlClient(threadPool: pool)
        let error = try await failure { () async throws(CurlError) in
            try await client.execute(HTTPRequest(url: "http://127.0.0.1:1/"))
        }
        #expect(error.delivery == .notSent)
    }
}

/// Runs `body` with a fresh server and a client on its own thread pool, then tears both down.
func withServerAndClient(
    _ configuration: CurlConfiguration = .init(),
    _ body: (TestServer, CurlClient) async throws -> Void
) async throws {
    let pool = NIOThreadPool(numberOfThreads: 8)
    pool.start()
    let server: TestServer
    do {
        server = try await TestServer.start()
    } catch {
        try await pool.shutdownGracefully()
        throw error
    }
    let outcome: Result<Void, any Error>
    do {
        try await body(server, CurlClient(threadPool: pool, configuration: configuration))
        outcome = .success(())
    } catch {
        outcome = .failure(error)
    }
    await server.stop()
    try await pool.shutdownGracefully()
    try outcome.get()
}

struct UnexpectedSuccess: Error {
    var status: Int
}

/// The `CurlError` that `operation` throws; records an issue and throws if it succeeds instead.
func failure(_ operation: () async throws(CurlError) -> HTTPResponse) async throws -> CurlError {
    let response: HTTPResponse
    do {
        response = try await operation()
    } catch {
        return error
    }
    Issue.record("expected a CurlError, got status \(response.status)")
    throw UnexpectedSuccess(status: response.status)
}
