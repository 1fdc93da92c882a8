public import Hummingbird
import Logging

/// The outermost middleware of every route: whatever a route or middleware throws reaches the
/// client as problem+json. ``APIProblem`` is rendered as it is; Hummingbird's own `HTTPError`s
/// (no route: 404; a body over the server's limit: 413) keep their status with a problem body;
/// any other error is a 500 whose body says nothing of the cause, which is logged (its type only:
/// an error's text can hold request data).
public struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as APIProblem {
            return problem.response
        } catch let error as any HTTPResponseError {
            return Self.problem(for: error.status, request: request).response
        } catch {
            context.logger.info(
                "request failed unexpectedly", metadata: ["error.type": "\(type(of: error))", "http.path": "\(request.uri.path)"]
            )
            return APIProblem.internalError.response
        }
    }

    static func problem(for status: HTTPResponse.Status, request: Request) -> APIProblem {
        switch status {
        case .notFound:
            APIProblem(.notFound, .notFound, "no route for \(request.method.rawValue) \(String(request.uri.path.prefix(200)))")
        case .contentTooLarge:
            APIProblem(.contentTooLarge, .bodyTooLarge, "the body is larger than this route accepts")
        case .unauthorized:
            APIProblem.unauthorized("an API key is required: send `Authorization: Bearer <API key>`", invalidToken: false)
        default:
            APIProblem(status, status.code >= 500 ? .internalError : .http(status), status.reasonPhrase)
        }
    }
}
