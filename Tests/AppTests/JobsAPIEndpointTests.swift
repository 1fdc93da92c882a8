import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import API
import Logging
import NIOCore
import Postgres
import Prometheus
import Store
import Testing

@testable import App

/// The jobs API driven in-process, against a database address where nothing listens (loopback
/// port 1): every answer decided before the database, and the 503 when it is needed.
@Suite struct JobsAPIEndpointTests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    static let validBody = #"""
        {"clientReference":"r-1","inputUrls":["https://e.com/a.mp4"],
         "request":{"OutputStorage":{"Type":"COS","CosOutputStorage":{"Bucket":"b-1250000000","Region":"ap-guangzhou"}},
                    "SmartSubtitlesTask":{"Definition":0,"RawParameter":{"SubtitleType":0,"VideoSrcLanguage":"en","SubtitleFormat":"vtt"}}}}
        """#

    /// A router with the jobs API mounted the way `serve` mounts it.
    func withRouter(
        configuration: JobsConfiguration = JobsConfiguration(),
        _ body: (Router<BasicRequestContext>) async throws -> Void
    ) async throws {
        let client = PostgresClient(
            configuration: PostgresConfiguration(url: "postgresql://postgres@127.0.0.1:1/none", connectTimeout: .seconds(2)),
            logger: Self.quiet
        )
        let migrator = try Migrator([Migration(version: 1, name: "0001_a", sql: "SELECT 1;")])
        let readiness = DatabaseReadiness(client: client, migrator: migrator, interval: .seconds(1), logger: Self.quiet)
        let router = Server.makeRouter(
            readiness: readiness, registry: PrometheusCollectorRegistry(),
            jobs: JobsController(configuration: configuration, client: client)
        )
        do {
            try await body(router)
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
    }

    static func problem(_ response: TestResponse) throws -> ProblemDocument {
        #expect(response.headers[.contentType] == "application/problem+json")
        return try JSONDecoder().decode(ProblemDocument.self, from: Data(String(buffer: response.body).utf8))
    }

    static func post(_ client: some TestClientProtocol, _ body: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        var headers = headers
        headers[.contentType] = "application/json"
        return try await client.execute(uri: "/v1/jobs", method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    @Test func aBadBodyIs400WithOneErrorPerBadField() async throws {
        try await withRouter { router in
            try await Application(router: router, logger: Self.quiet).test(.router) { client in
                let body = #"{"clientReference":"","inputUrls":["ftp://e.com/a.mp4"],"request":{"SessionContext":"x","TasksPriority":99},"extra":1}"#
                let response = try await Self.post(client, body)
                #expect(response.status == .badRequest)
                let problem = try Self.problem(response)
                #expect(problem.status == 400)
                #expect(problem.title == "Bad Request")
                #expect(problem.type == "urn:mpshook:problem:invalid-job")
                let fields = try #require(problem.errors).map(\.field)
                #expect(Set(fields) == ["extra", "clientReference", "request.SessionContext", "inputUrls[0]", "request.OutputStorage", "request.TasksPriority", "request.SmartSubtitlesTask"])
                #expect(problem.detail == "the job body has \(fields.count) problems")
                #expect(problem.errors?.first { $0.field == "request.SessionContext" }?.code == JobRequest.Code.ownedField)
            }
        }
    }

    @Test func aBodyThatIsNotJSONIs400WithOneBodyError() async throws {
        try await withRouter { router in
            try await Application(router: router, logger: Self.quiet).test(.router) { client in
                let response = try await Self.post(client, "inputUrls=https://e.com/a.mp4")
                #expect(response.status == .badRequest)
                #expect(try Self.problem(response).errors?.map(\.field) == [""])
            }
        }
    }

    @Test func aBodyOverTheLimitIs413() async throws {
        try await withRouter(configuration: JobsConfiguration(maximumBodySize: 100)) { router in
            try await Application(router: router, logger: Self.quiet).test(.router) { client in
                let response = try await Self.post(client, Self.validBody)
                #expect(response.status == .contentTooLarge)
                let problem = try Self.problem(response)
                #expect(problem.status == 413)
                #expect(problem.detail.contains("100 bytes"))
            }
        }
    }

    @Test func theDefaultLimitIsOneMebibyte() async throws {
        try await withRouter { router in
            try await Application(router: router, logger: Self.quiet).test(.router) { client in
                let padding = String(repeating: "x", count: 1 << 20)
                let response = try await Self.post(client, #"{"clientContext":{"pad":"\#(padding)"}}"#)
                #expect(response.status == .contentTooLarge)
                let small = try await Self.post(client, #"{"clientContext":{"pad":"x"}}"#)
                #expect(small.status == .badRequest)
            }
        }
    }

    @Test func aValidBodyIs503WhenTheDatabaseIsDown() async throws {
        try await withRouter { router in
            try await Application(router: router, logger: Self.quiet).test(.router) { client in
                let response = try await Self.post(client, Self.validBody)
                #expect(response.status == .serviceUnavailable)
                #expect(try Self.problem(response).status == 503)
            }
        }
    }

    @Test func getAMalformedIdIs404AndAWellFormedOneIs503WhenTheDatabaseIsDown() async throws {
        try await withRouter { router in
            try await Application(router: router, logger: Self.quiet).test(.router) { client in
                let malformed = try await client.execute(uri: "/v1/jobs/not-a-uuid", method: .get)
                #expect(malformed.status == .notFound)
                #expect(try Self.problem(malformed).type == "urn:mpshook:problem:job-not-found")
                let wellFormed = try await client.execute(uri: "/v1/jobs/\(UUID().uuidString.lowercased())", method: .get)
                #expect(wellFormed.status == .serviceUnavailable)
            }
        }
    }

    @Test(arguments: ["X-Forwarded-For", "Forwarded", "X-Real-IP"])
    func aProxiedRequestIs403(_ header: String) async throws {
        let name = try #require(HTTPField.Name(header))
        try await withRouter { router in
            try await Application(router: router, logger: Self.quiet).test(.router) { client in
                let post = try await Self.post(client, Self.validBody, headers: [name: "203.0.113.7"])
                #expect(post.status == .forbidden)
                #expect(try Self.problem(post).detail.contains("proxy"))
                let get = try await client.execute(uri: "/v1/jobs/\(UUID())", method: .get, headers: [name: "203.0.113.7"])
                #expect(get.status == .forbidden)
            }
        }
    }

    @Test func theJobsAPIIsNotMountedUnlessGiven() async throws {
        let client = PostgresClient(configuration: PostgresConfiguration(url: "postgresql://postgres@127.0.0.1:1/none"), logger: Self.quiet)
        let migrator = try Migrator([Migration(version: 1, name: "0001_a", sql: "SELECT 1;")])
        let readiness = DatabaseReadiness(client: client, migrator: migrator, interval: .seconds(1), logger: Self.quiet)
        let router = Server.makeRouter(readiness: readiness, registry: PrometheusCollectorRegistry())
        try await Application(router: router, logger: Self.quiet).test(.router) { http in
            let response = try await Self.post(http, Self.validBody)
            #expect(response.status == .notFound)
        }
        await client.shutdown()
    }
}

/// A request context that knows its peer from the channel, as a future `serve` context could:
/// the controller then refuses peers that are not loopback. In-process requests have no peer.
struct ChannelPeerContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// A request context whose peer is a public address.
struct PublicPeerContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = try? SocketAddress(ipAddress: "203.0.113.7", port: 40000)
    }
}

@Suite struct JobsAPIPeerTests {
    func withRouter<Context: RequestContext>(
        _ context: Context.Type, _ body: (Router<Context>) async throws -> Void
    ) async throws where Context.Source == ApplicationRequestContextSource {
        let client = PostgresClient(
            configuration: PostgresConfiguration(url: "postgresql://postgres@127.0.0.1:1/none", connectTimeout: .seconds(2)),
            logger: JobsAPIEndpointTests.quiet
        )
        let router = Router(context: Context.self)
        router.addRoutes(JobsController<Context>(client: client).endpoints)
        do {
            try await body(router)
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
    }

    @Test func aPeerThatIsNotLoopbackIs403() async throws {
        try await withRouter(PublicPeerContext.self) { router in
            try await Application(router: router, logger: JobsAPIEndpointTests.quiet).test(.router) { http in
                let response = try await JobsAPIEndpointTests.post(http, "{}")
                #expect(response.status == .forbidden)
                #expect(try JobsAPIEndpointTests.problem(response).detail.contains("loopback"))
                let get = try await http.execute(uri: "/v1/jobs/\(UUID())", method: .get)
                #expect(get.status == .forbidden)
            }
        }
    }

    @Test func anUnknownPeerIs403() async throws {
        try await withRouter(ChannelPeerContext.self) { router in
            try await Application(router: router, logger: JobsAPIEndpointTests.quiet).test(.router) { http in
                let response = try await JobsAPIEndpointTests.post(http, "{}")
                #expect(response.status == .forbidden)
            }
        }
    }

    @Test func aLoopbackPeerOverARealSocketIsServed() async throws {
        try await withRouter(ChannelPeerContext.self) { router in
            try await Application(router: router, logger: JobsAPIEndpointTests.quiet).test(.live) { http in
                let response = try await JobsAPIEndpointTests.post(http, "{}")
                #expect(response.status == .badRequest)
            }
        }
    }

    @Test(arguments: [
        ("127.0.0.1", true), ("127.8.9.10", true), ("::1", true), ("[::1]", true), ("localhost", true),
        ("::ffff:127.0.0.1", true), ("0.0.0.0", false), ("::", false), ("10.0.0.1", false), ("128.0.0.1", false),
        ("127.0.0", false), ("127.0.0.256", false), ("example.com", false),
    ])
    func loopbackHostsAreRecognised(_ host: String, _ expected: Bool) {
        #expect(LoopbackAccess.isLoopbackHost(host) == expected)
    }
}

/// `MPSHOOK_JOBS_API` and when it mounts the API.
@Suite struct JobsAPIConfigurationTests {
    @Test func theDefaultIsLoopbackAndServedOnTheDefaultHost() throws {
        let configuration = try AppConfiguration(environment: [:])
        #expect(configuration.jobsAPI == .loopback)
        #expect(configuration.servesJobsAPI)
    }

    @Test func aNonLoopbackHostDoesNotServeIt() throws {
        let configuration = try AppConfiguration(environment: ["MPSHOOK_HTTP_HOST": "0.0.0.0"])
        #expect(configuration.jobsAPI == .loopback)
        #expect(!configuration.servesJobsAPI)
    }

    @Test func offDoesNotServeIt() throws {
        let configuration = try AppConfiguration(environment: ["MPSHOOK_JOBS_API": "OFF"])
        #expect(configuration.jobsAPI == .off)
        #expect(!configuration.servesJobsAPI)
    }

    @Test func anUnknownValueIsRefusedNamingTheKey() {
        #expect(throws: ConfigurationError.self) { try AppConfiguration(environment: ["MPSHOOK_JOBS_API": "public"]) }
        do {
            _ = try AppConfiguration(environment: ["MPSHOOK_JOBS_API": "public"])
        } catch {
            #expect(error.key == "MPSHOOK_JOBS_API")
        }
    }

    @Test func theKeyIsListedInTheHelp() {
        #expect(AppConfiguration.environmentHelp.contains("MPSHOOK_JOBS_API (default: loopback)"))
    }
}
