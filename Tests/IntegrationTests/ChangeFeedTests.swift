import Correlation
import Foundation
import Postgres
import Store
import Testing

/// The durable change feed: what the triggers record, the order readers resume in, pruning.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct ChangeFeedTests {
    /// The changes readable after `position`, polled until `count` are (another open
    /// transaction anywhere in the cluster holds the snapshot's xmin back for a moment). Fewer
    /// is a failure here, never an index out of range later (that would end the whole run).
    static func changes(
        _ feed: ChangeFeed, after position: ChangePosition = .start, count: Int
    ) async throws -> [ChangeEvent] {
        var events: [ChangeEvent] = []
        _ = try await TestDatabase.eventually(within: .seconds(20)) {
            events = try await feed.read(after: position, limit: 1000)
            return events.count >= count
        }
        try #require(events.count >= count, "\(events.count) of \(count) changes readable: a transaction held the cluster's xmin back")
        return events
    }

    static func insertNotification(_ client: PostgresClient, correlationId: UUID?) async throws -> Int64 {
        try await client.query("""
            INSERT INTO notifications (content_hash, correlation_id, event_type, body)
            VALUES (\(PostgresBytes(Array(UUID().uuidString.utf8))), \(correlationId), 'BatchTask', '{}')
            RETURNING id
            """)[0].decode(Int64.self, at: 0)
    }

    @Test func eachStateChangeIsRecordedOnceWithItsJobAndStepAndNothingElseIs() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let feed = ChangeFeed(client: client)
            let (correlation, jobId, stepId) = try await TestDatabase.createStep(client, inputs: 2)
            let notificationId = try await Self.insertNotification(client, correlationId: correlation.uuid)
            // Updates that change no state are not changes.
            _ = try await client.query("UPDATE steps SET lease_until = now(), polls = polls + 1 WHERE id = \(stepId)")
            _ = try await client.query("UPDATE outputs SET progress = 10 WHERE step_id = \(stepId)")
            _ = try await client.query("UPDATE jobs SET updated_at = now() WHERE id = \(jobId)")
            // One statement moving several rows: one change per row that moved.
            _ = try await client.query("UPDATE steps SET state = 'submitting' WHERE id = \(stepId)")
            _ = try await client.query("UPDATE outputs SET status = 'PROCESSING' WHERE step_id = \(stepId)")
            _ = try await client.query("UPDATE notifications SET outcome = 'applied' WHERE id = \(notificationId)")
            _ = try await client.query("UPDATE jobs SET state = 'failed' WHERE id = \(jobId)")

            let events = try await Self.changes(feed, count: 7)
            let seen = events.map { [$0.kind.rawValue, $0.from ?? "-", $0.to] }
            #expect(seen == [
                ["job", "-", "running"], ["step", "-", "pending"], ["step", "pending", "submitting"],
                ["output", "WAITING", "PROCESSING"], ["output", "WAITING", "PROCESSING"],
                ["notification", "pending", "applied"], ["job", "running", "failed"],
            ])
            #expect(events.allSatisfy { $0.jobId == jobId })
            #expect(events.filter { $0.kind != .job }.allSatisfy { $0.stepId == stepId })
            #expect(events.filter { $0.kind == .output }.compactMap(\.inputIndex).sorted() == [0, 1])
            #expect(events.first { $0.kind == .notification }?.notificationId == notificationId)
            #expect(zip(events, events.dropFirst()).allSatisfy { $0.position < $1.position })
        }
    }

    @Test func theDoorsInsertOfANotificationIsNotAChange() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            _ = try await Self.insertNotification(client, correlationId: nil)
            #expect(try await client.query("SELECT count(*) FROM changes")[0].decode(Int.self, at: 0) == 0)
        }
    }

    /// The case a bigserial alone gets wrong: transaction A takes its row id first but commits
    /// after B. A reader that had moved past B's id would never see A's change.
    @Test func aChangeCommittedLaterWithAnEarlierIdIsNotSkipped() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let feed = ChangeFeed(client: client)
            let (_, first, _) = try await TestDatabase.createStep(client)
            let (_, second, _) = try await TestDatabase.createStep(client)
            let start = try #require(try await Self.changes(feed, count: 4).last?.position)

            let (written, wroteA) = AsyncStream.makeStream(of: Void.self)
            let (release, releaseA) = AsyncStream.makeStream(of: Void.self)
            let transactionA = Task {
                try await client.withTransaction { connection in
                    _ = try await connection.query("UPDATE jobs SET state = 'failed' WHERE id = \(first)")
                    wroteA.yield()
                    for await _ in release { break }
                }
            }
            for await _ in written { break }
            // B writes after A (a higher id) and commits first.
            _ = try await client.query("UPDATE jobs SET state = 'cancelled' WHERE id = \(second)")
            let ids = try await client.query("SELECT id, new_state FROM changes ORDER BY id DESC LIMIT 1")[0].decode((Int64, String).self)
            #expect(ids.1 == "cancelled")

            // While A is open, B's change is not readable: reading it would move past A's.
            #expect(try await feed.read(after: start, limit: 100).isEmpty)

            releaseA.yield()
            try await transactionA.value
            let events = try await Self.changes(feed, after: start, count: 2)
            #expect(events.map(\.to) == ["failed", "cancelled"])
            #expect(events.map(\.jobId) == [first, second])
            #expect(events[0].position.id < ids.0)
            #expect(try await feed.read(after: events[1].position, limit: 100).isEmpty)
        }
    }

    @Test func resumingAfterAPositionReturnsExactlyTheLaterChangesInOrder() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let feed = ChangeFeed(client: client)
            for _ in 0..<5 { _ = try await TestDatabase.createStep(client) }
            let all = try await Self.changes(feed, count: 10)
            #expect(all.count == 10)
            for cut in [0, 3, 9] {
                #expect(try await feed.read(after: all[cut].position, limit: 100) == Array(all[(cut + 1)...]))
            }
            #expect(try await feed.read(after: all[2].position, limit: 4) == Array(all[3...6]))
            // The text form round-trips; anything else is refused.
            #expect(ChangePosition(all[4].position.description) == all[4].position)
            for bad in ["", "1", "1-", "-1", "1-2-3", "a-1", "1- 2", "+1-2", "99999999999999999999999-1", "١-٢"] {
                #expect(ChangePosition(bad) == nil, "\(bad)")
            }
        }
    }

    @Test func pruningDeletesTheOldPrefixInBatchesAndMovesTheHorizon() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let feed = ChangeFeed(client: client)
            for _ in 0..<4 { _ = try await TestDatabase.createStep(client) }
            let all = try await Self.changes(feed, count: 8)
            #expect(try await feed.horizon() == .start)
            // The first five are two days old, the rest new; an old one after a new one stays
            // (the feed is kept whole up to the horizon).
            let old = all[0..<5].map(\.position.id) + [all[6].position.id]
            _ = try await client.query("UPDATE changes SET at = now() - interval '2 days' WHERE id = ANY(\(old.map(Int.init))::int8[])")
            let cutoff = Date().addingTimeInterval(-86_400)

            #expect(try await feed.prune(before: cutoff, limit: 2) == 2)
            #expect(try await feed.horizon() == all[1].position)
            #expect(try await feed.prune(before: cutoff, limit: 2) == 2)
            #expect(try await feed.prune(before: cutoff, limit: 2) == 1)
            #expect(try await feed.prune(before: cutoff, limit: 2) == 0)
            #expect(try await feed.horizon() == all[4].position)
            #expect(try await feed.read(after: .start, limit: 100).map(\.position) == all[5...].map(\.position))
        }
    }
}
