import Foundation
public import Hummingbird
public import MPS
import NIOCore

/// Every way the jobs API refuses a request, and the one place each becomes an HTTP answer:
/// an RFC 9457 `application/problem+json` body with `type`, `title`, `status`, `detail`, and for
/// a bad body an `errors` array of `{field, message, code}`, one per problem.
public enum JobsProblem: Error, Sendable, Equatable {
    /// The body is not an acceptable job (400), with every problem found.
    case invalid(ValidationProblems)
    /// The body is larger than the limit (413).
    case tooLarge(limit: Int)
    /// No such job, or not a job id (404).
    case notFound
    /// The caller may not use the API (403): not on loopback, or came through a proxy.
    case forbidden(String)
    /// The database could not be used now (503); the client may retry.
    case unavailable

    public var status: HTTPResponse.Status {
        switch self {
        case .invalid: .badRequest
        case .tooLarge: .contentTooLarge
        case .notFound: .notFound
        case .forbidden: .forbidden
        case .unavailable: .serviceUnavailable
        }
    }

    /// A stable URN naming the kind of problem.
    public var type: String {
        switch self {
        case .invalid: "urn:mpshook:problem:invalid-job"
        case .tooLarge: "urn:mpshook:problem:body-too-large"
        case .notFound: "urn:mpshook:problem:job-not-found"
        case .forbidden: "urn:mpshook:problem:forbidden"
        case .unavailable: "urn:mpshook:problem:unavailable"
        }
    }

    public var detail: String {
        switch self {
        case .invalid(let problems):
            problems.count == 1 ? "the job body has 1 problem" : "the job body has \(problems.count) problems"
        case .tooLarge(let limit):
            "the body is larger than \(limit) bytes"
        case .notFound:
            "no job with this id"
        case .forbidden(let why):
            why
        case .unavailable:
            "the database cannot be used now; retry later"
        }
    }

    /// The problem document.
    public var document: ProblemDocument {
        var errors: [ProblemDocument.FieldError]?
        if case .invalid(let problems) = self {
            errors = problems.map { ProblemDocument.FieldError(field: $0.field, message: $0.message, code: $0.errorCode) }
        }
        return ProblemDocument(type: type, title: status.reasonPhrase, status: status.code, detail: detail, errors: errors)
    }

    /// The HTTP answer.
    public var response: Response {
        let data = (try? JobsJSON.encoder().encode(document)) ?? Data()
        return Response(
            status: status, headers: [.contentType: "application/problem+json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}

/// An RFC 9457 problem document, with the `errors` extension for field problems.
public struct ProblemDocument: Codable, Sendable, Equatable {
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String
    public var errors: [FieldError]?

    /// One bad field: its path in the body, what is wrong, and a code (MPS's, or `mpshook.…`).
    public struct FieldError: Codable, Sendable, Equatable {
        public var field: String
        public var message: String
        public var code: String
    }
}
