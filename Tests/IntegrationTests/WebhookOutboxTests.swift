import Foundation
import Postgres
import Testing

@testable import Store

/// The outbox row a job's end writes: one per end, so a job a person reopened (a resubmitted
/// step) that ends again is announced again, and a repeated enqueue of the same end is not.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct WebhookOutboxTests {
    @Test func eachEndOfAJobGetsOneDeliveryAndARepeatedEnqueueNone() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let job = UUID()
            _ = try await client.query("""
                INSERT INTO jobs (id, state, finished_at, callback_url)
                VALUES (\(job), 'failed', now() - interval '1 hour', 'https://hooks.example.com/done')
                """)
            let enqueue = { try await client.withTransaction { try await WebhookStore.enqueue(jobIds: [job], on: $0) } }
            try await enqueue()
            try await enqueue()
            #expect(try await Self.deliveries(job, client) == 1)

            // Reopened, then ended again: a second end, a second delivery with its own id.
            _ = try await client.query("UPDATE jobs SET state = 'succeeded', finished_at = now() WHERE id = \(job)")
            try await enqueue()
            try await enqueue()
            #expect(try await Self.deliveries(job, client) == 2)
            let ids = try await client.query("SELECT count(DISTINCT id) FROM webhook_deliveries WHERE job_id = \(job)")
            #expect(try ids[0].decode(Int.self, at: 0) == 2)
        }
    }

    static func deliveries(_ job: UUID, _ client: PostgresClient) async throws -> Int {
        try await client.query("SELECT count(*) FROM webhook_deliveries WHERE job_id = \(job)")[0].decode(Int.self, at: 0)
    }
}
