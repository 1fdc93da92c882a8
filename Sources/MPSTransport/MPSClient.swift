public import Curl
import Foundation
public import MPS

/// Calls the MPS API: TC3-signed JSON over HTTPS through the `Curl` module.
///
/// `batchProcessMedia` validates before anything is sent. Every failure is an ``MPSError``
/// whose class says whether the call may have run. The client never retries by itself.
public final class MPSClient: Sendable {
    public static let apiVersion = "2019-06-12"

    public let configuration: MPSClientConfiguration
    private let http: CurlClient
    private let signer: TC3Signer
    private let clock: @Sendable () -> Int64

    /// - Parameter clock: UNIX seconds for `X-TC-Timestamp` (injectable for tests).
    public init(
        configuration: MPSClientConfiguration,
        http: CurlClient,
        clock: (@Sendable () -> Int64)? = nil
    ) {
        self.configuration = configuration
        self.http = http
        self.signer = TC3Signer(credentials: configuration.credentials)
        self.clock = clock ?? { Int64(Date().timeIntervalSince1970) }
    }

    /// Starts a batch task. Refuses an invalid request with a `ClientValidation` error (final)
    /// listing every problem, without sending it.
    public func batchProcessMedia(_ request: BatchProcessMediaRequest) async throws(MPSError) -> BatchProcessMediaResponse {
        let action = "BatchProcessMedia"
        let problems = BatchProcessMediaValidator.validate(request)
        guard problems.isEmpty else {
            throw MPSError(
                errorClass: .final, code: "ClientValidation",
                message: "the request is invalid and was not sent", action: action, problems: problems
            )
        }
        let created: BatchProcessMediaResponse = try await call(action, body: try encode(request, action: action))
        guard let taskId = created.taskId, !taskId.isEmpty else {
            // Accepted, but we cannot tell which task: exactly the case that must not be resent.
            throw MPSError(
                errorClass: .ambiguous, code: "InvalidResponse", message: "the response carries no TaskId",
                action: action, requestId: created.requestId, httpStatus: 200
            )
        }
        return created
    }

    /// Reads a batch task's state and results (tasks of the last 7 days only).
    public func describeBatchTaskDetail(taskId: String) async throws(MPSError) -> DescribeBatchTaskDetailResponse {
        let action = "DescribeBatchTaskDetail"
        return try await call(action, body: try encode(DescribeBatchTaskDetailRequest(taskId: taskId), action: action))
    }

    /// ``describeBatchTaskDetail(taskId:)``, also keeping the bytes of its `BatchTaskResult`
    /// as received (the reconciler stores them as a polled notification's event).
    public func describeBatchTask(taskId: String) async throws(MPSError) -> DescribedBatchTask {
        let action = "DescribeBatchTaskDetail"
        let (response, body): (DescribeBatchTaskDetailResponse, [UInt8]) = try await exchange(
            action, body: try encode(DescribeBatchTaskDetailRequest(taskId: taskId), action: action)
        )
        return DescribedBatchTask(response: response, batchTaskResult: RawJSONMember.value(at: ["Response", "BatchTaskResult"], in: body))
    }

    /// Signs and sends one action, and decodes its `{"Response": …}`.
    public func call<Response: Decodable>(_ action: String, body: [UInt8]) async throws(MPSError) -> Response {
        try await exchange(action, body: body).response
    }

    /// ``call(_:body:)``, returning the response body's bytes too.
    func exchange<Response: Decodable>(_ action: String, body: [UInt8]) async throws(MPSError) -> (response: Response, body: [UInt8]) {
        let request = signedRequest(action: action, body: body, timestamp: clock())
        let response: HTTPResponse
        do {
            response = try await http.execute(
                request,
                configuration: CurlConfiguration(
                    connectTimeout: configuration.connectTimeout,
                    totalTimeout: configuration.totalTimeout,
                    maxResponseBytes: 16 << 20
                )
            )
        } catch {
            throw MPSError.transport(error, action: action)
        }
        return (try MPSResponseParser.parse(response, action: action), response.body)
    }

    /// The HTTP request for `action`: the exact body, and headers signed over it.
    func signedRequest(action: String, body: [UInt8], timestamp: Int64) -> HTTPRequest {
        let contentType = "application/json"
        let authorization = signer.authorization(
            for: TC3Signer.Request(host: configuration.endpoint.host, contentType: contentType, payload: body, timestamp: timestamp)
        )
        var headers: [(name: String, value: String)] = [
            ("Authorization", authorization),
            ("Content-Type", contentType),
            ("Host", configuration.endpoint.host),
            ("X-TC-Action", action),
            ("X-TC-Version", Self.apiVersion),
            ("X-TC-Timestamp", String(timestamp)),
        ]
        if let region = configuration.region { headers.append(("X-TC-Region", region)) }
        if let language = configuration.language { headers.append(("X-TC-Language", language)) }
        if let token = configuration.credentials.sessionToken { headers.append(("X-TC-Token", token)) }
        return HTTPRequest(method: "POST", url: configuration.endpoint.url, headers: headers, body: body)
    }

    private func encode(_ value: some Encodable, action: String) throws(MPSError) -> [UInt8] {
        do {
            return Array(try MPSJSON.encoder.encode(value))
        } catch {
            throw MPSError(errorClass: .final, code: "ClientValidation", message: "cannot encode the request: \(error)", action: action)
        }
    }
}

/// Reads MPS API responses: `{"Response": {…}}` on success, `{"Response": {"Error": {Code,
/// Message}, "RequestId": …}}` on failure. Anything else (HTML, truncated JSON, an empty body,
/// a non-200 status) is an ambiguous `InvalidResponse`/`ServerNetworkError`, never a crash.
public enum MPSResponseParser {
    private struct ErrorEnvelope: Decodable {
        struct Body: Decodable {
            struct APIError: Decodable {
                var code: String?
                var message: String?
                enum CodingKeys: String, CodingKey {
                    case code = "Code"
                    case message = "Message"
                }
            }
            var error: APIError?
            var requestId: String?
            enum CodingKeys: String, CodingKey {
                case error = "Error"
                case requestId = "RequestId"
            }
        }
        var response: Body
        enum CodingKeys: String, CodingKey { case response = "Response" }
    }

    private struct Envelope<Body: Decodable>: Decodable {
        var response: Body
        enum CodingKeys: String, CodingKey { case response = "Response" }
    }

    public static func parse<Response: Decodable>(_ response: HTTPResponse, action: String) throws(MPSError) -> Response {
        let body = Data(response.body)
        let envelope = try? JSONDecoder().decode(ErrorEnvelope.self, from: body)
        guard response.status == 200 else {
            if let error = envelope?.response.error, let code = error.code {
                var failure = MPSError.api(code: code, message: error.message ?? "", action: action, requestId: envelope?.response.requestId)
                failure.httpStatus = response.status
                throw failure
            }
            throw MPSError(
                errorClass: .ambiguous, code: "ServerNetworkError",
                message: "HTTP \(response.status) without an API error body (\(summary(response.body)))",
                action: action, httpStatus: response.status
            )
        }
        guard let envelope else {
            throw MPSError(
                errorClass: .ambiguous, code: "InvalidResponse",
                message: "the response is not an API response (\(summary(response.body)))",
                action: action, httpStatus: response.status
            )
        }
        if let error = envelope.response.error {
            throw MPSError.api(
                code: error.code ?? "UnknownError", message: error.message ?? "", action: action,
                requestId: envelope.response.requestId
            )
        }
        do {
            return try JSONDecoder().decode(Envelope<Response>.self, from: body).response
        } catch {
            throw MPSError(
                errorClass: .ambiguous, code: "InvalidResponse",
                message: "the response does not match \(Response.self): \(error)",
                action: action, requestId: envelope.response.requestId, httpStatus: response.status
            )
        }
    }

    /// A short, printable hint of a body that is not an API response.
    static func summary(_ body: [UInt8]) -> String {
        if body.isEmpty { return "empty body" }
        let text = String(decoding: body.prefix(80), as: UTF8.self)
            .map { $0.isNewline || $0.asciiValue.map { $0 < 0x20 } == true ? " " : String($0) }
            .joined()
        return "\(body.count) bytes: \(text)\(body.count > 80 ? "…" : "")"
    }
}
