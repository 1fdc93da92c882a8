/// Told by ``PostgresClient`` how its checkouts go, for metrics. Called on the checking-out task,
/// once per checkout: keep it cheap and never block.
///
/// (This module does not depend on a metrics library; the service supplies one of these.)
public protocol PostgresPoolObserver: Sendable {
    /// A connection was handed out `wait` after it was asked for (zero-ish when one was idle;
    /// including the connect when a new one had to be opened).
    func checkedOut(after wait: Duration)
    /// No connection became free within the configured checkout timeout.
    func checkoutTimedOut()
}
