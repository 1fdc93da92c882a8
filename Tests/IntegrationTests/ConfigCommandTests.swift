import Foundation
import Testing
import TestSupport

/// `mpshook config …` and the configuration every command reads, the real binary run as a child
/// process (no database is needed: nothing here connects to one that answers).
@Suite struct ConfigCommandTests {
    static let secrets = ["db-pass-4711", "tc-secret-key-4712", "notify-key-4713", "static-token-4714-aaaaaaaaaaaaaaaaaaaaaaaaaaa"]

    /// A database URL with a password, MPS keys, a notify key and static tokens, from the
    /// environment and a file. None is printed, by `config check` nor by a command that fails on
    /// the database, and none is in swift-configuration's access log (`CONFIG_ACCESS_LOG_FILE`),
    /// which holds every other value read.
    @Test func noSecretIsPrintedOrLoggedWhereverItComesFrom() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("mpshook.yaml").path
        try """
            mpshook:
              notify:
                key: \(Self.secrets[2])
              staticCallbackTokens: [\(Self.secrets[3])]
              http:
                port: 9123
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let accessLog = folder.appendingPathComponent("access.log").path
        let environment = [
            "TENCENTCLOUD_SECRET_ID": "AKIDvisible", "TENCENTCLOUD_SECRET_KEY": Self.secrets[1], "CONFIG_ACCESS_LOG_FILE": accessLog,
            "MPSHOOK_CONFIG_FILE": file,
        ]
        let database = "postgresql://app:\(Self.secrets[0])@127.0.0.1:1/hooks"

        let check = try await Self.run(["config", "check"], database: database, environment: environment)
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("MPSHOOK_DATABASE_URL=postgresql://app:***@127.0.0.1:1/hooks"))
        #expect(check.stdout.contains("MPSHOOK_NOTIFY_KEY=<redacted>"))
        #expect(check.stdout.contains("MPSHOOK_HTTP_PORT=9123") && check.stdout.contains("# file \(file)"))
        #expect(check.stdout.contains("TENCENTCLOUD_SECRET_ID=AKIDvisible"))
        #expect(check.stderr.contains("mpshook: configuration is valid"))

        // A command that reads the whole configuration, then fails on the database.
        let migrate = try await Self.run(["migrate", "--status"], database: database, environment: environment)
        #expect(migrate.status != 0)
        #expect(migrate.stderr.contains("postgresql://app:***@127.0.0.1:1/hooks"))

        let log = (try? String(contentsOfFile: accessLog, encoding: .utf8)) ?? ""
        #expect(log.contains("AKIDvisible"), "the access log is written, with the values that are not secret")
        for secret in Self.secrets {
            for output in [check.stdout, check.stderr, migrate.stdout, migrate.stderr, log] {
                #expect(!output.contains(secret), "\(secret) is shown")
            }
        }
    }

    @Test func anInvalidConfigurationExitsNonZeroNamingEveryVariable() async throws {
        let result = try await Self.run(
            ["config", "check"], database: "postgresql://127.0.0.1:1/x",
            environment: ["MPSHOOK_HTTP_PORT": "http", "LOG_LEVEL": "loud", "MPSHOOK_DATABSE_URL": "typo"]
        )
        #expect(result.status == 1)
        #expect(result.stderr.contains("mpshook: invalid configuration: MPSHOOK_HTTP_PORT: expected an integer between 0 and 65535, got \"http\""))
        #expect(result.stderr.contains("mpshook: invalid configuration: LOG_LEVEL: expected one of"))
        #expect(result.stderr.contains("mpshook: warning: unknown setting: MPSHOOK_DATABSE_URL"))
        #expect(result.stdout.contains("MPSHOOK_HTTP_PORT=http"), "the table shows what was given")

        // Any command refuses to start on it, with the same lines.
        let serve = try await Self.run(["serve"], database: "postgresql://127.0.0.1:1/x", environment: ["MPSHOOK_HTTP_PORT": "http", "LOG_LEVEL": "loud"])
        #expect(serve.status == 1)
        #expect(serve.stderr.contains("mpshook: invalid configuration: MPSHOOK_HTTP_PORT:"))
        #expect(serve.stderr.contains("mpshook: invalid configuration: LOG_LEVEL:"))
    }

    @Test func unknownVariablesAreRefusedWithStrictOnly() async throws {
        let environment = ["MPSHOOK_HTTP_PROT": "8080"]
        let lenient = try await Self.run(["config", "check"], database: "postgresql://127.0.0.1:1/x", environment: environment)
        #expect(lenient.status == 0)
        let strict = try await Self.run(["config", "check", "--strict"], database: "postgresql://127.0.0.1:1/x", environment: environment)
        #expect(strict.status == 1)
        #expect(strict.stderr.contains("mpshook: unknown setting: MPSHOOK_HTTP_PROT"))
    }

    @Test func theKeysAndTheExampleAreTheBinarysOwn() async throws {
        let keys = try await Self.run(["config", "keys"], database: "postgresql://127.0.0.1:1/x", environment: [:])
        let names = keys.stdout.split(separator: "\n").map(String.init)
        #expect(names.contains("MPSHOOK_DATABASE_URL") && names.contains("LOG_FORMAT") && names.contains("MPSHOOK_CONFIG_FILE"))
        let dotted = try await Self.run(["config", "keys", "--dotted"], database: "postgresql://127.0.0.1:1/x", environment: [:])
        #expect(dotted.stdout.split(separator: "\n").count == names.count)
        #expect(dotted.stdout.contains("mpshook.database.poolSize\n"))

        let example = try await Self.run(["config", "example"], database: "postgresql://127.0.0.1:1/x", environment: [:])
        let committed = try String(
            contentsOf: TestDatabase.repositoryRoot.appendingPathComponent("deploy/env.example"), encoding: .utf8
        )
        #expect(example.stdout == committed, "regenerate: .build/debug/mpshook config example > deploy/env.example")
        let checked = try await Self.run(
            ["config", "check", "--strict", "--config", TestDatabase.repositoryRoot.appendingPathComponent("deploy/env.example").path],
            database: "postgresql://127.0.0.1:1/x", environment: [:]
        )
        #expect(checked.status == 0, "\(checked.stderr)")
    }

    /// The binary with the tests' settings, and two of the scripts' variables that are not settings
    /// and never warned of (`MPSHOOK_TEST_*`, `MPSHOOK_KEY`).
    private static func run(_ arguments: [String], database: String, environment extra: [String: String]) async throws -> MPSHook.Result {
        var environment = MPSHook.environment(database: database).filter { name, _ in
            // Only what the tests set: a variable the runner's shell exports must not change the verdicts.
            !name.hasPrefix("MPSHOOK_") || ["MPSHOOK_DATABASE_URL", "MPSHOOK_MIGRATIONS_DIR", "MPSHOOK_DATABASE_CONNECT_TIMEOUT"].contains(name)
        }
        environment["MPSHOOK_TEST_DATABASE_URL"] = "postgresql://127.0.0.1:1/not-a-setting"
        environment["MPSHOOK_KEY"] = "mpsk_not-a-setting"
        environment.merge(extra) { _, new in new }
        let child = try ChildProcess([MPSHook.binary] + arguments, environment: environment)
        defer { child.removeFiles() }
        guard let status = try await child.waitForExit(within: .seconds(30)) else {
            child.signal(SIGKILL)
            throw ChildProcess.Failure(description: "mpshook \(arguments.joined(separator: " ")) did not exit within 30 s")
        }
        return MPSHook.Result(status: status, stdout: child.standardOutput, stderr: child.standardError)
    }

    private static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mpshook-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }
}
