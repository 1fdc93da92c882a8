/// A failed MPS API call, with the one property callers decide on: ``errorClass``.
///
/// `BatchProcessMedia` has no idempotency token, so a resend after an unclear failure can create
/// (and bill) a second task. Every failure is therefore sorted into one of three classes, and
/// unknown codes are never called retryable.
public struct MPSError: Error, Sendable, CustomStringConvertible {
    /// What a caller may do after this error.
    public enum ErrorClass: String, Sendable, Hashable, CaseIterable, Codable {
        /// The request was refused and would be refused again (bad parameters, credentials,
        /// permissions). Do not retry; fix the cause.
        case final
        /// The request certainly did not run (rate limit, connection never made). Retry after a backoff.
        case retryable
        /// The request may have run (timeout or reset after sending, internal error, unknown code,
        /// unreadable response): a task may exist. Never resend automatically.
        case ambiguous
    }

    /// The class of this failure.
    public var errorClass: ErrorClass
    /// The MPS error code (`InvalidParameterValue.SessionContextTooLong`), or one of ours:
    /// `ClientValidation`, `ClientNetworkError.<reason>`, `ServerNetworkError`, `InvalidResponse`.
    public var code: String
    /// The server's message, or ours. Never holds secrets or the notify URL's query.
    public var message: String
    /// The `RequestId` MPS returned, when a response was read.
    public var requestId: String?
    /// The API action (`BatchProcessMedia`).
    public var action: String
    /// The HTTP status, when a response was read.
    public var httpStatus: Int?
    /// For `ClientValidation`: every problem found before sending.
    public var problems: [ValidationProblem]

    public init(
        errorClass: ErrorClass, code: String, message: String, action: String,
        requestId: String? = nil, httpStatus: Int? = nil, problems: [ValidationProblem] = []
    ) {
        self.errorClass = errorClass
        self.code = code
        self.message = message
        self.action = action
        self.requestId = requestId
        self.httpStatus = httpStatus
        self.problems = problems
    }

    /// An error answered by MPS in `{"Response": {"Error": {…}}}`, classified by its code.
    public static func api(code: String, message: String, action: String, requestId: String?) -> MPSError {
        MPSError(errorClass: classify(code), code: code, message: message, action: action, requestId: requestId, httpStatus: 200)
    }

    public var description: String {
        var text = "MPSError(\(errorClass.rawValue), \(action): \(code)"
        if let requestId { text += ", RequestId \(requestId)" }
        if let httpStatus, httpStatus != 200 { text += ", HTTP \(httpStatus)" }
        text += "): \(message)"
        if !problems.isEmpty { text += " [" + problems.map(\.description).joined(separator: "; ") + "]" }
        return text
    }

    // MARK: Classification

    /// The class of an MPS or Tencent Cloud common error code.
    ///
    /// Final: the call was refused for a reason that will not change by itself. Retryable: the
    /// call was refused before doing anything and may succeed later. Everything else, and every
    /// code not listed, is ambiguous.
    public static func classify(_ code: String) -> ErrorClass {
        if let exact = exactClasses[code] { return exact }
        // Longest matching prefix wins: `AuthFailure.SignatureExpire` before `AuthFailure`.
        var best: (length: Int, errorClass: ErrorClass) = (0, .ambiguous)
        for (prefix, errorClass) in prefixClasses where code.hasPrefix(prefix + ".") && prefix.count > best.length {
            best = (prefix.count, errorClass)
        }
        return best.errorClass
    }

    /// Every code ``classify(_:)`` knows by name (the documented codes; the `prefix.*`
    /// families aside): a bounded set, for metric labels.
    public static var classifiedCodes: Set<String> { Set(exactClasses.keys) }

    /// Codes whose class is known exactly.
    static let exactClasses: [String: ErrorClass] = {
        var table: [String: ErrorClass] = [:]
        for code in [
            // Parameters and requests the API refuses as such.
            "InvalidParameter", "InvalidParameterValue", "MissingParameter", "UnknownParameter",
            "InvalidAction", "NoSuchVersion", "NoSuchProduct", "UnsupportedOperation", "UnsupportedProtocol",
            "UnsupportedRegion", "RequestSizeLimitExceeded", "InvalidRequest", "ActionOffline",
            "IpInBlacklist", "IpNotInWhitelist", "DryRunOperation",
            // BatchProcessMedia's own codes (its API page): definite refusals of the request as sent.
            "InvalidParameterValue.SessionId", "InvalidParameterValue.SessionIdTooLong",
            "InvalidParameterValue.SessionContextTooLong",
            // Credentials and permissions.
            "AuthFailure", "UnauthorizedOperation", "OperationDenied",
            // Account state: nothing runs until a person acts.
            "FailedOperation.InvalidMpsUser", "FailedOperation.InvalidUser", "FailedOperation.UserArrears",
            "FailedOperation.CosStatusInavlid", "FailedOperation.TaskNotFound", "ResourceNotFound",
        ] {
            table[code] = .final
        }
        for code in [
            "RequestLimitExceeded",
            // The clock was off: the signature was refused before anything ran; a fresh one may pass.
            "AuthFailure.SignatureExpire",
            // Quotas: no task was created.
            "LimitExceeded", "LimitExceeded.CreateTask", "ResourceInsufficient",
        ] {
            table[code] = .retryable
        }
        for code in [
            "InternalError", "ServiceUnavailable", "ResourceUnavailable", "ResourceInUse", "FailedOperation",
            "FailedOperation.GenerateResource", "FailedOperation.NetWorkError", "ResponseSizeLimitExceeded",
        ] {
            table[code] = .ambiguous
        }
        return table
    }()

    /// Families of codes (`prefix.*`).
    static let prefixClasses: [String: ErrorClass] = [
        "InvalidParameter": .final,
        "InvalidParameterValue": .final,
        "MissingParameter": .final,
        "UnknownParameter": .final,
        "UnsupportedOperation": .final,
        "AuthFailure": .final,
        "UnauthorizedOperation": .final,
        "OperationDenied": .final,
        "ResourceNotFound": .final,
        "RequestLimitExceeded": .retryable,
        "LimitExceeded": .retryable,
        "ResourceInsufficient": .retryable,
        "InternalError": .ambiguous,
        "ResourceUnavailable": .ambiguous,
        "ResourceInUse": .ambiguous,
        "FailedOperation": .ambiguous,
    ]
}
