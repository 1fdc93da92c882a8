import Foundation
import Logging
import Postgres
import Store
import Workflows

/// A folder of workflow definitions (`*.yaml`, `*.yml`, `*.json`, not recursive, hidden files
/// skipped), read and checked as a whole before anything is stored: `serve` at start and
/// `mpshook workflows load` store a folder only when every file in it is valid.
struct WorkflowFolder {
    /// The file name endings read.
    static let extensions: Set<String> = ["yaml", "yml", "json"]

    /// One valid definition, with the text it was read from.
    struct File {
        var path: String
        var source: String
        var definition: WorkflowDefinition
    }

    let directory: String

    /// Every definition file of the folder, by file name.
    func paths() throws(WorkflowFolderProblems) -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw WorkflowFolderProblems(directory, "cannot read the folder: \(error.localizedDescription)")
        }
        return names
            .filter { !$0.hasPrefix(".") && Self.extensions.contains(($0 as NSString).pathExtension.lowercased()) }
            .sorted()
            .map { (directory as NSString).appendingPathComponent($0) }
    }

    /// Every definition, each parsed and validated; every problem of every file otherwise (a file
    /// that cannot be read, a bad definition, and two files for one workflow name that do not
    /// each give their own version: which one became which version would depend on file order).
    func read() throws(WorkflowFolderProblems) -> [File] {
        var files: [File] = []
        var problems: [DefinitionProblem] = []
        for path in try paths() {
            switch Self.read(path) {
            case .success(let file): files.append(file)
            case .failure(let found): problems += found.problems
            }
        }
        for (name, group) in Dictionary(grouping: files, by: \.definition.name) where group.count > 1 {
            let versions = group.compactMap(\.definition.version)
            guard versions.count < group.count || Set(versions).count < versions.count else { continue }
            let sorted = group.map(\.path).sorted()
            for path in sorted.dropFirst() {
                problems.append(DefinitionProblem(
                    file: path, field: "version",
                    message: "workflow \(name) is also defined in \(sorted[0]): give each file its own version, or keep one file per workflow"
                ))
            }
        }
        guard problems.isEmpty else { throw WorkflowFolderProblems(problems.sorted { $0.file < $1.file }) }
        return files
    }

    /// One file, parsed and validated.
    static func read(_ path: String) -> Result<File, WorkflowFolderProblems> {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            return .failure(WorkflowFolderProblems(path, "cannot read the file as UTF-8 text: \(error.localizedDescription)"))
        }
        return WorkflowDefinition.parse(text, file: path)
            .map { File(path: path, source: text, definition: $0) }
            .mapError { WorkflowFolderProblems($0.problems) }
    }

    /// Reads the folder and stores each definition that is not stored yet, logging each as
    /// stored or unchanged. Nothing is stored when any file has a problem; a version number
    /// already taken by other content is a problem too (reported after the others are stored).
    @discardableResult
    func load(into store: WorkflowStore, logger: Logger) async throws -> [(File, WorkflowStore.Saved)] {
        let files = try read()
        var saved: [(File, WorkflowStore.Saved)] = []
        var problems: [DefinitionProblem] = []
        for file in files {
            do {
                let outcome = try await store.save(file.definition, source: file.source, file: file.path)
                saved.append((file, outcome))
                let metadata: Logger.Metadata = [
                    "workflow.name": "\(outcome.workflow.name)", "workflow.version": "\(outcome.workflow.version)",
                    "workflow.file": "\(file.path)",
                ]
                switch outcome {
                case .stored: logger.info("workflow stored", metadata: metadata)
                case .unchanged: logger.info("workflow unchanged", metadata: metadata)
                }
            } catch let error as WorkflowStoreError {
                problems.append(DefinitionProblem(file: file.path, field: "version", message: error.description))
            }
        }
        guard problems.isEmpty else {
            var failure = WorkflowFolderProblems(problems)
            failure.othersStored = true
            throw failure
        }
        return saved
    }
}

/// Why a folder of workflows was not (all) stored: every problem, each naming its file, step and field.
struct WorkflowFolderProblems: Error, CustomStringConvertible {
    var problems: [DefinitionProblem]
    /// Every file was valid, and those without a problem were stored.
    var othersStored = false

    init(_ problems: [DefinitionProblem]) {
        self.problems = problems
    }

    init(_ file: String, _ message: String) {
        problems = [DefinitionProblem(file: file, field: "", message: message)]
    }

    /// `1 problem`, `3 problems`.
    var count: String {
        problems.count == 1 ? "1 problem" : "\(problems.count) problems"
    }

    /// One indented line per problem.
    var lines: String {
        problems.map { "  " + $0.description }.joined(separator: "\n")
    }

    /// What the command line prints: what happened, the count, then every problem.
    var description: String {
        let outcome = othersStored ? "the others were stored" : "none was stored"
        return "the workflow definitions are not all valid (\(count)); \(outcome):\n" + lines
    }
}
