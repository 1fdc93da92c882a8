import Foundation
public import Postgres
import Workflows

/// SQL for jobs and their steps.
public struct JobStore: Sendable {
    /// The channel the dispatcher listens on; notified when steps become pending.
    public static let stepsChannel = "mpshook_steps"

    let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// Creates the job, its steps and their outputs (``StepInserter``) in one transaction, and
    /// wakes the dispatcher at commit. Everything the callback needs to find its step (correlation id,
    /// SessionContext) is committed before anything is sent.
    public func create(_ job: NewJob) async throws -> JobCreation {
        try await client.withTransaction { connection in
            let inserted = try await connection.query("""
                INSERT INTO jobs (id, client_reference, client_context, workflow_id, params, input_urls, callback_url)
                VALUES (\(job.id), \(job.clientReference), \(job.clientContext), \(job.workflowId),
                    \(job.params.isEmpty ? nil : JSONBText(WorkflowParams.encode(job.params))), \(job.inputURLs ?? job.steps.first?.inputURLs),
                    \(job.callbackURL))
                ON CONFLICT (client_reference) WHERE client_reference IS NOT NULL DO NOTHING
                RETURNING id
                """)
            guard inserted.count == 1 else {
                let existing = try await connection.query("SELECT id FROM jobs WHERE client_reference = \(job.clientReference)")
                return .existing(try existing[0].decode(UUID.self, at: 0))
            }
            _ = try await StepInserter(connection: connection).insert(job.steps.map { StepRow(jobId: job.id, step: $0) })
            return .created(job.id)
        }
    }
}
