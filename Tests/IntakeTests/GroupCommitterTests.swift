import Foundation
@testable import Intake
import Logging
import Postgres
import Store
import Synchronization
import Testing

/// The group commit's queue against a writer the test controls: bounded, emptied of answered
/// requests, refusing at once when commits stall or fail, and reporting its health.
@Suite struct GroupCommitterTests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A writer that can be held (commits hang until released) or made to fail.
    final class ControlledWriter: NotificationWriter {
        private struct State {
            var held = false
            var failure: PostgresError?
            var released: [CheckedContinuation<Void, Never>] = []
            var inserted = 0
        }
        private let state = Mutex(State())

        var inserted: Int { state.withLock { $0.inserted } }

        func hold() { state.withLock { $0.held = true } }

        func release() {
            let waiting = state.withLock { state in
                state.held = false
                defer { state.released = [] }
                return state.released
            }
            for continuation in waiting { continuation.resume() }
        }

        func fail(with error: PostgresError?) { state.withLock { $0.failure = error } }

        func insert(_ batch: [IncomingNotification]) async throws(PostgresError) -> [Bool] {
            await withCheckedContinuation { continuation in
                let held = state.withLock { state in
                    if state.held { state.released.append(continuation) }
                    return state.held
                }
                if !held { continuation.resume() }
            }
            if let failure = state.withLock({ $0.failure }) { throw failure }
            state.withLock { $0.inserted += batch.count }
            return batch.map { _ in true }
        }
    }

    static func notification(size: Int = 100) -> IncomingNotification {
        let body = #"{"n":""# + String(repeating: "x", count: max(0, size - 8)) + #""}"# + UUID().uuidString
        return IncomingNotification(contentHash: Array(body.utf8.prefix(32)), correlationId: nil, sessionContext: nil, eventType: "BatchTask", body: body)
    }

    /// Runs `body` with a committer (one writer, no linger) running over `writer`.
    static func withCommitter(
        _ writer: ControlledWriter, limits: GroupCommitter.Limits = GroupCommitter.Limits(),
        _ body: @Sendable (GroupCommitter) async throws -> Void
    ) async throws {
        let committer = GroupCommitter(store: writer, batchSize: 8, linger: .zero, writers: 1, limits: limits, logger: quiet)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await committer.run() }
            defer { group.cancelAll() }
            try await body(committer)
            writer.release()
        }
    }

    static func eventually(within limit: Duration = .seconds(60), _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return condition()
    }

    /// Submits in the background; returns when `count` more rows are queued.
    static func fill(_ committer: GroupCommitter, _ group: inout ThrowingTaskGroup<Void, any Error>, count: Int, size: Int = 100) async {
        let before = committer.queueStatistics.rows
        for _ in 0..<count {
            group.addTask { _ = try? await committer.submit(Self.notification(size: size), timeout: .seconds(30)) }
        }
        _ = await eventually { committer.queueStatistics.rows == before + count }
    }

    /// Submits one row in the background; returns when the (held) writer has taken it.
    static func occupyWriter(_ committer: GroupCommitter, _ group: inout ThrowingTaskGroup<Void, any Error>) async {
        group.addTask { _ = try? await committer.submit(Self.notification(), timeout: .seconds(30)) }
        _ = await eventually { committer.queueStatistics.committing == 1 }
    }

    @Test func requestsAnsweredByTheirTimeoutLeaveTheQueue() async throws {
        let writer = ControlledWriter()
        writer.hold()
        try await Self.withCommitter(writer, limits: .init(stallAfter: .seconds(60))) { committer in
            try await withThrowingTaskGroup(of: Void.self) { group in
                await Self.occupyWriter(committer, &group)
                await withTaskGroup(of: Void.self) { timedOut in
                    for _ in 0..<20 {
                        timedOut.addTask {
                            await #expect(throws: GroupCommitter.Timeout.self) {
                                _ = try await committer.submit(Self.notification(), timeout: .milliseconds(100))
                            }
                        }
                    }
                }
                // The 20 gave up and must be gone: only the held row is committed.
                #expect(committer.queueStatistics.rows == 0)
                #expect(committer.queueStatistics.bytes == 0)
                writer.release()
                try await group.waitForAll()
            }
            #expect(writer.inserted == 1)
        }
    }

    @Test func pastTheRowLimitARequestIsRefusedAtOnce() async throws {
        let writer = ControlledWriter()
        writer.hold()
        try await Self.withCommitter(writer, limits: .init(rows: 4, stallAfter: .seconds(60))) { committer in
            try await withThrowingTaskGroup(of: Void.self) { group in
                await Self.occupyWriter(committer, &group)
                await Self.fill(committer, &group, count: 4)
                #expect(committer.queueStatistics.rows == 4)
                let started = ContinuousClock.now
                let error = await #expect(throws: GroupCommitter.Unavailable.self) {
                    _ = try await committer.submit(Self.notification(), timeout: .seconds(10))
                }
                #expect(error?.reason == .queueFull)
                #expect(ContinuousClock.now - started < .seconds(5)) // at once: well inside the 10 s timeout
                writer.release()
                try await group.waitForAll()
            }
            #expect(writer.inserted == 5)
        }
    }

    @Test func pastTheByteLimitARequestIsRefusedAtOnce() async throws {
        let writer = ControlledWriter()
        writer.hold()
        try await Self.withCommitter(writer, limits: .init(bytes: 10_000, stallAfter: .seconds(60))) { committer in
            try await withThrowingTaskGroup(of: Void.self) { group in
                await Self.occupyWriter(committer, &group)
                await Self.fill(committer, &group, count: 2, size: 4000)
                #expect(committer.queueStatistics.bytes >= 8000)
                let error = await #expect(throws: GroupCommitter.Unavailable.self) {
                    _ = try await committer.submit(Self.notification(size: 4000), timeout: .seconds(10))
                }
                #expect(error?.reason == .queueFull)
                writer.release()
                try await group.waitForAll()
            }
        }
    }

    @Test func aStalledCommitRefusesNewRequestsAtOnceAndMakesTheCommitterUnhealthy() async throws {
        let writer = ControlledWriter()
        writer.hold()
        try await Self.withCommitter(writer, limits: .init(stallAfter: .milliseconds(200))) { committer in
            try await withThrowingTaskGroup(of: Void.self) { group in
                await Self.occupyWriter(committer, &group)
                #expect(await Self.eventually { committer.health != .healthy })
                let started = ContinuousClock.now
                let error = await #expect(throws: GroupCommitter.Unavailable.self) {
                    _ = try await committer.submit(Self.notification(), timeout: .seconds(10))
                }
                #expect(error?.reason == .commitsStalled)
                #expect(ContinuousClock.now - started < .seconds(5)) // at once: well inside the 10 s timeout
                writer.release()
                try await group.waitForAll()
            }
            #expect(committer.health == .healthy)
            #expect(try await committer.submit(Self.notification(), timeout: .seconds(5)) == .stored)
        }
    }

    @Test func afterAFailedCommitOthersAreRefusedWhileOneProbesAndASuccessHeals() async throws {
        let writer = ControlledWriter()
        writer.fail(with: PostgresError(code: .connectionClosed, reason: "connection lost"))
        try await Self.withCommitter(writer) { committer in
            await #expect(throws: PostgresError.self) { _ = try await committer.submit(Self.notification(), timeout: .seconds(5)) }
            guard case .unhealthy = committer.health else {
                Issue.record("a failed commit should make the committer unhealthy")
                return
            }
            // A probe is let through (nothing else is queued or committing) and held there...
            writer.hold()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { _ = try? await committer.submit(Self.notification(), timeout: .seconds(10)) }
                #expect(await Self.eventually { committer.queueStatistics.committing == 1 })
                // ...while others are refused at once.
                let error = await #expect(throws: GroupCommitter.Unavailable.self) {
                    _ = try await committer.submit(Self.notification(), timeout: .seconds(10))
                }
                #expect(error?.reason == .commitsFailing)
                writer.fail(with: nil)
                writer.release()
                try await group.waitForAll()
            }
            #expect(committer.health == .healthy)
            #expect(try await committer.submit(Self.notification(), timeout: .seconds(5)) == .stored)
        }
    }

    @Test func aCancelledRequestLeavesTheQueue() async throws {
        let writer = ControlledWriter()
        writer.hold()
        try await Self.withCommitter(writer, limits: .init(stallAfter: .seconds(60))) { committer in
            try await withThrowingTaskGroup(of: Void.self) { group in
                await Self.occupyWriter(committer, &group)
                await Self.fill(committer, &group, count: 3)
                group.cancelAll()
                #expect(await Self.eventually { committer.queueStatistics.rows == 0 })
                #expect(committer.queueStatistics.bytes == 0)
                writer.release()
                try await group.waitForAll()
            }
            #expect(writer.inserted == 1)
        }
    }
}
