import ArgumentParser
import Foundation
import Logging
import Postgres
import Store
import Workflows

/// `mpshook workflows …`: workflow definitions, on disk and stored.
struct WorkflowsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workflows",
        abstract: "Check, store and read workflow definitions.",
        discussion: """
            A workflow is a YAML or JSON file (name, version, params, steps). `serve` stores the folder \
            MPSHOOK_WORKFLOWS_DIR (default ./workflows when it exists) when it starts and refuses to start \
            when any file has a problem. A stored version never changes: a file with new content becomes \
            the next version (or the version it names), and jobs keep the version they started with.
            """,
        subcommands: [Validate.self, Load.self, List.self, Show.self]
    )

    /// `mpshook workflows validate FILE…`: no database.
    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Checks workflow files without a database: every problem (file, step, field), or each workflow's name, steps and hash.",
            discussion: "Exit status: 0 every file is valid; 1 any file has a problem (each printed on standard error)."
        )

        @Argument(help: ArgumentHelp("Workflow files (.yaml, .yml, .json).", valueName: "file"))
        var files: [String]

        func validate() throws {
            guard !files.isEmpty else { throw ValidationError("give at least one workflow file") }
        }

        func run() async throws {
            var problems: [DefinitionProblem] = []
            for path in files {
                switch WorkflowFolder.read(path) {
                case .success(let file):
                    for line in WorkflowText.summary(file.definition, file: path) { Output.line(line) }
                case .failure(let found):
                    problems += found.problems
                }
            }
            guard problems.isEmpty else {
                let failure = WorkflowFolderProblems(problems)
                throw CommandSupport.fail("not valid (\(failure.count)):\n" + failure.lines)
            }
        }
    }

    /// `mpshook workflows load [DIR]`.
    struct Load: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stores the workflows of a folder (default: MPSHOOK_WORKFLOWS_DIR, else ./workflows), as `serve` does when it starts.",
            discussion: "Nothing is stored when any file has a problem. Prints each workflow as stored (a new version) or unchanged."
        )

        @Argument(help: ArgumentHelp("The folder of workflow files.", valueName: "dir"))
        var directory: String?

        func run() async throws {
            let configuration = try await CommandSupport.loadConfiguration()
            let folder: String
            do {
                guard let found = try directory ?? configuration.resolvedWorkflowsDirectory() else {
                    throw CommandFailure("no workflows folder: give one, or set MPSHOOK_WORKFLOWS_DIR, or run where ./workflows is")
                }
                folder = found
            } catch let error as ConfigurationError {
                throw CommandSupport.fail("invalid configuration: \(error)")
            }
            let logger = CommandSupport.bootstrapLogging(configuration)
            let client = PostgresClient(configuration: configuration.database, logger: logger)
            do {
                var quiet = logger
                quiet.logLevel = .warning  // each workflow is printed below
                let saved = try await WorkflowFolder(directory: folder).load(into: WorkflowStore(client: client), logger: quiet)
                for (file, outcome) in saved {
                    let kind = if case .stored = outcome { "stored" } else { "unchanged" }
                    Output.line("\(kind)\t\(outcome.workflow.name)\tversion \(outcome.workflow.version)\t\(file.path)")
                }
                if saved.isEmpty { Output.line("no workflow files in \(folder)") }
            } catch {
                await client.shutdown()
                throw CommandSupport.failure(error, configuration: configuration)
            }
            await client.shutdown()
        }
    }

    /// `mpshook workflows list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lists every stored workflow version.")

        func run() async throws {
            let configuration = try await CommandSupport.loadConfiguration()
            let logger = CommandSupport.bootstrapLogging(configuration)
            let client = PostgresClient(configuration: configuration.database, logger: logger)
            let stored: [StoredWorkflow]
            do {
                stored = try await WorkflowStore(client: client).list()
            } catch {
                await client.shutdown()
                throw CommandSupport.failure(error, configuration: configuration)
            }
            await client.shutdown()
            for line in WorkflowText.table(stored) { Output.line(line) }
        }
    }

    /// `mpshook workflows show NAME [--version N]`.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Prints a stored workflow version (the latest unless --version): version, hash, created, then its source as written."
        )

        @Argument(help: "The workflow's name.")
        var name: String

        @Option(name: .long, help: ArgumentHelp("The version (default: the latest).", valueName: "n"))
        var version: Int?

        func run() async throws {
            let configuration = try await CommandSupport.loadConfiguration()
            let logger = CommandSupport.bootstrapLogging(configuration)
            let client = PostgresClient(configuration: configuration.database, logger: logger)
            let found: StoredWorkflow?
            do {
                found = try await WorkflowStore(client: client).find(name: name, version: version)
            } catch {
                await client.shutdown()
                throw CommandSupport.failure(error, configuration: configuration)
            }
            await client.shutdown()
            guard let found else {
                throw CommandSupport.fail(version.map { "workflow \(name) has no version \($0)" } ?? "no workflow named \"\(name)\" is stored")
            }
            for line in WorkflowText.show(found) { Output.line(line) }
        }
    }
}

/// What the `workflows` commands print.
enum WorkflowText {
    /// A valid file: its name, version, steps (with what each waits for and fans out over) and hash.
    static func summary(_ definition: WorkflowDefinition, file: String) -> [String] {
        var lines = [
            "\(file): valid",
            "  name: \(definition.name)",
            "  version: " + (definition.version.map(String.init) ?? "(the next free one when stored)"),
            "  steps:",
        ]
        for step in definition.steps {
            var details: [String] = []
            if !step.needs.isEmpty { details.append("needs " + step.needs.joined(separator: ", ")) }
            if step.when != nil { details.append("when …") }
            if let forEach = step.forEach {
                switch forEach.values {
                case .literal(let values): details.append("for each \(forEach.variable) in " + values.joined(separator: ", "))
                case .parameter(let name): details.append("for each \(forEach.variable) in {\(name)}")
                }
            }
            if step.maxRuns > 1 { details.append("at most \(step.maxRuns) runs") }
            if step.delaySeconds > 0 { details.append("after \(step.delaySeconds)s") }
            lines.append("    " + step.name + (details.isEmpty ? "" : " (" + details.joined(separator: "; ") + ")"))
        }
        lines.append("  hash: \(definition.contentHash)")
        return lines
    }

    /// One line per stored version, under a header.
    static func table(_ stored: [StoredWorkflow]) -> [String] {
        guard !stored.isEmpty else { return ["no workflow is stored"] }
        let width = max(4, stored.map(\.name.count).max() ?? 0)
        func pad(_ text: String, _ count: Int) -> String { text.padding(toLength: max(count, text.count), withPad: " ", startingAt: 0) }
        return [pad("NAME", width) + "  VERSION  HASH          CREATED               FILE"] + stored.map { workflow in
            pad(workflow.name, width) + "  " + pad(String(workflow.version), 7) + "  " + String(workflow.contentHash.prefix(12))
                + "  " + timestamp(workflow.createdAt) + "  " + (workflow.sourceFile ?? "-")
        }
    }

    /// The header lines, a blank line, then the source as written.
    static func show(_ workflow: StoredWorkflow) -> [String] {
        var lines = [
            "name: \(workflow.name)",
            "version: \(workflow.version)",
            "hash: \(workflow.contentHash)",
            "created: \(timestamp(workflow.createdAt))",
        ]
        if let file = workflow.sourceFile { lines.append("file: \(file)") }
        lines.append("")
        lines.append(workflow.source.hasSuffix("\n") ? String(workflow.source.dropLast()) : workflow.source)
        return lines
    }

    /// ISO 8601 in UTC, to the second: `2026-12-02T00:52:56Z`.
    static func timestamp(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }
}
