import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `deploy/check.sh`, run as the README's test command runs it: the repository's deployment
/// files pass (the Dockerfile's runtime packages against `ldd` of the built binary, compose.yaml
/// against the compose-spec schema with env keys the binary knows, the systemd unit through
/// systemd-analyze), and each check refuses the mistake it exists for. The check installs its
/// tools (Debian packages, PyPI) and fails when it cannot, so these tests fail rather than skip.
/// Serialized: the first run makes the check's virtualenv, which two runs at once would race on.
@Suite(.serialized)
struct DeployCheckTests {
    struct Run {
        var status: Int32
        var output: String
    }

    static let root = TestDatabase.repositoryRoot

    /// Runs deploy/check.sh with `arguments`; the first run may install packages (minutes).
    static func check(_ arguments: [String]) async throws -> Run {
        let script = root.appendingPathComponent("deploy/check.sh").path
        let child = try ChildProcess([script, "--binary", MPSHook.binary] + arguments, environment: ProcessInfo.processInfo.environment)
        defer { child.removeFiles() }
        guard let status = try await child.waitForExit(within: .seconds(600)) else {
            child.signal(SIGKILL)
            throw ChildProcess.Failure(description: "deploy/check.sh did not finish within 600 s")
        }
        return Run(status: status, output: child.standardOutput + child.standardError)
    }

    /// A scratch folder holding one file named `name` with `text`.
    static func scratchFile(_ name: String, _ text: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("deploy-check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent(name)
        try Data(text.utf8).write(to: file)
        return file
    }

    static func repositoryText(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    @Test func repositoryDeploymentFilesPass() async throws {
        let run = try await Self.check([])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("libpq.so.5 -> libpq5 (listed)"))
        #expect(run.output.contains("valid against the compose-spec schema"))
        #expect(run.output.contains("ok   systemd-analyze verify mpshook.service"))
        #expect(run.output.contains("deploy check: passed"))
    }

    @Test func aRuntimeStageWithoutLibpqIsRefused() async throws {
        let dockerfile = try Self.repositoryText("deploy/Dockerfile")
        let withoutLibpq = dockerfile.replacingOccurrences(of: "libpq5 libcurl4", with: "libcurl4")
        try #require(withoutLibpq != dockerfile)
        let file = try Self.scratchFile("Dockerfile", withoutLibpq)
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }

        let run = try await Self.check(["--only", "ldd", "--dockerfile", file.path])
        #expect(run.status == 1)
        #expect(run.output.contains("FAIL libpq.so.5: loaded directly by mpshook, but its package libpq5 is neither listed nor in the base image"), "\(run.output)")
        #expect(run.output.contains("libcurl.so.4 -> libcurl4 (listed)"))
    }

    @Test func aRuntimePackageMissingFromDebianIsRefused() async throws {
        let dockerfile = try Self.repositoryText("deploy/Dockerfile")
        let file = try Self.scratchFile("Dockerfile", dockerfile.replacingOccurrences(of: "libssl3 ", with: "libssl3 libssl1.1 "))
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }

        let run = try await Self.check(["--only", "ldd", "--dockerfile", file.path])
        #expect(run.status == 1)
        #expect(run.output.contains("runtime package libssl1.1 does not exist in Debian 12"), "\(run.output)")
    }

    @Test func anEnvKeyTheBinaryDoesNotKnowIsRefused() async throws {
        let file = try Self.scratchFile("compose.yaml", """
            services:
              mpshook:
                image: mpshook:local
                environment:
                  MPSHOOK_HTTP_PORT: "8080"
                  MPSHOOK_HTTP_PROT: "8080"
            """)
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }

        let run = try await Self.check(["--only", "compose", "--compose", file.path])
        #expect(run.status == 1)
        #expect(run.output.contains("service mpshook: environment MPSHOOK_HTTP_PROT is not a key mpshook knows"), "\(run.output)")
        #expect(!run.output.contains("environment MPSHOOK_HTTP_PORT is not"))
        #expect(run.output.contains("valid against the compose-spec schema"))
    }

    @Test func aComposeValueMpshookRefusesIsRefused() async throws {
        let file = try Self.scratchFile("compose.yaml", """
            services:
              mpshook:
                image: mpshook:local
                environment:
                  MPSHOOK_HTTP_PORT: "99999"
            """)
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }

        let run = try await Self.check(["--only", "compose", "--compose", file.path])
        #expect(run.status == 1)
        #expect(run.output.contains("service mpshook: mpshook config check --strict refuses its environment"), "\(run.output)")
        #expect(run.output.contains("MPSHOOK_HTTP_PORT: expected an integer between 0 and 65535"))
    }

    @Test func aComposeFileOutsideTheSchemaIsRefused() async throws {
        let file = try Self.scratchFile("compose.yaml", """
            services:
              mpshook:
                image: mpshook:local
                restart_policy: always
            """)
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }

        let run = try await Self.check(["--only", "compose", "--compose", file.path])
        #expect(run.status == 1)
        #expect(run.output.contains("schema: at services/mpshook: 'restart_policy' does not match any of the regexes"), "\(run.output)")
    }

    @Test func aUnitSystemdCannotParseIsRefused() async throws {
        let unit = try Self.repositoryText("deploy/systemd/mpshook.service")
        let misspelt = try Self.scratchFile("mpshook.service", unit.replacingOccurrences(of: "ProtectSystem=strict", with: "ProtectSystem=strictest"))
        defer { try? FileManager.default.removeItem(at: misspelt.deletingLastPathComponent()) }
        let misspeltRun = try await Self.check(["--only", "systemd", "--unit", misspelt.path])
        #expect(misspeltRun.status == 1)
        #expect(misspeltRun.output.contains("Failed to parse protect system value"), "\(misspeltRun.output)")
    }

    @Test func aWeaklyHardenedUnitOrAShortStopTimeoutIsRefused() async throws {
        let unit = try Self.repositoryText("deploy/systemd/mpshook.service")
        // Without the user, sandbox and system-call lines: a root service with the host's view.
        let weak = unit.split(separator: "\n", omittingEmptySubsequences: false).filter { line in
            !["DynamicUser", "User=", "Group=", "Protect", "Private", "Restrict", "SystemCall", "Capability", "NoNewPrivileges", "MemoryDeny", "LockPersonality"]
                .contains { line.hasPrefix($0) }
        }.joined(separator: "\n")
        let weakFile = try Self.scratchFile("mpshook.service", weak.replacingOccurrences(of: "TimeoutStopSec=45", with: "TimeoutStopSec=20"))
        defer { try? FileManager.default.removeItem(at: weakFile.deletingLastPathComponent()) }
        let weakRun = try await Self.check(["--only", "systemd", "--unit", weakFile.path])
        #expect(weakRun.status == 1)
        #expect(weakRun.output.contains("is above 2.0"), "\(weakRun.output)")
        #expect(weakRun.output.contains("TimeoutStopSec must be set in seconds and above MPSHOOK_SHUTDOWN_TIMEOUT"))
        #expect(weakRun.output.contains("ok   systemd-analyze verify mpshook.service"))
    }
}
