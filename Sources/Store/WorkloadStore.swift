public import Postgres
public import Workflows

/// What the service has in hand right now, for gauges: work waiting for the dispatcher and the
/// applier, and how many jobs and steps hold work, by state.
public struct Workload: Sendable, Equatable {
    /// Pending steps whose time has come (the dispatcher's queue).
    public var dueSteps: Int
    /// How long the longest-waiting due step has been due, in seconds (0 when none).
    public var oldestDueSeconds: Double
    /// Notifications stored and not applied yet (the applier's queue).
    public var pendingNotifications: Int
    /// How long ago the oldest of them was received, in seconds (0 when none).
    public var oldestPendingSeconds: Double
    /// Steps in each state that still holds work (``StepState/isTerminal`` false); every such state is present.
    public var steps: [StepState: Int]
    /// Jobs in each state that is not final (``JobState/isFinal`` false); every such state is present.
    public var jobs: [JobState: Int]

    /// Step states counted: the ones that still hold work. Finished steps only grow; how fast
    /// they finish is a rate of the callback latency histogram, and `/v1/stats` has the totals.
    public static let stepStates = StepState.allCases.filter { !$0.isTerminal }
    /// Job states counted: the ones not final.
    public static let jobStates = JobState.allCases.filter { !$0.isFinal }
}

/// Reads ``Workload`` in one statement. Each part is served by a partial or leading-column
/// index (`steps_pending`, `steps_state_created`, `notifications_pending`, `jobs_state_created`),
/// and counts only what is in flight, so it stays cheap as finished work piles up.
public struct WorkloadStore: Sendable {
    let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    public func read() async throws(PostgresError) -> Workload {
        let stepStates = Workload.stepStates.map(\.rawValue)
        let jobStates = Workload.jobStates.map(\.rawValue)
        let rows = try await client.query("""
            SELECT 'step', state, count(*), 0::float8 FROM steps WHERE state = ANY(\(stepStates)::text[]) GROUP BY state
            UNION ALL
            SELECT 'job', state, count(*), 0::float8 FROM jobs WHERE state = ANY(\(jobStates)::text[]) GROUP BY state
            UNION ALL
            SELECT 'due', '', count(*), coalesce(extract(epoch FROM now() - min(next_attempt_at)), 0)::float8
                FROM steps WHERE state = 'pending' AND next_attempt_at <= now()
            UNION ALL
            SELECT 'unapplied', '', count(*), coalesce(extract(epoch FROM now() - min(received_at)), 0)::float8
                FROM notifications WHERE outcome = 'pending'
            """)
        var workload = Workload(
            dueSteps: 0, oldestDueSeconds: 0, pendingNotifications: 0, oldestPendingSeconds: 0,
            steps: Dictionary(uniqueKeysWithValues: Workload.stepStates.map { ($0, 0) }),
            jobs: Dictionary(uniqueKeysWithValues: Workload.jobStates.map { ($0, 0) })
        )
        for row in rows {
            let (kind, state, count, seconds) = try row.decode((String, String, Int, Double).self)
            switch kind {
            case "step": if let state = StepState(rawValue: state) { workload.steps[state] = count }
            case "job": if let state = JobState(rawValue: state) { workload.jobs[state] = count }
            case "due": (workload.dueSteps, workload.oldestDueSeconds) = (count, max(0, seconds))
            default: (workload.pendingNotifications, workload.oldestPendingSeconds) = (count, max(0, seconds))
            }
        }
        return workload
    }
}
