import Correlation
import Foundation
import Intake
import Logging
import Postgres
import Store
import Testing
import Workflows

/// Every statement that moves a step, run against a step in every state in a real PostgreSQL:
/// the state it leaves is `StepState.after(_:)` of the statement's event, or the step is left
/// exactly as it was when `after` says the event does not apply. The SQL guards are read off
/// `after`; this checks that each statement uses the right event and guard, and that nothing
/// else in the statement (a join, a timestamp test, the completion path) disagrees.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct StepStatementTableTests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// The statements that move a step (`StepStore`'s, the recovery sweep's for a lapsed claim
    /// never sent and one that may have been, the reconciler's expiry, a person's `OperatorStore`
    /// actions, the cancel of the step's job), with the event each records.
    enum Statement: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case claimPending, markSubmitted, markRetry, markFailed, markSubmitUnknown, recoverAbandoned
        case recoverLapsedUnsent, recoverLapsedSent
        case expire
        case resolve, resubmit, abandon
        case cancelJob

        var event: StepState.Event {
            switch self {
            case .claimPending: .claim
            case .markSubmitted: .accept
            case .markRetry, .recoverLapsedUnsent: .retryLater
            case .markFailed: .refuse
            case .markSubmitUnknown, .recoverAbandoned, .recoverLapsedSent: .unclear
            case .expire: .expire
            case .resolve: .resolve
            case .resubmit: .resubmit
            case .abandon: .abandon
            case .cancelJob: .cancel
            }
        }

        var testDescription: String { rawValue }
    }

    /// One step (two inputs, its own job) in each state, with an error recorded so that a
    /// statement that must leave the step alone can be seen to have left all of it alone.
    /// Returns each one, and its row as it was then.
    static func stepInEveryState(
        _ client: PostgresClient
    ) async throws -> (steps: [StepState: (id: UUID, correlation: CorrelationId)], before: [StepState: StepRecord]) {
        var steps: [StepState: (id: UUID, correlation: CorrelationId)] = [:]
        var before: [StepState: StepRecord] = [:]
        for state in StepState.allCases {
            let (correlation, _, stepId) = try await TestDatabase.createStep(client, inputs: 2)
            _ = try await client.query("""
                UPDATE steps SET state = \(state.rawValue), task_id = 't-before-' || id::text, error_code = 'Before', error_message = 'before',
                    updated_at = now() - interval '10 minutes'
                WHERE id = \(stepId)
                """)
            steps[state] = (stepId, correlation)
            let record = try #require(try await StepStore(client: client).step(id: stepId))
            before[state] = record
        }
        return (steps, before)
    }

    @Test(arguments: Statement.allCases)
    func eachStatementMovesEveryStateAsTheDomainRuleSays(_ statement: Statement) async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let store = StepStore(client: client)
            let (steps, before) = try await Self.stepInEveryState(client)

            // Which steps the statement says it moved (or recorded), by state.
            var reported: [StepState: Bool] = [:]
            switch statement {
            case .claimPending:
                let claimed = Set(try await store.claimPending(limit: 100).map(\.id))
                for (state, step) in steps { reported[state] = claimed.contains(step.id) }
            case .recoverAbandoned:
                let count = try await store.recoverAbandoned(olderThan: .seconds(60))
                #expect(count == StepState.allCases.filter { $0.after(.unclear) != nil }.count)
            case .recoverLapsedUnsent, .recoverLapsedSent:
                // Every step carries a claim whose lease ran out; only the sweep's rule and
                // guards decide which move.
                let sent = statement == .recoverLapsedSent
                _ = try await client.query("""
                    UPDATE steps SET claimed_by = \(UUID()), lease_until = now() - interval '1 minute',
                        sent_at = CASE WHEN \(sent) THEN now() - interval '2 minutes' END
                    """)
                let recovered = try await store.recoverLapsedClaims(ClaimRecovery(unleasedAbandonedAfter: .seconds(60)))
                let moved = Set(recovered.requeued + recovered.unclear)
                for (state, step) in steps { reported[state] = moved.contains(step.id) }
            case .expire:
                // As the reconciler calls it: with the state it read, and no report since.
                let reconciler = ReconcileStore(client: client)
                for (state, step) in steps {
                    reported[state] = try await reconciler.expire(stepId: step.id, state: state, lastReportAt: nil, reason: .noCallback)
                }
            case .resolve, .resubmit, .abandon:
                let operators = OperatorStore(client: client)
                for (state, step) in steps {
                    let action: StepAction = switch statement {
                    case .resolve: .resolve(taskId: before[state]?.taskId ?? "t-resolved")
                    case .resubmit: .resubmit
                    default: .abandon
                    }
                    do {
                        _ = try await operators.perform(action, stepId: step.id, actor: "table-test", reason: "checking \(state)")
                        reported[state] = true
                    } catch is StepActionError {
                        reported[state] = false
                    }
                }
            case .cancelJob:
                // Each step is its own job's: cancelling it ends the step only when it was never sent.
                let operators = OperatorStore(client: client)
                for (state, step) in steps {
                    let jobId = try #require(before[state]?.jobId)
                    guard case .cancelled(let record) = try await operators.cancel(jobId: jobId, actor: "table-test", reason: "checking \(state)") else {
                        Issue.record("the job of a \(state) step was not cancelled")
                        continue
                    }
                    reported[state] = record.after?.contains(step.id.uuidString.lowercased()) == true
                }
            case .markSubmitted, .markRetry, .markFailed, .markSubmitUnknown:
                for (state, step) in steps {
                    reported[state] = switch statement {
                    case .markSubmitted: try await store.markSubmitted(step.id, taskId: "t-after-\(state)")
                    case .markRetry: try await store.markRetry(step.id, after: .zero, code: "RequestLimitExceeded", message: "later")
                    case .markFailed: try await store.markFailed(step.id, code: "InvalidParameter", message: "refused")
                    default: try await store.markSubmitUnknown(step.id, code: "InternalError", message: "maybe")
                    }
                }
            }

            for state in StepState.allCases {
                let step = try #require(steps[state])
                let after = try #require(try await store.step(id: step.id))
                let expected = state.after(statement.event)
                if let applies = reported[state] {
                    #expect(applies == (expected != nil), "\(statement) in \(state) reported \(applies)")
                }
                guard let expected else {
                    #expect(after == before[state], "\(statement) changed a \(state) step")
                    continue
                }
                #expect(after.state == expected, "\(statement) moved \(state) to \(after.state), the rule says \(expected)")
                if statement == .markSubmitted { #expect(after.taskId == "t-after-\(state)", "\(state) kept no TaskId") }
            }
        }
    }

    /// A report the applier applies, and the events it is: any report proves the task exists; one
    /// whose outputs are all final then finishes the step as they say.
    enum Report: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case processing, succeeded, partiallyFailed, failed

        var statuses: [String] {
            switch self {
            case .processing: ["PROCESSING", "WAITING"]
            case .succeeded: ["SUCCESS", "SUCCESS"]
            case .partiallyFailed: ["SUCCESS", "FAIL"]
            case .failed: ["FAIL", "FAIL"]
            }
        }

        var outcome: StepOutcome? {
            switch self {
            case .processing: nil
            case .succeeded: .succeeded
            case .partiallyFailed: .partiallyFailed
            case .failed: .failed
            }
        }

        /// `state` after this report, by the domain rule alone.
        func expected(from state: StepState) -> StepState {
            let reported = state.after(.taskReported) ?? state
            return outcome.flatMap { reported.after(.outputsFinal($0)) } ?? reported
        }

        var testDescription: String { rawValue }
    }

    @Test(arguments: Report.allCases)
    func aReportMovesEveryStateAsTheDomainRuleSays(_ report: Report) async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let store = StepStore(client: client)
            let (steps, before) = try await Self.stepInEveryState(client)

            let notifications = StepState.allCases.compactMap { steps[$0] }.map {
                ApplierIntegrationTests.notification($0.correlation.sessionContext, report.statuses)
            }
            _ = try await NotificationStore(client: client).insert(notifications)
            #expect(try await Applier(client: client, logger: Self.quiet).applyBatch() == notifications.count)
            #expect(try await ApplierIntegrationTests.outcomes(client) == Array(repeating: "applied", count: notifications.count))

            for state in StepState.allCases {
                let step = try #require(steps[state])
                let after = try #require(try await store.step(id: step.id))
                let expected = report.expected(from: state)
                #expect(after.state == expected, "a \(report) report moved \(state) to \(after.state), the rule says \(expected)")
                if expected == state {
                    #expect(after == before[state], "a \(report) report changed a \(state) step it leaves in place")
                }
            }
        }
    }
}
