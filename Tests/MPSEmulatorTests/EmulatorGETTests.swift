import Curl
import Foundation
import MPS
import MPSEmulator
import MPSTransport
import NIOPosix
import Testing

/// GET requests, which the official SDKs can send (parameters in the query string, TC3-signed
/// over it, `Content-Type: application/x-www-form-urlencoded`, empty payload): the emulator
/// answers DescribeBatchTaskDetail, and answers everything else with an API 3.0 error body.
@Suite struct EmulatorGETTests {
    static let formType = "application/x-www-form-urlencoded"
    static let credentials = TencentCloudCredentials(
        secretId: EmulatorConfiguration.defaultSecretId, secretKey: EmulatorConfiguration.defaultSecretKey
    )

    /// A GET to the emulator, signed (as the SDK signs it) over `signedQuery`, sent with `query`.
    static func get(
        _ running: RunningEmulator, http: CurlClient, action: String, query: String, signedQuery: String? = nil,
        contentType: String = formType, signed: Bool = true
    ) async throws -> HTTPResponse {
        let host = "127.0.0.1:\(running.port)"
        let timestamp = Int64(Date().timeIntervalSince1970)
        var headers: [(name: String, value: String)] = [
            ("Content-Type", contentType), ("Host", host), ("X-TC-Action", action),
            ("X-TC-Version", MPSClient.apiVersion), ("X-TC-Timestamp", String(timestamp)),
        ]
        if signed {
            let signer = TC3Signer(credentials: Self.credentials)
            let authorization = signer.authorization(for: TC3Signer.Request(
                method: "GET", host: host, contentType: contentType, payload: [], timestamp: timestamp, query: signedQuery ?? query
            ))
            headers.append(("Authorization", authorization))
        }
        return try await http.execute(HTTPRequest(method: "GET", url: running.endpoint + "/?" + query, headers: headers))
    }

    /// The `{"Response":{"Error":{"Code","Message"},"RequestId"}}` of an answer, checked for its shape.
    static func apiError(_ response: HTTPResponse) throws -> String {
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/json")
        let json = try MPSJSON.decoder.decode(JSONValue.self, from: Data(response.body))
        let error = try #require(json["Response"]?["Error"])
        #expect(error["Message"]?.stringValue?.isEmpty == false)
        #expect(json["Response"]?["RequestId"]?.stringValue?.isEmpty == false)
        return try #require(error["Code"]?.stringValue)
    }

    static func withHTTP<Result>(_ body: (CurlClient) async throws -> Result) async throws -> Result {
        let threadPool = NIOThreadPool(numberOfThreads: 2)
        threadPool.start()
        do {
            let result = try await body(CurlClient(threadPool: threadPool))
            try await threadPool.shutdownGracefully()
            return result
        } catch {
            try? await threadPool.shutdownGracefully()
            throw error
        }
    }

    @Test func aSignedGETDescribesATask() async throws {
        try await withEmulatorAndClient { running, client in
            let taskId = try #require(try await client.batchProcessMedia(try request(requestJSON(sessionContext: "mh1:get"))).taskId)
            try await Self.withHTTP { http in
                let response = try await Self.get(running, http: http, action: "DescribeBatchTaskDetail", query: "TaskId=" + taskId)
                #expect(response.header("Content-Type") == "application/json")
                let detail: DescribeBatchTaskDetailResponse = try MPSResponseParser.parse(response, action: "DescribeBatchTaskDetail")
                #expect(detail.taskId == taskId)
                #expect(detail.sessionContext == "mh1:get")
            }
        }
    }

    @Test func queryValuesArePercentDecoded() async throws {
        try await withEmulatorAndClient { running, _ in
            try await Self.withHTTP { http in
                // An unknown id, percent- and plus-encoded: the emulator reads it decoded.
                let response = try await Self.get(running, http: http, action: "DescribeBatchTaskDetail", query: "TaskId=no%2Bsuch+task")
                #expect(try Self.apiError(response) == "InvalidParameterValue.TaskId")
                #expect(running.emulator.calls.last?.taskId == "no+such task")
            }
        }
    }

    @Test func aGETSignedOverAnotherQueryIsASignatureFailure() async throws {
        try await withEmulatorAndClient { running, _ in
            try await Self.withHTTP { http in
                let response = try await Self.get(
                    running, http: http, action: "DescribeBatchTaskDetail", query: "TaskId=b", signedQuery: "TaskId=a"
                )
                #expect(try Self.apiError(response) == "AuthFailure.SignatureFailure")
            }
        }
    }

    @Test func anUnsignedGETGetsAnAPIErrorBody() async throws {
        try await withEmulatorAndClient { running, _ in
            try await Self.withHTTP { http in
                let response = try await Self.get(running, http: http, action: "DescribeBatchTaskDetail", query: "TaskId=x", signed: false)
                #expect(try Self.apiError(response) == "AuthFailure.InvalidAuthorization")
            }
        }
    }

    @Test func unknownAndMissingParametersOverGETAreAPIErrors() async throws {
        try await withEmulatorAndClient { running, _ in
            try await Self.withHTTP { http in
                let unknown = try await Self.get(running, http: http, action: "DescribeBatchTaskDetail", query: "TaskId=x&Limit=1")
                #expect(try Self.apiError(unknown) == "UnknownParameter")
                let missing = try await Self.get(running, http: http, action: "DescribeBatchTaskDetail", query: "")
                #expect(try Self.apiError(missing) == "MissingParameter")
            }
        }
    }

    @Test func batchProcessMediaOverGETIsRefusedWithAnAPIErrorAndCreatesNothing() async throws {
        try await withEmulatorAndClient { running, _ in
            try await Self.withHTTP { http in
                let response = try await Self.get(
                    running, http: http, action: "BatchProcessMedia",
                    query: "InputInfo.0.Type=URL&InputInfo.0.UrlInputInfo.Url=https%3A%2F%2Fe.com%2Fa.mp4"
                )
                #expect(try Self.apiError(response) == "UnsupportedOperation")
                #expect(running.emulator.calls.allSatisfy { $0.taskId == nil })
            }
        }
    }
}
