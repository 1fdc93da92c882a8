import ArgumentParser
import Foundation
import API
import MPS
import Postgres
import Redacting
import Store
import Workflows

/// `mpshook submit`: creates a job straight in the database, checked by the same code as
/// `POST /v1/jobs`, and optionally follows it to the end.
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Creates a job (one request from a job body file, or a run of a stored workflow) and prints its id.",
        discussion: """
            --file (a path, or - for standard input) holds the POST /v1/jobs JSON: a one-step job \
            {"request": {…BatchProcessMedia…}, "inputUrls": […], "clientReference": "…", "clientContext": {…}} \
            or a workflow job {"workflow": "…", "workflowVersion": N, "inputUrls": […], "params": {…}, …}; \
            --input-url replaces the body's inputUrls and --client-reference its clientReference, \
            so one template file serves many jobs.

            Workflow job: --workflow NAME [--version N] --input-url URL… [--param name=value…] runs a stored \
            workflow (the latest version unless --version) over the inputs. A --param value is read as the \
            kind of the parameter's default: a string as written (slashes and commas included), a number, \
            true or false, and a list as JSON (languages='["ja","ko"]') or comma-separated (languages=ja,ko).

            A job with problems is not stored: each problem is printed as "field: message" on standard error. \
            The job id is printed alone on the first line of standard output. With --wait, one line follows \
            each time the job changes, then every output (input URL, status, subtitle path or error).

            Exit status: 0 created (with --wait: succeeded); 1 bad job or any error; 2 --wait timed out; \
            3 the job finished but did not succeed (partially_failed, failed, cancelled).
            """
    )

    @Option(name: .long, help: ArgumentHelp("The job body (the POST /v1/jobs JSON): a file path, or - for standard input.", valueName: "path"))
    var file: String?

    @Option(name: .long, help: ArgumentHelp("Run this stored workflow instead of a body file.", valueName: "name"))
    var workflow: String?

    @Option(name: .customLong("version"), help: ArgumentHelp("With --workflow: the workflow version (default: the latest).", valueName: "n"))
    var workflowVersion: Int?

    @Option(
        name: [.customLong("input-url"), .customLong("input")],
        help: ArgumentHelp("An input URL (repeat for several); replaces a body file's inputUrls.", valueName: "url")
    )
    var inputURLs: [String] = []

    @Option(name: .customLong("param"), help: ArgumentHelp("With --workflow: a parameter value (repeat for several).", valueName: "name=value"))
    var params: [String] = []

    @Option(name: .long, help: ArgumentHelp("The job's client reference; replaces the body's.", valueName: "reference"))
    var clientReference: String?

    @Option(
        name: .customLong("callback-url"),
        help: ArgumentHelp("Where the signed \"job finished\" webhook goes (http or https); replaces the body's callbackUrl.", valueName: "url")
    )
    var callbackURL: String?

    @Flag(name: .long, help: "Follow the job until it is no longer running, then print its outputs.")
    var wait = false

    @Option(name: .long, help: ArgumentHelp("Seconds --wait waits at most.", valueName: "seconds"))
    var timeout: Double = 900

    func validate() throws {
        guard timeout > 0, timeout <= 86_400 else { throw ValidationError("--timeout must be between 0 and 86400 seconds") }
        guard (file == nil) != (workflow == nil) else { throw ValidationError("give --file (a job body) or --workflow (not both)") }
        if workflow == nil, workflowVersion != nil || !params.isEmpty {
            throw ValidationError("--version and --param go with --workflow")
        }
        if workflow != nil, inputURLs.isEmpty { throw ValidationError("--workflow needs at least one --input-url") }
        _ = try parsedParams()
    }

    /// `--param` as name → text, each name once.
    func parsedParams() throws -> [(name: String, text: String)] {
        var seen: Set<String> = []
        return try params.map { param in
            guard let equals = param.firstIndex(of: "="), equals != param.startIndex else {
                throw ValidationError("--param \"\(param)\": expected name=value")
            }
            let name = String(param[..<equals])
            guard seen.insert(name).inserted else { throw ValidationError("--param \(name) is given twice") }
            return (name, String(param[param.index(after: equals)...]))
        }
    }

    func run() async throws {
        let fileBody = try file.map(checkedBody)
        let configuration = try await CommandSupport.loadConfiguration()
        let logger = CommandSupport.bootstrapLogging(configuration)
        let client = PostgresClient(configuration: configuration.database, logger: logger)
        let outcome: JobWatch.Outcome
        do {
            let creator = JobCreator(client: client, callbacks: configuration.callbackPolicy)
            let body = if let fileBody { fileBody } else { try await workflowBody(creator: creator) }
            let (_, creation) = try await Self.create(body, creator: creator)
            Output.line(APIJSON.id(creation.jobId))
            if case .existing = creation, let reference = body.clientReference {
                FileHandle.standardError.write(Data("mpshook: a job with client reference \"\(reference)\" exists: nothing new was created\n".utf8))
            }
            outcome = wait
                ? try await JobWatch(reader: JobReader(client: client)).follow(creation.jobId, timeout: .milliseconds(Int64(timeout * 1000)))
                : .notFollowed
        } catch {
            await client.shutdown()
            throw CommandSupport.failure(error, configuration: configuration)
        }
        await client.shutdown()
        switch outcome {
        case .notFollowed, .finished(succeeded: true): return
        case .finished(succeeded: false): throw ExitCode(3)
        case .timedOut: throw ExitCode(2)
        }
    }

    static func create(_ body: JobBody, creator: JobCreator) async throws -> (NewJob, JobCreation) {
        do {
            return try await creator.create(body)
        } catch {
            switch error {
            case .invalid(let problems): throw Self.refusal(problems)
            case .database(let cause): throw cause
            }
        }
    }

    /// The workflow job the flags describe, its parameters read as the kinds the workflow declares,
    /// checked as `POST /v1/jobs` checks the same body.
    func workflowBody(creator: JobCreator) async throws -> JobBody {
        guard let workflow else { throw CommandFailure("--workflow is required") }
        let definition: WorkflowDefinition
        let version: Int
        do {
            let (stored, found) = try await creator.workflow(name: workflow, version: workflowVersion)
            (definition, version) = (found, stored.version)
        } catch {
            switch error {
            case .invalid(let problems): throw Self.refusal(problems)
            case .database(let cause): throw cause
            }
        }
        var params: [String: JSONValue] = [:]
        for (name, text) in try parsedParams() {
            params[name] = WorkflowJobRequest.parameterValue(text, default: definition.params[name])
        }
        var body: [String: JSONValue] = [
            "workflow": .string(workflow),
            // The version read above, so the parameters are read as the kinds of the version that runs.
            "workflowVersion": .number(Double(version)),
            "inputUrls": .array(inputURLs.map(JSONValue.string)),
            "params": .object(params),
        ]
        if let clientReference { body["clientReference"] = .string(clientReference) }
        if let callbackURL { body["callbackUrl"] = .string(callbackURL) }
        switch JobBody.parse(.object(body)) {
        case .success(let parsed): return parsed
        case .failure(let problems): throw Self.refusal(problems)
        }
    }

    /// Every problem, one per line, and a failing exit.
    static func refusal(_ problems: ValidationProblems) -> any Error {
        let lines = problems.map { "  \($0.field.isEmpty ? "(body)" : $0.field): \($0.message)" }
        return CommandSupport.fail(
            "the job is not valid (\(problems.count) problem\(problems.count == 1 ? "" : "s")); nothing was stored:\n"
                + lines.joined(separator: "\n")
        )
    }

    /// The body file with the flags applied, checked; prints every problem and fails otherwise.
    func checkedBody(_ file: String) throws -> JobBody {
        let bytes: Data
        do {
            bytes = file == "-"
                ? FileHandle.standardInput.readDataToEndOfFile()
                : try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw CommandSupport.fail("cannot read \(file): \(error.localizedDescription)")
        }
        let result: Result<JobBody, ValidationProblems>
        if case .object(var body)? = try? MPSJSON.decoder.decode(JSONValue.self, from: bytes) {
            if !inputURLs.isEmpty { body["inputUrls"] = .array(inputURLs.map(JSONValue.string)) }
            if let clientReference { body["clientReference"] = .string(clientReference) }
            if let callbackURL { body["callbackUrl"] = .string(callbackURL) }
            result = JobBody.parse(.object(body))
        } else {
            result = JobBody.parse(bytes)
        }
        switch result {
        case .success(let request): return request
        case .failure(let problems): throw Self.refusal(problems)
        }
    }
}

/// `mpshook jobs …`: stored jobs.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "Work with stored jobs.",
        subcommands: [Show.self]
    )

    /// `mpshook jobs show ID`.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Prints a job: its steps as a tree (each under the step it came from) with their states, then each input's results per language.",
            discussion: "With --json, the document GET /v1/jobs/{id} answers instead."
        )

        @Argument(help: "The job id (a UUID).")
        var id: String

        @Flag(name: .long, help: "Print the job as JSON (what GET /v1/jobs/{id} answers).")
        var json = false

        func run() async throws {
            guard let jobId = UUID(uuidString: id) else { throw ValidationError("\"\(id)\" is not a job id (a UUID)") }
            let configuration = try await CommandSupport.loadConfiguration()
            let logger = CommandSupport.bootstrapLogging(configuration)
            let client = PostgresClient(configuration: configuration.database, logger: logger)
            let view: JobView?
            do {
                view = try await JobReader(client: client).job(jobId)
            } catch {
                await client.shutdown()
                throw CommandSupport.failure(error, configuration: configuration)
            }
            await client.shutdown()
            guard let view else { throw CommandSupport.fail("no job \(APIJSON.id(jobId))") }
            if json {
                let data = try APIJSON.encoder(pretty: true).encode(JobDocument(view))
                Output.line(String(decoding: data, as: UTF8.self))
            } else {
                for line in JobTreeText.lines(view) { Output.line(line) }
            }
        }
    }
}

/// Follows a job for `mpshook submit --wait`: a line per change, then the outputs.
struct JobWatch {
    enum Outcome: Equatable {
        case notFollowed
        case finished(succeeded: Bool)
        case timedOut
    }

    let reader: JobReader
    var interval: Duration = .milliseconds(250)
    var write: (String) -> Void = Output.line

    func follow(_ id: UUID, timeout: Duration) async throws -> Outcome {
        let clock = ContinuousClock()
        let started = clock.now
        var last = ""
        while true {
            let elapsed = clock.now - started
            guard let view = try await reader.job(id) else { throw CommandFailure("job \(APIJSON.id(id)) disappeared") }
            let line = JobProgressText.summary(view)
            if line != last {
                write("[\(JobProgressText.seconds(elapsed))] " + line)
                last = line
            }
            if Self.isFinished(view) {
                for text in JobProgressText.outputs(view) { write(text) }
                return .finished(succeeded: view.state == .succeeded)
            }
            if elapsed >= timeout {
                let seconds = JobProgressText.seconds(elapsed).trimmingCharacters(in: .whitespaces)
                write("still running after \(seconds); giving up waiting (the job goes on)")
                return .timedOut
            }
            try await Task.sleep(for: interval)
        }
    }
}

extension JobWatch {
    /// The job left `running`, or every step is final. The spine finishes a job with its last
    /// step (the applier and the dispatcher both do, in the same transaction); the second test
    /// keeps a watch from waiting forever on a job some other writer left behind.
    static func isFinished(_ view: JobView) -> Bool {
        view.state.isFinal || (!view.steps.isEmpty && view.steps.allSatisfy(\.state.isTerminal))
    }
}

/// The human-readable lines `submit --wait` prints. Input URLs are shown without their query
/// string (signed URLs carry credentials there).
enum JobProgressText {
    /// One line: the job's state, each step's state (and task id), its outputs counted by status.
    static func summary(_ view: JobView) -> String {
        var parts = ["job \(view.state.rawValue)"]
        for step in view.steps {
            var text = "step \(JobTreeText.label(step)) \(step.state.rawValue)"
            if let taskId = step.taskId { text += " (task \(taskId))" }
            if let code = step.errorCode { text += " [\(code)\(step.errorMessage.map { ": " + $0 } ?? "")]" }
            parts.append(text)
            parts.append(counts(step.outputs))
        }
        return parts.joined(separator: " · ")
    }

    /// `2 SUCCESS, 1 PROCESSING 40%`: counts in status order; the mean progress of those processing.
    static func counts(_ outputs: [OutputView]) -> String {
        var parts: [String] = []
        for status in [OutputState.success, .fail, .processing, .waiting] {
            let matching = outputs.filter { $0.status == status }
            guard !matching.isEmpty else { continue }
            var text = "\(matching.count) \(status.rawValue)"
            if status == .processing {
                text += " \(matching.map(\.progress).reduce(0, +) / matching.count)%"
            }
            parts.append(text)
        }
        return parts.isEmpty ? "no outputs" : parts.joined(separator: ", ")
    }

    /// The outputs, one block each (a workflow job's: per input, every step's results).
    static func outputs(_ view: JobView) -> [String] {
        if view.workflow != nil { return ["outputs:"] + JobTreeText.inputs(view) }
        var lines = ["outputs:"]
        for step in view.steps {
            for output in step.outputs {
                let status = output.status.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                lines.append("  #\(output.inputIndex) \(status) \(Redaction.url(output.inputURL))")
                if let path = output.subtitlePath {
                    lines.append("       subtitle: \(path)")
                } else if output.status == .fail || output.errorCode != nil {
                    let reason = [output.errorCode, output.errorMessage].compactMap(\.self).joined(separator: ": ")
                    lines.append("       error: \(reason.isEmpty ? "(no reason given)" : reason)")
                }
            }
        }
        return lines
    }

    /// `  3.4s`, right-aligned to a few places.
    static func seconds(_ duration: Duration) -> String {
        let tenths = Int(duration.components.seconds) * 10 + Int(duration.components.attoseconds / 100_000_000_000_000_000)
        let text = "\(tenths / 10).\(tenths % 10)s"
        return String(repeating: " ", count: max(0, 6 - text.count)) + text
    }
}

/// What `mpshook jobs show` prints: the job, its steps as a tree by lineage (a step under the
/// step whose completion created it; a step with several parents, a fan-in, is listed under the
/// one created last and names the others), then per input every step's result with each
/// subtitle file per language.
/// Input URLs are shown without their query string.
enum JobTreeText {
    static func lines(_ view: JobView) -> [String] {
        var lines = ["job \(APIJSON.id(view.id))  \(view.state.rawValue)"]
        if let workflow = view.workflow {
            lines.append("  workflow: \(workflow.name) version \(workflow.version)")
        } else {
            lines.append("  workflow: none (one request)")
        }
        if !view.params.isEmpty {
            let params = view.params.keys.sorted().map { name in
                "\(name)=" + (view.params[name].flatMap { StepRequest.encode($0.stored) } ?? "")
            }
            lines.append("  params: " + params.joined(separator: " "))
        }
        if let reference = view.clientReference { lines.append("  client reference: \(reference)") }
        var times = "  created: " + WorkflowText.timestamp(view.createdAt)
        if let finished = view.finishedAt { times += "  finished: " + WorkflowText.timestamp(finished) }
        lines.append(times)
        lines.append("steps:")
        lines += steps(view)
        lines.append("inputs:")
        lines += inputs(view)
        return lines
    }

    /// `translate [ja] run 2`: the step's name, its fan-out value, and its run when a retry.
    static func label(_ step: StepView) -> String {
        step.name + (step.item.map { " [\($0)]" } ?? "") + (step.run > 1 ? " run \(step.run)" : "")
    }

    /// One line per step, each indented under the step it came from.
    static func steps(_ view: JobView) -> [String] {
        let position = Dictionary(view.steps.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        let byId = Dictionary(view.steps.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var children: [UUID: [StepView]] = [:]
        var roots: [StepView] = []
        var shownUnder: [UUID: UUID] = [:]
        for step in view.steps {
            // Under the parent created last: the deepest place, after everything it waited for.
            if let parent = step.parents.filter({ position[$0] != nil }).max(by: { position[$0, default: 0] < position[$1, default: 0] }) {
                children[parent, default: []].append(step)
                shownUnder[step.id] = parent
            } else {
                roots.append(step)
            }
        }
        var ordered: [(step: StepView, depth: Int)] = []
        var seen: Set<UUID> = []
        func visit(_ step: StepView, depth: Int) {
            guard seen.insert(step.id).inserted else { return }
            ordered.append((step, depth))
            for child in children[step.id] ?? [] { visit(child, depth: depth + 1) }
        }
        for root in roots { visit(root, depth: 0) }
        // Parents that form no path from a root (not expected) still show, at the top.
        for step in view.steps where !seen.contains(step.id) { visit(step, depth: 0) }

        let width = ordered.map { 2 * $0.depth + label($0.step).count }.max() ?? 0
        return ordered.map { step, depth in
            let name = String(repeating: "  ", count: depth) + label(step)
            var text = "  " + name.padding(toLength: width, withPad: " ", startingAt: 0)
            text += "  " + step.state.rawValue.padding(toLength: 16, withPad: " ", startingAt: 0)
            text += "  " + JobProgressText.counts(step.outputs)
            if let taskId = step.taskId { text += "  task \(taskId)" }
            if let code = step.errorCode { text += "  [\(code)\(step.errorMessage.map { ": " + $0 } ?? "")]" }
            let others = step.parents.filter { $0 != shownUnder[step.id] }.compactMap { byId[$0] }.map(label)
            if !others.isEmpty { text += "  (also after " + others.joined(separator: ", ") + ")" }
            return text
        }
    }

    /// Per job input: its URL, then each step's result for it, one line per subtitle file.
    static func inputs(_ view: JobView) -> [String] {
        let document = JobDocument(view)
        let width = view.steps.map { label($0).count }.max() ?? 0
        var lines: [String] = []
        for input in document.inputs {
            lines.append("  #\(input.index) \(Redaction.url(input.url))")
            for output in input.outputs {
                let name = output.step + (output.item.map { " [\($0)]" } ?? "") + (output.run > 1 ? " run \(output.run)" : "")
                let head = "     " + name.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                    + output.status.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0) + "  "
                var details = output.files.map(file)
                if details.isEmpty {
                    switch output.status {
                    case .fail:
                        let reason = [output.errorCode, output.errorMessage].compactMap(\.self).joined(separator: ": ")
                        details = [reason.isEmpty ? "(no reason given)" : reason]
                    case .processing: details = ["\(output.progress)%"]
                    case .success: details = [output.subtitlePath ?? "(no subtitle reported)"]
                    case .waiting: details = [""]
                    }
                }
                lines.append(head + details[0])
                let indent = String(repeating: " ", count: head.count)
                lines += details.dropFirst().map { indent + $0 }
            }
        }
        return lines.map { $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }
    }

    /// `translation ja (from en)  /subtitles/…/ja.vtt`, with MPS's status when it is not a success.
    static func file(_ file: JobDocument.File) -> String {
        var text = file.kind + " " + (file.language ?? "?")
        if let source = file.sourceLanguage { text += " (from \(source))" }
        text += "  " + (file.path ?? file.url ?? "(no path)")
        if let status = file.status, status != "Success" { text += "  [\(status)]" }
        return text
    }
}

/// Standard output, written at once (not buffered): `submit --wait` is read line by line by scripts.
enum Output {
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}
