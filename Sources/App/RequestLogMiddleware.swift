public import Hummingbird
import Logging

/// Logs each request's method, path (never the query string: callback URLs carry tokens),
/// status and duration, at `debug`, and at `info` for server errors other than 503: a 503 is
/// an answer the handler chose and reports itself (the door, rate-limited; `/readyz`, polled by
/// load balancers), and one line per 503 floods the logs during an outage.
public struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(
        _ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response
    ) async throws -> Response {
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            log(request, context: context, status: response.status.code, started: started)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            log(request, context: context, status: status, started: started)
            throw error
        }
    }

    private func log(_ request: Request, context: Context, status: Int, started: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - started
        let milliseconds = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        context.logger.log(
            level: status >= 500 && status != 503 ? .info : .debug,
            "request",
            metadata: [
                "http.method": "\(request.method.rawValue)",
                "http.path": "\(request.uri.path)",
                "http.status": "\(status)",
                "http.duration_ms": "\((milliseconds * 100).rounded() / 100)",
            ]
        )
    }
}
