import ArgumentParser
import Foundation
import Jobs
import MPS
import Postgres
import Redacting
import Store

/// `mpshook submit`: creates a job straight in the database, checked by the same code as
/// `POST /v1/jobs`, and optionally follows it to the end.
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Creates a job from a job body (the POST /v1/jobs JSON) and prints its id.",
        discussion: """
            The body is read from --file (a path, or - for standard input): \
            {"request": {…BatchProcessMedia…}, "inputUrls": […], "clientReference": "…", "clientContext": {…}}. \
            --input-url (repeatable) replaces the body's inputUrls and --client-reference its clientReference, \
            so one template file serves many jobs. A body with problems is not stored: each problem is printed \
            as "field: message" on standard error.

            The job id is printed alone on the first line of standard output. With --wait, one line follows \
            each time the job changes, then every output (input URL, status, subtitle path or error).

            Exit status: 0 created (with --wait: succeeded); 1 bad body or any error; 2 --wait timed out; \
            3 the job finished but did not succeed (partially_failed, failed, cancelled).
            """
    )

    @Option(name: .long, help: ArgumentHelp("The job body, as JSON: a file path, or - for standard input.", valueName: "path"))
    var file: String

    @Option(name: .customLong("input-url"), help: ArgumentHelp("An input URL (repeat for several); replaces the body's inputUrls.", valueName: "url"))
    var inputURLs: [String] = []

    @Option(name: .long, help: ArgumentHelp("The job's client reference; replaces the body's.", valueName: "reference"))
    var clientReference: String?

    @Flag(name: .long, help: "Follow the job until it is no longer running, then print its outputs.")
    var wait = false

    @Option(name: .long, help: ArgumentHelp("Seconds --wait waits at most.", valueName: "seconds"))
    var timeout: Double = 900

    func validate() throws {
        guard timeout > 0, timeout <= 86_400 else { throw ValidationError("--timeout must be between 0 and 86400 seconds") }
    }

    func run() async throws {
        let parsed = try checkedBody()
        let configuration = try CommandSupport.loadConfiguration()
        let logger = CommandSupport.bootstrapLogging(configuration)
        let client = PostgresClient(configuration: configuration.database, logger: logger)
        let outcome: JobWatch.Outcome
        do {
            let job = parsed.makeJob()
            let creation = try await JobStore(client: client).create(job)
            Output.line(JobsJSON.id(creation.jobId))
            if case .existing = creation, let reference = parsed.clientReference {
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

    /// The body with the flags applied, checked; prints every problem and fails otherwise.
    func checkedBody() throws -> JobRequest {
        let bytes: Data
        do {
            bytes = file == "-"
                ? FileHandle.standardInput.readDataToEndOfFile()
                : try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw CommandSupport.fail("cannot read \(file): \(error.localizedDescription)")
        }
        let result: Result<JobRequest, ValidationProblems>
        if case .object(var body)? = try? MPSJSON.decoder.decode(JSONValue.self, from: bytes) {
            if !inputURLs.isEmpty { body["inputUrls"] = .array(inputURLs.map(JSONValue.string)) }
            if let clientReference { body["clientReference"] = .string(clientReference) }
            result = JobRequest.parse(.object(body))
        } else {
            result = JobRequest.parse(bytes)
        }
        switch result {
        case .success(let request):
            return request
        case .failure(let problems):
            let lines = problems.map { "  \($0.field.isEmpty ? "(body)" : $0.field): \($0.message)" }
            throw CommandSupport.fail(
                "the job is not valid (\(problems.count) problem\(problems.count == 1 ? "" : "s")); nothing was stored:\n"
                    + lines.joined(separator: "\n")
            )
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
            abstract: "Prints a job, its steps and outputs as JSON (what GET /v1/jobs/{id} answers)."
        )

        @Argument(help: "The job id (a UUID).")
        var id: String

        func run() async throws {
            guard let jobId = UUID(uuidString: id) else { throw ValidationError("\"\(id)\" is not a job id (a UUID)") }
            let configuration = try CommandSupport.loadConfiguration()
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
            guard let view else { throw CommandSupport.fail("no job \(JobsJSON.id(jobId))") }
            let data = try JobsJSON.encoder(pretty: true).encode(JobDocument(view))
            Output.line(String(decoding: data, as: UTF8.self))
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
            guard let view = try await reader.job(id) else { throw CommandFailure("job \(JobsJSON.id(id)) disappeared") }
            let line = JobProgressText.summary(view)
            if line != last {
                write("[\(JobProgressText.seconds(elapsed))] " + line)
                last = line
            }
            if Self.isFinished(view) {
                for text in JobProgressText.outputs(view) { write(text) }
                return .finished(succeeded: view.state == "succeeded")
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
        view.state != "running"
            || (!view.steps.isEmpty && view.steps.allSatisfy { ["succeeded", "partially_failed", "failed"].contains($0.state) })
    }
}

/// The human-readable lines `submit --wait` prints. Input URLs are shown without their query
/// string (signed URLs carry credentials there).
enum JobProgressText {
    /// One line: the job's state, each step's state (and task id), its outputs counted by status.
    static func summary(_ view: JobView) -> String {
        var parts = ["job \(view.state)"]
        for step in view.steps {
            var text = "step \(step.name) \(step.state)"
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
        for status in ["SUCCESS", "FAIL", "PROCESSING", "WAITING"] {
            let matching = outputs.filter { $0.status == status }
            guard !matching.isEmpty else { continue }
            var text = "\(matching.count) \(status)"
            if status == "PROCESSING" {
                text += " \(matching.map(\.progress).reduce(0, +) / matching.count)%"
            }
            parts.append(text)
        }
        return parts.isEmpty ? "no outputs" : parts.joined(separator: ", ")
    }

    /// The outputs, one block each.
    static func outputs(_ view: JobView) -> [String] {
        var lines = ["outputs:"]
        for step in view.steps {
            for output in step.outputs {
                let status = output.status.padding(toLength: 10, withPad: " ", startingAt: 0)
                lines.append("  #\(output.inputIndex) \(status) \(Redaction.url(output.inputURL))")
                if let path = output.subtitlePath {
                    lines.append("       subtitle: \(path)")
                } else if output.status == "FAIL" || output.errorCode != nil {
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

/// Standard output, written at once (not buffered): `submit --wait` is read line by line by scripts.
enum Output {
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}
