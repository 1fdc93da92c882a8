public import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn`, its output in files, its exit polled with
/// `waitpid(WNOHANG)`. Foundation's `Process` can miss the exit of one of several children
/// started at once on Linux (its `waitUntilExit` then hangs), so the tests use this instead.
public final class ChildProcess: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    public let pid: pid_t
    public let outputURL: URL
    public let errorURL: URL
    private let exitStatus = Mutex<Int32?>(nil)

    /// Starts `arguments[0]` (looked up in PATH when it has no slash) with `environment`.
    public init(_ arguments: [String], environment: [String: String]) throws {
        let folder = FileManager.default.temporaryDirectory
        let name = UUID().uuidString
        outputURL = folder.appendingPathComponent("child-\(name).out")
        errorURL = folder.appendingPathComponent("child-\(name).err")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputURL.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errorURL.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        let result = posix_spawnp(&child, arguments[0], &actions, nil, argv, envp)
        guard result == 0 else {
            throw Failure(description: "cannot start \(arguments[0]): \(String(cString: strerror(result)))")
        }
        pid = child
    }

    /// Runs a command to completion and returns its standard output; throws on a non-zero exit.
    @discardableResult
    public static func run(_ arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> String {
        let child = try ChildProcess(arguments, environment: environment)
        defer { child.removeFiles() }
        let status = try await child.waitForExit(within: .seconds(120))
        guard status == 0 else {
            throw Failure(description: "\(arguments.joined(separator: " ")) exited with \(status.map(String.init) ?? "no status"): \(child.standardError)")
        }
        return child.standardOutput
    }

    public var standardOutput: String { (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "" }
    public var standardError: String { (try? String(contentsOf: errorURL, encoding: .utf8)) ?? "" }

    /// The exit status once the child has exited (a signal death is 128 + signal).
    public var status: Int32? {
        exitStatus.withLock { saved in
            if let saved { return saved }
            var raw: Int32 = 0
            guard waitpid(pid, &raw, WNOHANG) == pid else { return nil }
            let code = raw & 0x7F == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
            saved = code
            return code
        }
    }

    public var isRunning: Bool { status == nil }

    /// Waits for the child to exit, up to `limit`. Returns nil if it is still running.
    public func waitForExit(within limit: Duration) async throws -> Int32? {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let status { return status }
            try await Task.sleep(for: .milliseconds(10))
        }
        return status
    }

    public func signal(_ number: Int32) {
        if isRunning { kill(pid, number) }
    }

    public func removeFiles() {
        try? FileManager.default.removeItem(at: outputURL)
        try? FileManager.default.removeItem(at: errorURL)
    }
}
