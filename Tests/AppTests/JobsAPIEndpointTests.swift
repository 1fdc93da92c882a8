import Access
import API
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Postgres
import Prometheus
import Store
import Testing

@testable import App

/// Keys known without a database, for routes driven in-process: `read`, `write` and `admin`
/// name a key of that scope.
struct FixedAPIKeys: APIKeyVerifying {
    static func key(_ scope: APIScope) -> String { "test-key-\(scope.rawValue)" }

    func authenticate(_ presented: String) async throws -> APIPrincipal? {
        guard let scope = APIScope.allCases.first(where: { Self.key($0) == presented }) else { return nil }
        return APIPrincipal(keyId: "00000000000\(scope == .read ? 1 : scope == .write ? 2 : 3)", name: try APIKeyName("test-\(scope.rawValue)"), scope: scope)
    }

    static func bearer(_ scope: APIScope) -> HTTPFields {
        [.authorization: "Bearer \(key(scope))"]
    }
}

/// The jobs API driven in-process, against a database address where nothing listens (loopback
/// port 1): every answer decided before the database, and the 503 when it is needed.
@Suite struct JobsAPIEndpointTests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    static let validBody = #"""
        {"clientReference":"r-1","inputUrls":["https://e.com/a.mp4"],
         "request":{"OutputStorage":{"Type":"COS","CosOutputStorage":{"Bucket":"b-1250000000","Region":"ap-guangzhou"}},
                    "SmartSubtitlesTask":{"Definition":0,"RawParameter":{"SubtitleType":0,"VideoSrcLanguage":"en","SubtitleFormat":"vtt"}}}}
        """#

    /// A router with the API mounted the way `serve` mounts it, keys from ``FixedAPIKeys``.
    func withRouter(
        configuration: JobsConfiguration = JobsConfiguration(),
        _ body: (Router<APIRequestContext>) async throws -> Void
    ) async throws {
        let client = PostgresClient(
            configuration: PostgresConfiguration(url: "postgresql://postgres@127.0.0.1:1/none", connectTimeout: .seconds(2)),
            logger: Self.quiet
        )
        let migrator = try Migrator([Migration(version: 1, name: "0001_a", sql: "SELECT 1;")])
        let readiness = DatabaseReadiness(client: client, migrator: migrator, interval: .seconds(1), logger: Self.quiet)
        let router = Server.makeRouter(
            readiness: readiness, registry: PrometheusCollectorRegistry(),
            api: RESTAPI(client: client, keys: FixedAPIKeys(), jobs: configuration)
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

    static func post(
        _ client: some TestClientProtocol, _ body: String, headers: HTTPFields = FixedAPIKeys.bearer(.write),
        contentType: String = "application/json"
    ) async throws -> TestResponse {
        var headers = headers
        headers[.contentType] = contentType
        return try await client.execute(uri: "/v1/jobs", method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    static func get(_ client: some TestClientProtocol, _ uri: String, scope: APIScope = .read) async throws -> TestResponse {
        try await client.execute(uri: uri, method: .get, headers: FixedAPIKeys.bearer(scope))
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
                let malformed = try await Self.get(client, "/v1/jobs/not-a-uuid")
                #expect(malformed.status == .notFound)
                #expect(try Self.problem(malformed).type == "urn:mpshook:problem:job-not-found")
                let wellFormed = try await Self.get(client, "/v1/jobs/\(UUID().uuidString.lowercased())")
                #expect(wellFormed.status == .serviceUnavailable)
            }
        }
    }

    @Test func anotherContentTypeIs415() async throws {
        try await withRouter { router in
            try await Application(router: router, logger: Self.quiet).test(.router) { client in
                let form = try await Self.post(client, Self.validBody, contentType: "application/x-www-form-urlencoded")
                #expect(form.status == .unsupportedMediaType)
                #expect(try Self.problem(form).type == "urn:mpshook:problem:unsupported-media-type")
                // A charset parameter is fine: the body then reaches the database (down: 503).
                let charset = try await Self.post(client, Self.validBody, contentType: "application/json; charset=utf-8")
                #expect(charset.status == .serviceUnavailable)
            }
        }
    }

    @Test func noKeyIs401WithABearerChallenge() async throws {
        try await withRouter { router in
            try await Application(router: router, logger: Self.quiet).test(.router) { client in
                let response = try await Self.post(client, Self.validBody, headers: [:])
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == "Bearer realm=\"mpshook\"")
                #expect(try Self.problem(response).type == "urn:mpshook:problem:unauthorized")
                let get = try await client.execute(uri: "/v1/jobs/\(UUID())", method: .get)
                #expect(get.status == .unauthorized)
            }
        }
    }

    @Test(arguments: ["Bearer nope", "Basic dXNlcjpwYXNz", "Bearer", "bearer test-key-unknown"])
    func aKeyThatIsNotValidIs401AsAnInvalidToken(_ header: String) async throws {
        try await withRouter { router in
            try await Application(router: router, logger: Self.quiet).test(.router) { client in
                let response = try await client.execute(uri: "/v1/jobs/\(UUID())", method: .get, headers: [.authorization: header])
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate]?.contains("error=\"invalid_token\"") == true)
                #expect(try Self.problem(response).status == 401)
            }
        }
    }

    @Test func theSchemeIsCaseInsensitive() async throws {
        try await withRouter { router in
            try await Application(router: router, logger: Self.quiet).test(.router) { client in
                let response = try await client.execute(
                    uri: "/v1/jobs/not-a-uuid", method: .get, headers: [.authorization: "bEaReR \(FixedAPIKeys.key(.read))"]
                )
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func aReadKeyCannotCreateAJob() async throws {
        try await withRouter { router in
            try await Application(router: router, logger: Self.quiet).test(.router) { client in
                let response = try await Self.post(client, Self.validBody, headers: FixedAPIKeys.bearer(.read))
                #expect(response.status == .forbidden)
                let problem = try Self.problem(response)
                #expect(problem.type == "urn:mpshook:problem:insufficient-scope")
                #expect(problem.detail.contains("write"))
            }
        }
    }

    @Test func anAdminKeyMayDoWhatAWriteKeyMay() async throws {
        try await withRouter { router in
            try await Application(router: router, logger: Self.quiet).test(.router) { client in
                let response = try await Self.post(client, Self.validBody, headers: FixedAPIKeys.bearer(.admin))
                #expect(response.status == .serviceUnavailable)
            }
        }
    }

    @Test func theSpecIsServedWithoutAKey() async throws {
        try await withRouter { router in
            try await Application(router: router, logger: Self.quiet).test(.router) { client in
                let response = try await client.execute(uri: "/openapi.yaml", method: .get)
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).hasPrefix("openapi: 3.1"))
            }
        }
    }

    @Test func anUnknownRouteIs404ProblemJSON() async throws {
        try await withRouter { router in
            try await Application(router: router, logger: Self.quiet).test(.router) { client in
                let response = try await client.execute(uri: "/v2/nothing", method: .get)
                #expect(response.status == .notFound)
                #expect(try Self.problem(response).type == "urn:mpshook:problem:not-found")
            }
        }
    }

    @Test func theAPIIsNotMountedUnlessGiven() async throws {
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

/// `MPSHOOK_API`: whether the REST API is mounted.
@Suite struct APIConfigurationTests {
    @Test func theDefaultIsOnWhateverTheHost() throws {
        #expect(try AppConfiguration(environment: [:]).servesAPI)
        #expect(try AppConfiguration(environment: ["MPSHOOK_HTTP_HOST": "0.0.0.0"]).servesAPI)
    }

    @Test func offDoesNotServeIt() throws {
        #expect(try !AppConfiguration(environment: ["MPSHOOK_API": "OFF"]).servesAPI)
    }

    @Test func anUnknownValueIsRefusedNamingTheKey() {
        #expect(throws: ConfigurationError.self) { try AppConfiguration(environment: ["MPSHOOK_API": "loopback"]) }
        do {
            _ = try AppConfiguration(environment: ["MPSHOOK_API": "loopback"])
        } catch {
            #expect(error.key == "MPSHOOK_API")
        }
    }

    @Test func theKeyIsListedInTheHelp() {
        #expect(AppConfiguration.environmentHelp.contains("MPSHOOK_API (default: on)"))
    }
}
