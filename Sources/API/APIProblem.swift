import Foundation
public import HTTPTypes
public import Hummingbird
public import MPS
import NIOCore

/// The one way mpshook's HTTP side refuses a request, for every route (the REST API and the
/// NotifyUrl door alike): an RFC 9457 `application/problem+json` body with `type` (a stable URN,
/// `urn:mpshook:problem:<slug>`), `title`, `status`, `detail`, and for field or parameter problems
/// an `errors` array of `{field, message, code}`.
///
/// Handlers and middleware throw it; Hummingbird renders it (``response(from:context:)``), and
/// ``ProblemMiddleware`` turns every other error into one as well, so no route answers without a
/// body. The door's failed token or `Sign` check gets one constant answer
/// (``callbackNotAuthenticated``) that says which check failed to nobody: the reason goes to
/// metrics only.
public struct APIProblem: HTTPResponseError, Sendable, Equatable {
    /// What went wrong, as a stable slug (the `type` URN's last part).
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        public let slug: String
        public init(_ slug: String) { self.slug = slug }
        public var description: String { slug }

        public static let invalidJob = Kind("invalid-job")
        public static let invalidBody = Kind("invalid-body")
        public static let invalidParameter = Kind("invalid-parameter")
        public static let invalidNotification = Kind("invalid-notification")
        public static let invalidWorkflow = Kind("invalid-workflow")
        public static let bodyTooLarge = Kind("body-too-large")
        public static let unsupportedMediaType = Kind("unsupported-media-type")
        public static let notFound = Kind("not-found")
        public static let jobNotFound = Kind("job-not-found")
        public static let stepNotFound = Kind("step-not-found")
        public static let notificationNotFound = Kind("notification-not-found")
        public static let deliveryNotFound = Kind("delivery-not-found")
        public static let workflowNotFound = Kind("workflow-not-found")
        public static let keyNotFound = Kind("key-not-found")
        public static let unauthorized = Kind("unauthorized")
        public static let callbackNotAuthenticated = Kind("callback-not-authenticated")
        public static let insufficientScope = Kind("insufficient-scope")
        public static let actionNotAllowed = Kind("action-not-allowed")
        public static let taskIdTaken = Kind("task-id-taken")
        public static let keyNameTaken = Kind("key-name-taken")
        public static let keyRevokesItself = Kind("key-revokes-itself")
        public static let unavailable = Kind("unavailable")
        public static let internalError = Kind("internal-error")

        /// What Hummingbird itself refused with `status` (a 4xx no route of ours answers, e.g. 405).
        static func http(_ status: HTTPResponse.Status) -> Kind { Kind("http-\(status.code)") }
    }

    public var status: HTTPResponse.Status
    public var kind: Kind
    public var detail: String
    public var errors: [ProblemDocument.FieldError]?
    /// Extra headers the answer carries (`WWW-Authenticate`, `Retry-After`, `Allow`).
    public var headers: HTTPFields

    public init(
        _ status: HTTPResponse.Status, _ kind: Kind, _ detail: String, errors: [ProblemDocument.FieldError]? = nil,
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.kind = kind
        self.detail = detail
        self.errors = errors
        self.headers = headers
    }

    /// The `type` member.
    public var type: String { "urn:mpshook:problem:" + kind.slug }

    /// The problem document.
    public var document: ProblemDocument {
        ProblemDocument(type: type, title: status.reasonPhrase, status: status.code, detail: detail, errors: errors)
    }

    /// The HTTP answer.
    public var response: Response {
        let data = (try? APIJSON.encoder().encode(document)) ?? Data()
        var fields = headers
        fields[.contentType] = "application/problem+json"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response
    }
}

extension APIProblem {
    /// A body that is not an acceptable job (400), with every problem found.
    public static func invalidJob(_ problems: ValidationProblems) -> APIProblem {
        invalidBody(problems, kind: .invalidJob, subject: "job body")
    }

    /// A body with field problems (400), each naming its path in the body.
    public static func invalidBody(_ problems: ValidationProblems, kind: Kind = .invalidBody, subject: String = "body") -> APIProblem {
        APIProblem(
            .badRequest, kind,
            problems.count == 1 ? "the \(subject) has 1 problem" : "the \(subject) has \(problems.count) problems",
            errors: problems.map { ProblemDocument.FieldError(field: $0.field, message: $0.message, code: $0.errorCode) }
        )
    }

    /// One body problem (400), e.g. a body that is not JSON (field empty: the body itself).
    public static func invalidBody(field: String = "", _ message: String, code: String = "InvalidParameter") -> APIProblem {
        APIProblem(.badRequest, .invalidBody, message, errors: [ProblemDocument.FieldError(field: field, message: message, code: code)])
    }

    /// A query or path parameter that is not acceptable (400), naming it.
    public static func invalidParameter(_ name: String, _ message: String) -> APIProblem {
        APIProblem(
            .badRequest, .invalidParameter, "parameter \(name): \(message)",
            errors: [ProblemDocument.FieldError(field: name, message: message, code: "mpshook.InvalidParameter")]
        )
    }

    /// A body larger than `limit` bytes (413).
    public static func tooLarge(limit: Int) -> APIProblem {
        APIProblem(.contentTooLarge, .bodyTooLarge, "the body is larger than \(limit) bytes")
    }

    /// A body whose `Content-Type` is not `expected` (415).
    public static func unsupportedMediaType(expected: String) -> APIProblem {
        APIProblem(.unsupportedMediaType, .unsupportedMediaType, "the body must be \(expected)", headers: [.accept: expected])
    }

    /// No such job (404), or not a job id.
    public static let jobNotFound = APIProblem(.notFound, .jobNotFound, "no job with this id")

    /// No such step (404), or not a step id.
    public static let stepNotFound = APIProblem(.notFound, .stepNotFound, "no step with this id")
    /// No such notification (404), or not a notification id.
    public static let notificationNotFound = APIProblem(.notFound, .notificationNotFound, "no notification with this id")
    /// No such webhook delivery (404), or not a delivery id.
    public static let deliveryNotFound = APIProblem(.notFound, .deliveryNotFound, "no delivery with this id")
    /// No such stored workflow or version (404).
    public static let workflowNotFound = APIProblem(.notFound, .workflowNotFound, "no workflow with this name or version")
    /// No such API key (404), or a text that is neither a key's name nor its id.
    public static let keyNotFound = APIProblem(.notFound, .keyNotFound, "no key with this name or id")

    /// The action is not possible in the resource's present state (409), with the rule's reason.
    public static func actionNotAllowed(_ reason: String) -> APIProblem {
        APIProblem(.conflict, .actionNotAllowed, reason)
    }

    /// No API key, or one that is not valid now (401), with the Bearer challenge.
    public static func unauthorized(_ detail: String, invalidToken: Bool) -> APIProblem {
        let challenge = invalidToken ? "Bearer realm=\"mpshook\", error=\"invalid_token\"" : "Bearer realm=\"mpshook\""
        return APIProblem(.unauthorized, .unauthorized, detail, headers: [.wwwAuthenticate: challenge])
    }

    /// The door's answer to a callback whose URL token, or `Sign` and expiry, did not check out
    /// (401): the same for every such failure, so a caller learns nothing of which.
    public static let callbackNotAuthenticated = APIProblem(
        .unauthorized, .callbackNotAuthenticated, "the callback could not be authenticated for its SessionContext"
    )

    /// A valid key whose scope does not cover the route (403).
    public static func insufficientScope(required: String, held: String) -> APIProblem {
        APIProblem(
            .forbidden, .insufficientScope, "this needs an API key with scope \(required); this key has \(held)",
            headers: [.wwwAuthenticate: "Bearer realm=\"mpshook\", error=\"insufficient_scope\", scope=\"\(required)\""]
        )
    }

    /// The database cannot be used now (503); the client may retry.
    public static let unavailable = APIProblem(
        .serviceUnavailable, .unavailable, "the database cannot be used now; retry later", headers: [.retryAfter: "1"]
    )

    /// Something unexpected (500): the detail says nothing of the cause, which is logged.
    public static let internalError = APIProblem(.internalServerError, .internalError, "the request failed unexpectedly; it was logged")
}

/// An RFC 9457 problem document, with the `errors` extension for field problems.
public struct ProblemDocument: Codable, Sendable, Equatable {
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String
    public var errors: [FieldError]?

    /// One bad field or parameter: its path in the body (or its name), what is wrong, and a code
    /// (MPS's, or `mpshook.…`).
    public struct FieldError: Codable, Sendable, Equatable {
        public var field: String
        public var message: String
        public var code: String

        public init(field: String, message: String, code: String) {
            self.field = field
            self.message = message
            self.code = code
        }
    }
}
