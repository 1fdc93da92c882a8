public import HTTPTypes
public import Hummingbird
import Logging

/// Gives every request one id, in every line logged for it (`hb.request.id`) and in the
/// `X-Request-Id` header of its answer, errors included: the id a trusted reverse proxy sent
/// in `X-Request-Id` (nginx's `$request_id`, which its access log also records), so one id finds
/// a request in both logs; else Hummingbird's own. The header is believed from the peers the
/// ``ClientAddressRule`` trusts only, as the forwarding headers are, and only when it is 1–64
/// letters, digits, `-`, `_`, `.` or `:` (it goes into the logs as it is). Comes first among
/// the middleware, so the request log and the problem bodies' log lines carry it.
public struct RequestIdMiddleware: RouterMiddleware {
    public typealias Context = APIRequestContext
    let rule: ClientAddressRule

    public init(rule: ClientAddressRule) {
        self.rule = rule
    }

    public func handle(
        _ request: Request, context: APIRequestContext, next: @concurrent (Request, APIRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        let id: String
        if let sent = request.headers[.requestId], Self.isAcceptable(sent), rule.trusts(peer: context.remoteAddress) {
            id = sent
        } else {
            // The server gives each request one; a request made without the server (an
            // in-process router test) has none yet.
            id = context.logger[metadataKey: "hb.request.id"]?.description ?? RequestID().description
        }
        context.logger[metadataKey: "hb.request.id"] = .string(id)
        var response = try await next(request, context)
        response.headers[.requestId] = id
        return response
    }

    /// Whether `id` is short and plain enough to log as it is.
    static func isAcceptable(_ id: String) -> Bool {
        (1...64).contains(id.utf8.count)
            && id.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    true
                case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"):
                    true
                default:
                    false
                }
            }
    }
}

extension HTTPField.Name {
    /// `X-Request-Id`: the request's id (``RequestIdMiddleware``).
    public static let requestId = HTTPField.Name("X-Request-Id")!
}
