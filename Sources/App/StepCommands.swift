import ArgumentParser
import Foundation
import API
import Logging
import MPS
import Postgres
import Redacting
import Store
import Workflows
#if canImport(Glibc)
import Glibc
#endif

/// `mpshook steps …`: look at steps, and act on those mpshook cannot settle on its own. The
/// rules and the audit are `Store`'s (``OperatorStore``), shared with the REST API; this is the
/// command line around them.
struct StepsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steps",
        abstract: "Look at steps and act on those mpshook cannot settle alone (every action is audited).",
        discussion: """
            resolve, resubmit and abandon each run in one transaction that locks the step, checks that the \
            action applies to its state, applies it and records who (--actor, else $USER), when, why (--reason) \
            and the step before and after in the operator_actions table, plus one log line. A refused action \
            (unknown step, wrong state) prints why and exits 1, with nothing written.
            """,
        subcommands: [Show.self, List.self, Resolve.self, Resubmit.self, Abandon.self]
    )

    /// `mpshook steps show ID`.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Prints a step: state, job, workflow step, TaskId, correlation id, request as stored, MPS calls, notifications, outputs and the actions taken on it."
        )

        @Argument(help: "The step id (a UUID).")
        var id: String

        @Flag(name: .long, help: "Print the step as JSON.")
        var json = false

        func run() async throws {
            let stepId = try StepCommandSupport.stepId(id)
            let detail = try await StepCommandSupport.withStore { store, _ in try await store.step(stepId) }
            guard let detail else { throw CommandSupport.fail("no step \(APIJSON.id(stepId))") }
            if json {
                Output.line(try StepsJSON.text(StepDetailDocument(detail)))
            } else {
                for line in StepText.lines(detail) { Output.line(line) }
            }
        }
    }

    /// `mpshook steps list --state S [--job ID] [--limit N] [--json]`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lists steps in the given states (default: submit_unknown and lost, those waiting for a person), least recently changed first."
        )

        @Option(name: .long, help: ArgumentHelp("A step state (repeat for several): lost, submit_unknown, failed, …", valueName: "state"))
        var state: [String] = []

        @Option(name: .long, help: ArgumentHelp("Only this job's steps.", valueName: "id"))
        var job: String?

        @Option(name: .long, help: ArgumentHelp("At most this many steps.", valueName: "n"))
        var limit: Int = 100

        @Flag(name: .long, help: "Print the steps as JSON.")
        var json = false

        func validate() throws {
            guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be between 1 and 10000") }
            _ = try states()
            if let job, UUID(uuidString: job) == nil { throw ValidationError("--job \"\(job)\" is not a job id (a UUID)") }
        }

        func states() throws -> [StepState] {
            guard !state.isEmpty else { return StepState.allCases.filter(\.needsAttention) }
            return try state.map { name in
                guard let parsed = StepState(rawValue: name) else {
                    throw ValidationError("--state \(name): not a step state (one of \(StepState.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                return parsed
            }
        }

        func run() async throws {
            let states = try states()
            let jobId = job.flatMap(UUID.init(uuidString:))
            let steps = try await StepCommandSupport.withStore { store, _ in try await store.steps(states: states, jobId: jobId, limit: limit) }
            if json {
                Output.line(try StepsJSON.text(steps.map(StepsJSON.Summary.init)))
            } else {
                for line in StepText.list(steps) { Output.line(line) }
            }
        }
    }

    /// `mpshook steps resolve ID --task-id T --reason TEXT`.
    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Attaches a TaskId found in the MPS console to a submit_unknown or lost step (it becomes submitted; the reconciler then queries it)."
        )

        @Argument(help: "The step id (a UUID).")
        var id: String

        @Option(name: .customLong("task-id"), help: ArgumentHelp("The TaskId MPS gave the step's task.", valueName: "task-id"))
        var taskId: String

        @OptionGroup var audit: AuditOptions

        func run() async throws {
            let stepId = try StepCommandSupport.stepId(id)
            let record = try await StepCommandSupport.perform(.resolve(taskId: taskId), stepId: stepId, audit: audit)
            Output.line("resolved step \(APIJSON.id(stepId)) with TaskId \(taskId): submitted (operator action #\(record.id))")
        }
    }

    /// `mpshook steps resubmit ID --reason TEXT [--yes]`.
    struct Resubmit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Submits a submit_unknown, lost or failed step again, as a new attempt with a new correlation id, after confirmation.",
            discussion: """
                MPS may already hold a task for the step (the call may have reached it; a lost step's task may \
                still finish): a new attempt can run the inputs twice. The command says so and asks for \
                confirmation on the terminal; --yes confirms from a script (without a terminal and without \
                --yes it refuses). A late callback of the old task no longer matches the step: it is kept as an \
                orphan notification (listed by steps show). A failed step is reopened only when no step was \
                planned after it; a job that had ended runs again.
                """
        )

        @Argument(help: "The step id (a UUID).")
        var id: String

        @OptionGroup var audit: AuditOptions

        @Flag(name: .long, help: "Confirm without asking (for scripts).")
        var yes = false

        func run() async throws {
            let stepId = try StepCommandSupport.stepId(id)
            let detail = try await StepCommandSupport.withStore { store, _ in try await store.step(stepId) }
            guard let detail else { throw CommandSupport.fail("no step \(APIJSON.id(stepId))") }
            // Refused at once when the state says so (the action checks again under the lock).
            if let refusal = StepAction.resubmit.refusal(state: detail.step.state, successors: 0, jobState: detail.jobState) {
                throw CommandSupport.fail("resubmit refused: \(refusal)")
            }
            StepCommandSupport.warn(StepText.resubmitWarning(detail))
            if !yes {
                guard isatty(STDIN_FILENO) == 1 else {
                    throw CommandSupport.fail("not resubmitted: standard input is not a terminal to confirm on; give --yes to confirm from a script")
                }
                FileHandle.standardError.write(Data("Resubmit step \(APIJSON.id(stepId))? Type yes to confirm: ".utf8))
                guard readLine()?.trimmingCharacters(in: .whitespaces).lowercased() == "yes" else {
                    throw CommandSupport.fail("not confirmed; nothing was changed")
                }
            }
            let record = try await StepCommandSupport.perform(.resubmit, stepId: stepId, audit: audit)
            let correlation = OperatorActionRecord.field("correlation_id", in: record.after) ?? "?"
            Output.line("resubmitted step \(APIJSON.id(stepId)) as a new attempt (correlation id \(correlation)): pending (operator action #\(record.id))")
        }
    }

    /// `mpshook steps abandon ID --reason TEXT`.
    struct Abandon: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Gives up on a pending, submitted, submit_unknown or lost step: it fails (outputs FAIL, code Abandoned), so its job goes on or ends."
        )

        @Argument(help: "The step id (a UUID).")
        var id: String

        @OptionGroup var audit: AuditOptions

        func run() async throws {
            let stepId = try StepCommandSupport.stepId(id)
            let record = try await StepCommandSupport.perform(.abandon, stepId: stepId, audit: audit)
            Output.line("abandoned step \(APIJSON.id(stepId)): failed (operator action #\(record.id))")
        }
    }
}

/// Who acts and why, for every action.
struct AuditOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Why (recorded in the audit table; required).", valueName: "text"))
    var reason: String

    @Option(name: .long, help: ArgumentHelp("Who acts (default: $USER, else the login name).", valueName: "name"))
    var actor: String?

    /// `--actor`, else `$USER`, else the effective user's login name, else its uid.
    var resolvedActor: String {
        Self.actor(actor)
    }

    /// `given`, else `$USER`, else the effective user's login name, else its uid: who acts, for
    /// every command that records it (the audit here, `keys create`'s `created_by`).
    static func actor(_ given: String?) -> String {
        if let given { return given }
        if let user = ProcessInfo.processInfo.environment["USER"], !user.isEmpty { return user }
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return "uid \(geteuid())"
    }
}

enum StepCommandSupport {
    static func stepId(_ text: String) throws -> UUID {
        guard let id = UUID(uuidString: text) else { throw ValidationError("\"\(text)\" is not a step id (a UUID)") }
        return id
    }

    /// Runs `body` with a store on the configured database; any failure is one line on
    /// standard error and exit status 1.
    static func withStore<Result>(_ body: (OperatorStore, Logger) async throws -> Result) async throws -> Result {
        let configuration = try await CommandSupport.loadConfiguration()
        let logger = CommandSupport.bootstrapLogging(configuration)
        let client = PostgresClient(configuration: configuration.database, logger: logger)
        do {
            let result = try await body(OperatorStore(client: client), logger)
            await client.shutdown()
            return result
        } catch let error as StepActionError {
            await client.shutdown()
            throw CommandSupport.fail(error.message)
        } catch {
            await client.shutdown()
            throw CommandSupport.failure(error, configuration: configuration)
        }
    }

    /// Performs the action and writes its log line.
    static func perform(_ action: StepAction, stepId: UUID, audit: AuditOptions) async throws -> OperatorActionRecord {
        try await withStore { store, logger in
            let record = try await store.perform(action, stepId: stepId, actor: audit.resolvedActor, reason: audit.reason)
            logger.notice("operator action", metadata: record.logMetadata.mapValues { .string($0) })
            return record
        }
    }

    static func warn(_ lines: [String]) {
        FileHandle.standardError.write(Data(lines.map { $0 + "\n" }.joined().utf8))
    }
}

/// What `mpshook steps show|list` print. URLs lose their query strings (signed URLs carry
/// credentials there); the request as stored holds no NotifyUrl token or NotifyKey.
enum StepText {
    static func lines(_ detail: StepDetail) -> [String] {
        let step = detail.step
        var lines = ["step \(APIJSON.id(step.id))  \(step.state.rawValue)"]
        lines.append("  job: \(APIJSON.id(detail.jobId))  \(detail.jobState.rawValue)")
        if let workflow = detail.workflow {
            lines.append("  workflow: \(workflow.name) version \(workflow.version), step \(JobTreeText.label(step))")
        } else {
            lines.append("  workflow: none (one request), step \(JobTreeText.label(step))")
        }
        if !step.parents.isEmpty { lines.append("  after: " + step.parents.map(APIJSON.id).joined(separator: ", ")) }
        lines.append("  task id: " + (step.taskId ?? "(none)"))
        lines.append("  correlation id: \(APIJSON.id(step.correlationId))  (SessionContext \(step.sessionContext))")
        lines.append("  submit attempts: \(step.submitAttempts)  next attempt: \(WorkflowText.timestamp(detail.nextAttemptAt))")
        if let code = step.errorCode { lines.append("  error: \(code)" + (step.errorMessage.map { ": " + $0 } ?? "")) }
        var times = "  created: \(WorkflowText.timestamp(step.createdAt))  updated: \(WorkflowText.timestamp(step.updatedAt))"
        if let submitted = step.submittedAt { times += "  submitted: \(WorkflowText.timestamp(submitted))" }
        if let finished = step.finishedAt { times += "  finished: \(WorkflowText.timestamp(finished))" }
        lines.append(times)
        var polls = "  polls: \(detail.polls)"
        if let last = detail.lastPolledAt { polls += "  last: \(WorkflowText.timestamp(last))" }
        if let next = detail.nextPollAt { polls += "  next: \(WorkflowText.timestamp(next))" }
        lines.append(polls)
        lines.append("request (as stored; the NotifyUrl token and NotifyKey are never stored):")
        lines += request(detail.request).split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }
        lines.append("outputs:")
        for output in step.outputs {
            var text = "  #\(output.inputIndex) \(output.status.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(Redaction.url(output.inputURL))"
            if output.status == .processing { text += "  \(output.progress)%" }
            if let path = output.subtitlePath { text += "  subtitle: \(path)" }
            if let code = output.errorCode { text += "  [\(code)\(output.errorMessage.map { ": " + $0 } ?? "")]" }
            lines.append(text)
        }
        lines.append("MPS calls:" + (detail.attempts.isEmpty ? " none" : ""))
        for attempt in detail.attempts {
            var text = "  \(WorkflowText.timestamp(attempt.startedAt))  \(attempt.action)  "
            text += attempt.errorCode.map { "\($0) (\(attempt.errorClass ?? "?"))" } ?? "ok"
            if let status = attempt.httpStatus { text += "  HTTP \(status)" }
            text += "  \(attempt.latencyMilliseconds) ms"
            if let requestId = attempt.requestId { text += "  request \(requestId)" }
            lines.append(text)
        }
        lines.append("notifications:" + (detail.notifications.isEmpty ? " none" : ""))
        for notification in detail.notifications {
            var text = "  #\(notification.id)  \(WorkflowText.timestamp(notification.receivedAt))  \(notification.source)  "
                + "\(notification.eventType)  \(notification.outcome)"
            if let error = notification.applyError { text += "  (\(error))" }
            if !notification.currentAttempt { text += "  [an earlier attempt]" }
            lines.append(text)
        }
        lines.append("operator actions:" + (detail.actions.isEmpty ? " none" : ""))
        for action in detail.actions {
            lines.append("  #\(action.id)  \(WorkflowText.timestamp(action.at))  \(action.actor)  \(action.action): \(action.reason)")
            lines.append("      before: \(action.before ?? "null")")
            lines.append("      after:  \(action.after ?? "null")")
        }
        return lines
    }

    /// The stored request, indented JSON, with every secret removed by the API's one rule
    /// (``StoredSecrets``: keys and `Sign` redacted, URLs without their query strings).
    static func request(_ stored: String) -> String {
        guard let value = StoredSecrets.json(stored), let pretty = try? APIJSON.encoder(pretty: true).encode(value) else {
            return StoredSecrets.text(stored)
        }
        return String(decoding: pretty, as: UTF8.self)
    }

    static func list(_ steps: [StepSummary]) -> [String] {
        guard !steps.isEmpty else { return ["no steps"] }
        return steps.map { step in
            var text = "\(APIJSON.id(step.id))  \(step.state.rawValue.padding(toLength: 16, withPad: " ", startingAt: 0))"
            text += "  job \(APIJSON.id(step.jobId))  \(step.name)" + (step.item.map { " [\($0)]" } ?? "") + (step.run > 1 ? " run \(step.run)" : "")
            text += "  updated \(WorkflowText.timestamp(step.updatedAt))"
            if let taskId = step.taskId { text += "  task \(taskId)" }
            if let code = step.errorCode { text += "  [\(code)\(step.errorMessage.map { ": " + $0 } ?? "")]" }
            return text
        }
    }

    /// What a resubmit may do twice, said before the confirmation.
    static func resubmitWarning(_ detail: StepDetail) -> [String] {
        let step = detail.step
        var lines = ["Warning: MPS may already hold a task for step \(APIJSON.id(step.id)) (\(step.state.rawValue))."]
        switch (step.state, step.taskId) {
        case (_, let taskId?):
            lines.append("  Its TaskId is \(taskId): that task may still run or have run; a new attempt runs its inputs again.")
        case (.submitUnknown, nil), (.lost, nil):
            lines.append("  No TaskId is known: the call may have reached MPS and created a task whose callback never came.")
            lines.append("  Look for a task with SessionContext \(step.sessionContext) in the MPS console; if there is one, use `steps resolve` instead.")
        default:
            lines.append("  No TaskId is known.")
        }
        lines.append("  The new attempt gets a new correlation id: a late callback of the old task is kept as an orphan notification.")
        if detail.jobState.isFinal { lines.append("  Its job (\(detail.jobState.rawValue)) runs again.") }
        return lines
    }
}

/// `steps show --json` (the document `GET /v1/steps/{id}` answers) and `steps list --json`.
enum StepsJSON {
    static func text(_ value: some Encodable) throws -> String {
        String(decoding: try APIJSON.encoder(pretty: true).encode(value), as: UTF8.self)
    }

    struct Summary: Encodable {
        var id: String
        var jobId: String
        var name: String
        var item: String?
        var run: Int
        var state: String
        var taskId: String?
        var submitAttempts: Int
        var errorCode: String?
        var errorMessage: String?
        var updatedAt: Date

        init(_ step: StepSummary) {
            id = APIJSON.id(step.id)
            jobId = APIJSON.id(step.jobId)
            name = step.name
            item = step.item
            run = step.run
            state = step.state.rawValue
            taskId = step.taskId
            submitAttempts = step.submitAttempts
            errorCode = step.errorCode
            errorMessage = step.errorMessage
            updatedAt = step.updatedAt
        }
    }
}
