import Hummingbird
import Logging

/// The one way a route uses the database: a failure is answered `503` (``APIProblem/unavailable``)
/// and logged at info (the client is told; the error's description holds no secret), at most one
/// line per ``logInterval`` for the whole API with the count of those held back, so an outage
/// answered thousands of times a second costs a line every few seconds. A typed refusal the
/// work throws (a rule's, not the database's) is mapped by `refusal` instead, and not logged.
enum DatabaseCall {
    static let logInterval: Duration = .seconds(5)
    static let log = LogThrottle(interval: logInterval)

    /// Runs `body`; `what` says what was not done (`"job not created"`) in the log line.
    static func run<Value>(
        _ what: String, context: some RequestContext, refusal: (any Error) -> APIProblem? = { _ in nil },
        _ body: () async throws -> Value
    ) async throws(APIProblem) -> Value {
        do {
            return try await body()
        } catch {
            if let problem = refusal(error) { throw problem }
            if let suppressed = log.admit() {
                context.logger.info(
                    "\(what): database error; answered 503", metadata: ["error": "\(error)", "log.suppressed": "\(suppressed)"]
                )
            }
            throw .unavailable
        }
    }
}
