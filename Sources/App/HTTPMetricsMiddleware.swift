public import Hummingbird
import Metrics

/// HTTP metrics: `mpshook_http_requests_total{route, method, status_class}` and
/// `mpshook_http_request_duration_seconds{route, method}` (request in to response head out).
///
/// `route` is the route's template (`/v1/jobs/{id}`), never the raw path; a request no route
/// matched (or with a method none has) is counted under `route="unmatched", method="other"`.
/// Every series is made when the router is built, from the router's own list of routes, so a
/// request only reads an immutable table: no label string is made and no lock taken beyond the
/// metric's own.
public struct HTTPMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    /// One route and method's series.
    struct Series: Sendable {
        /// By status class: 1xx … 5xx.
        let requests: [Counter]
        let duration: Metrics.Timer

        init(route: String, method: String) {
            requests = (1...5).map { digit in
                Counter(
                    label: "mpshook_http_requests_total",
                    dimensions: [("route", route), ("method", method), ("status_class", "\(digit)xx")]
                )
            }
            duration = Metrics.Timer(
                label: "mpshook_http_request_duration_seconds", dimensions: [("route", route), ("method", method)],
                preferredDisplayUnit: .seconds
            )
        }

        func record(status: Int, since started: ContinuousClock.Instant) {
            requests[min(4, max(0, status / 100 - 1))].increment()
            duration.recordNanoseconds(Int64((ContinuousClock.now - started) / .nanoseconds(1)))
        }
    }

    private let table: [String: [HTTPRequest.Method: Series]]
    private let unmatched: Series

    /// Series for each of `routes` (their templates, as the router reports them).
    public init(routes: [(path: String, method: HTTPRequest.Method)]) {
        var table: [String: [HTTPRequest.Method: Series]] = [:]
        for route in routes {
            table[route.path, default: [:]][route.method] = Series(route: route.path, method: route.method.rawValue)
        }
        self.table = table
        self.unmatched = Series(route: "unmatched", method: "other")
    }

    public func handle(
        _ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response
    ) async throws -> Response {
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            series(context.endpointPath, request.method).record(status: response.status.code, since: started)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            series(context.endpointPath, request.method).record(status: status, since: started)
            throw error
        }
    }

    private func series(_ path: String?, _ method: HTTPRequest.Method) -> Series {
        guard let path, let series = table[path]?[method] else { return unmatched }
        return series
    }
}
