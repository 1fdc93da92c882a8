import Configuration
import Correlation
import Foundation
import Logging
import Postgres
import Synchronization
import Testing
import Webhooks
import Workflows

@testable import App

/// The declarations: names, keys, defaults, and that reading and declaring agree.
@Suite struct ConfigurationDeclarationTests {
    /// The variables mpshook read before swift-configuration (the demo, tests, CI, deploy files and
    /// the README use them): none may be renamed.
    static let namesMpshookHasAlwaysRead: Set<String> = [
        "MPSHOOK_DATABASE_URL", "MPSHOOK_DATABASE_POOL_SIZE", "MPSHOOK_DATABASE_CONNECT_TIMEOUT", "MPSHOOK_DATABASE_CHECKOUT_TIMEOUT",
        "MPSHOOK_DATABASE_STATEMENT_TIMEOUT", "MPSHOOK_HTTP_HOST", "MPSHOOK_HTTP_PORT", "MPSHOOK_HTTP_IDLE_TIMEOUT",
        "MPSHOOK_HTTP_HEADER_TIMEOUT", "MPSHOOK_HTTP_BODY_TIMEOUT", "MPSHOOK_HTTP_MAX_CONNECTIONS", "MPSHOOK_API",
        "MPSHOOK_EVENTS_RETENTION", "MPSHOOK_EVENTS_MAX_STREAMS", "MPSHOOK_MIGRATIONS_DIR", "MPSHOOK_WORKFLOWS_DIR",
        "MPSHOOK_MIGRATE_ON_START", "MPSHOOK_READINESS_INTERVAL", "MPSHOOK_SHUTDOWN_TIMEOUT", "MPSHOOK_PUBLIC_BASE_URL",
        "MPSHOOK_NOTIFY_PATH", "MPSHOOK_CALLBACK_KEYS", "MPSHOOK_CALLBACK_KEY_ID", "MPSHOOK_STATIC_CALLBACK_TOKENS",
        "MPSHOOK_NOTIFY_KEY", "MPSHOOK_NOTIFY_MAX_BODY", "MPSHOOK_NOTIFY_STORE_TIMEOUT", "MPSHOOK_NOTIFY_SKEW",
        "MPSHOOK_FORWARDED_FOR_HEADER", "MPSHOOK_INTAKE_BATCH_SIZE", "MPSHOOK_INTAKE_WRITERS", "MPSHOOK_INTAKE_QUEUE_LIMIT",
        "MPSHOOK_INTAKE_QUEUE_BYTES", "MPSHOOK_INTAKE_LINGER_MS", "MPSHOOK_APPLIER_BATCH_SIZE", "MPSHOOK_APPLIER_WORKERS",
        "MPSHOOK_DISPATCH_CONCURRENCY", "MPSHOOK_MPS_CALLS_PER_SECOND", "MPSHOOK_MPS_TIMEOUT", "MPSHOOK_CLAIM_LEASE",
        "MPSHOOK_RECOVERY_INTERVAL", "MPSHOOK_APPLIER", "MPSHOOK_BENCH_BASELINES", "MPSHOOK_MPS_ENDPOINT", "TENCENTCLOUD_SECRET_ID",
        "TENCENTCLOUD_SECRET_KEY", "TENCENTCLOUD_SESSION_TOKEN", "MPSHOOK_WEBHOOK_KEYS", "MPSHOOK_WEBHOOK_DEFAULT_URL",
        "MPSHOOK_WEBHOOK_ALLOW", "MPSHOOK_WEBHOOK_CONCURRENCY", "MPSHOOK_WEBHOOK_TIMEOUT", "MPSHOOK_WEBHOOK_MAX_ATTEMPTS",
        "MPSHOOK_WEBHOOK_RETRY_BASE", "MPSHOOK_WEBHOOK_RETRY_MAX", "MPSHOOK_RECONCILER", "MPSHOOK_RECONCILE_INTERVAL",
        "MPSHOOK_RECONCILE_BASE_DEADLINE", "MPSHOOK_RECONCILE_PER_INPUT", "MPSHOOK_RECONCILE_PROCESSING_STALE",
        "MPSHOOK_RECONCILE_MAX_POLL_INTERVAL", "MPSHOOK_RECONCILE_CALLS_PER_SECOND", "MPSHOOK_RECONCILE_LEADER_CHECK_INTERVAL",
        "MPSHOOK_RECONCILE_SUBMIT_UNKNOWN_DEADLINE", "LOG_LEVEL", "LOG_FORMAT",
    ]

    /// New settings may be added; none of these may be renamed or dropped.
    @Test func everyVariableMpshookReadBeforeIsStillDeclaredUnderItsName() {
        let declared = AppConfiguration.settings.map(\.environmentName)
        #expect(Set(declared).isSuperset(of: Self.namesMpshookHasAlwaysRead))
        #expect(Set(declared).count == declared.count, "no variable declared twice")
    }

    @Test func eachVariableIsTheOneSwiftConfigurationReadsForItsKey() {
        for setting in AppConfiguration.settings {
            let reader = ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: [setting.environmentName: "x"]))
            #expect(reader.string(forKey: ConfigKey(setting.key)) == "x", "\(setting.key) is read from \(setting.environmentName)")
        }
    }

    @Test func noKeyIsAlsoTheParentOfAnotherSoAFileCanNestThemAll() {
        let keys = AppConfiguration.settings.map(\.key)
        for key in keys {
            #expect(!keys.contains { $0.hasPrefix(key + ".") }, "\(key) is a value and a section")
        }
    }

    @Test func everyDefaultFollowsItsOwnRule() {
        for setting in AppConfiguration.settings {
            if let text = setting.defaultText {
                #expect(setting.check(text) == nil, "\(setting.environmentName)'s default \(text)")
            }
        }
    }

    /// The declarations and the reads are held to each other: a setting read but not declared
    /// would be missing from `--help`, `config check` and env.example; one declared but never read
    /// would be documented and ignored.
    @Test func theConfigurationReadsEveryDeclaredKeyAndNoOther() throws {
        let reporter = KeysRead()
        _ = try AppConfiguration(reader: ConfigReader(provider: InMemoryProvider(values: [:]), accessReporter: reporter))
        let declared = Set(AppConfiguration.settings.map(\.key))
        #expect(reporter.keys.subtracting(declared) == [], "read but not declared")
        #expect(declared.subtracting(reporter.keys) == [], "declared but never read")
    }

    @Test func helpAndTheCheckListEverySettingInTheSameOrder() async {
        let check = await ConfigurationCheck(environment: [:])
        #expect(check.entries.map(\.setting.environmentName) == AppConfiguration.settings.map(\.environmentName))
        #expect(check.problems.isEmpty)
        for setting in AppConfiguration.settings {
            #expect(AppConfiguration.environmentHelp.contains("  \(setting.environmentName) (default: \(setting.defaultDescription))"))
        }
    }
}

/// The environment, the file, their precedence, and what `config check` shows of them.
@Suite struct ConfigurationSourcesTests {
    @Test func aYAMLFileSetsWhatTheEnvironmentLeavesAndTheEnvironmentWins() async throws {
        try await withFile("config.yaml", """
            mpshook:
              http:
                host: 0.0.0.0
                port: 9000
              database:
                poolSize: 3
                checkoutTimeout: 0.25
              migrateOnStart: on
            log:
              level: DEBUG
            """) { path in
            let sources = try await ConfigurationSources.load(
                environment: ["MPSHOOK_HTTP_PORT": "9100", "MPSHOOK_DATABASE_POOL_SIZE": "  ", "MPSHOOK_CONFIG_FILE": path]
            )
            let configuration = try AppConfiguration(reader: sources.reader)
            #expect(configuration.httpPort == 9100, "the environment wins")
            #expect(configuration.httpHost == "0.0.0.0", "the file fills in")
            #expect(configuration.database.maximumConnections == 3, "a blank variable is unset: the file's value applies")
            #expect(configuration.database.checkoutTimeout == .milliseconds(250))
            #expect(configuration.migrateOnStart)
            #expect(configuration.logLevel == .debug)
            #expect(configuration.shutdownTimeout == .seconds(30), "the default")

            let check = ConfigurationCheck(sources: sources)
            let origins = Dictionary(uniqueKeysWithValues: check.entries.map { ($0.setting.environmentName, $0.origin) })
            #expect(origins["MPSHOOK_HTTP_PORT"] == .environment)
            #expect(origins["MPSHOOK_HTTP_HOST"] == .file(path))
            #expect(origins["MPSHOOK_DATABASE_POOL_SIZE"] == .file(path))
            #expect(origins["MPSHOOK_SHUTDOWN_TIMEOUT"] == .default)
            #expect(check.table.contains("MPSHOOK_HTTP_HOST=0.0.0.0"))
            #expect(check.table.contains("# file \(path)\n"))
        }
    }

    @Test func aJSONFileIsReadLikeTheYAMLItAlsoIs() async throws {
        try await withFile("config.json", #"{"mpshook": {"http": {"port": 9001}, "api": "off", "webhook": {"retryBase": 0.5}}}"#) { path in
            let configuration = try AppConfiguration(reader: try await ConfigurationSources.load(environment: [:], file: path).reader)
            #expect(configuration.httpPort == 9001)
            #expect(!configuration.servesAPI)
            #expect(configuration.webhooks.schedule.base == .milliseconds(500))
        }
    }

    @Test func anyOtherFileIsAnEnvironmentFileOfTheVariablesThemselves() async throws {
        try await withFile("env.example", "# a comment\nMPSHOOK_HTTP_PORT=9002\nexport LOG_FORMAT=text\nMPSHOOK_TYPO=1\n") { path in
            let sources = try await ConfigurationSources.load(environment: ["MPSHOOK_CONFIG_FILE": path])
            let configuration = try AppConfiguration(reader: sources.reader)
            #expect(configuration.httpPort == 9002)
            #expect(configuration.logFormat == .json, "swift-configuration's parser takes no export (nor quotes)")
            #expect(sources.unknownNames == ["MPSHOOK_TYPO (in \(path))", "export LOG_FORMAT (in \(path))"], "so it is pointed out")
        }
    }

    @Test func aListInTheFileIsTheCommaSeparatedValue() async throws {
        let first = String(repeating: "A", count: 43), second = String(repeating: "Q", count: 43)
        try await withFile("keys.yaml", """
            mpshook:
              publicBaseUrl: https://hooks.example.com
              callback:
                keys: ["k1:\(first)", "k2:\(second)"]
                keyId: k2
            """) { path in
            let configuration = try AppConfiguration(reader: try await ConfigurationSources.load(environment: [:], file: path).reader)
            #expect(configuration.callbacks?.tokens.currentKeyId.description == "k2")
        }
    }

    @Test func aBadValueInTheFileIsNamedByItsVariable() async throws {
        try await withFile("bad.yaml", "mpshook:\n  http:\n    port: seventy\n  intake:\n    batchSize: [1, 2]\n") { path in
            let check = await ConfigurationCheck(environment: [:], file: path)
            #expect(check.problems.map(\.key) == ["MPSHOOK_HTTP_PORT", "MPSHOOK_INTAKE_BATCH_SIZE"])
            #expect(check.problems.first?.message.contains("\"seventy\"") == true)
            #expect(!check.isValid(strict: false))
        }
    }

    @Test func aFileThatCannotBeReadIsAProblemOfTheFileVariableWithoutItsText() async throws {
        let missing = await ConfigurationCheck(environment: ["MPSHOOK_CONFIG_FILE": "/nonexistent/mpshook.yaml"])
        #expect(missing.problems.map(\.key) == ["MPSHOOK_CONFIG_FILE"])
        try await withFile("broken.yaml", "mpshook:\n  notify:\n    key: \"s3cret-notify-key\n  x: [\n") { path in
            let broken = await ConfigurationCheck(environment: [:], file: path)
            #expect(broken.problems.map(\.key) == ["MPSHOOK_CONFIG_FILE"])
            #expect(broken.problems.first?.message.contains("line") == true)
            #expect(broken.problems.first?.message.contains("s3cret") == false, "Yams quotes the line; we do not")
        }
    }

    @Test func everyProblemIsReportedAtOnceEachNamingItsVariable() {
        let error = #expect(throws: ConfigurationError.self) {
            try AppConfiguration(environment: [
                "MPSHOOK_HTTP_PORT": "70000", "MPSHOOK_APPLIER": "perhaps", "LOG_FORMAT": "xml",
                "MPSHOOK_CALLBACK_KEYS": "k1:" + String(repeating: "A", count: 43),
            ])
        }
        #expect(error?.problems.map(\.key) == ["MPSHOOK_HTTP_PORT", "LOG_FORMAT", "MPSHOOK_APPLIER", "MPSHOOK_PUBLIC_BASE_URL"])
        #expect(error?.key == "MPSHOOK_HTTP_PORT")
        #expect(error?.description.split(separator: "\n").count == 4)
    }

    @Test func secretsAreNeverShownWhereverTheyComeFrom() async throws {
        let callbackKey = "k1:" + Base64URLText.of(byte: 7)
        let environment = [
            "MPSHOOK_DATABASE_URL": "postgresql://app:db-pass-123@db.internal:6432/hooks",
            "MPSHOOK_CALLBACK_KEYS": callbackKey, "MPSHOOK_PUBLIC_BASE_URL": "https://hooks.example.com",
            "TENCENTCLOUD_SECRET_ID": "AKIDpublic", "TENCENTCLOUD_SECRET_KEY": "tc-secret-key-456",
        ]
        try await withFile("secrets.yaml", "mpshook:\n  notify:\n    key: notify-key-789\n  webhook:\n    keys: \"w1:whsec_bad-key-000\"\n") { path in
            let check = await ConfigurationCheck(environment: environment, file: path)
            let shown = check.table + check.messages(strict: true).joined(separator: "\n")
            for secret in ["db-pass-123", callbackKey, String(callbackKey.dropFirst(3)), "tc-secret-key-456", "notify-key-789", "bad-key-000"] {
                #expect(!shown.contains(secret), "\(secret) is shown")
            }
            #expect(check.table.contains("MPSHOOK_DATABASE_URL=postgresql://app:***@db.internal:6432/hooks"), "host and database, not the password")
            #expect(check.table.contains("MPSHOOK_NOTIFY_KEY=<redacted>"))
            #expect(check.table.contains("TENCENTCLOUD_SECRET_ID=AKIDpublic"), "the key id is not secret")
            #expect(check.problems.map(\.key) == ["MPSHOOK_WEBHOOK_KEYS"], "the malformed secret is named, not shown")
        }
    }

    /// The parsers of secrets never quote the value; whatever a message says, the reader cuts a
    /// secret's value out of it before it is shown.
    @Test func aSecretsValueIsCutOutOfAnyMessageAboutIt() {
        var values = ConfigurationValues(reader: ConfigReader(provider: InMemoryProvider(values: [:])))
        values.report(ConfigurationKeys.notifyKey.setting, "expected something else, got \"hunter2-notify\"", value: "hunter2-notify")
        values.report(ConfigurationKeys.httpHost.setting, "expected an address, got \"not-secret\"", value: "not-secret")
        #expect(values.problems.map(\.description) == [
            "MPSHOOK_NOTIFY_KEY: expected something else, got \"<redacted>\"",
            "MPSHOOK_HTTP_HOST: expected an address, got \"not-secret\"",
        ])
    }

    /// Unknown names are warned about, not refused (a rolling upgrade may share an environment
    /// file between versions that know different settings); `--strict` refuses them.
    @Test func unknownVariablesAreWarnedAboutAndRefusedOnlyWhenStrict() async throws {
        let check = await ConfigurationCheck(environment: [
            "MPSHOOK_DATABASE_POOLSIZE": "5", "MPSHOOK_TEST_DATABASE_URL": "postgresql://x", "HOME": "/root", "MPSHOOK_HTTP_PORT": "1",
            "MPSHOOK_KEY": "mpsk_x", "MPSHOOK_SDK_PYTHON": "/usr/bin/python3", "MPSHOOK_DEMO_PG_PORT": "1",
        ])
        #expect(check.unknownNames == ["MPSHOOK_DATABASE_POOLSIZE"])
        #expect(check.isValid(strict: false))
        #expect(!check.isValid(strict: true))
        #expect(check.messages(strict: false).contains("warning: unknown setting: MPSHOOK_DATABASE_POOLSIZE (no setting of this binary has that name)"))
        try await withFile("typo.yaml", "mpshook:\n  http:\n    prot: 1\n") { path in
            let fromFile = await ConfigurationCheck(environment: [:], file: path)
            #expect(fromFile.unknownNames == ["mpshook.http.prot (in \(path))"])
        }
    }

    @Test func theCommittedEnvironmentExampleIsWhatTheBinaryDeclares() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let committed = try String(contentsOf: root.appendingPathComponent("deploy/env.example"), encoding: .utf8)
        #expect(committed == ConfigurationCheck.environmentExample, "regenerate: swift run mpshook config example > deploy/env.example")
        for setting in AppConfiguration.settings {
            #expect(committed.contains("\n#\(setting.environmentName)="))
        }
    }

    /// The README's table explains each setting at more length; its defaults are held to the
    /// declarations so it cannot drift from them.
    @Test func theREADMETableNamesEverySettingWithItsDeclaredDefault() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        var rows: [String: String] = [:]
        for line in readme.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count > 3 else { continue }
            rows[cells[1].trimmingCharacters(in: ["`"])] = cells[2]
        }
        for setting in AppConfiguration.settings {
            let cell = try #require(rows[setting.environmentName], "\(setting.environmentName) has a row in the README's table")
            if let text = setting.defaultText {
                #expect(cell == "`\(text)`", "\(setting.environmentName)")
            } else {
                #expect(!cell.hasPrefix("`"), "\(setting.environmentName) has no default value")
            }
        }
    }

    private func withFile(_ name: String, _ text: String, _ body: (String) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mpshook-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        try await body(path)
    }
}

/// A 32-byte key as base64url text.
private enum Base64URLText {
    static func of(byte: UInt8) -> String {
        Data(repeating: byte, count: 32).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

/// Every key a `ConfigReader` was asked for.
private final class KeysRead: AccessReporter, Sendable {
    private let read = Mutex<Set<String>>([])
    var keys: Set<String> { read.withLock { $0 } }
    func report(_ event: AccessEvent) {
        _ = read.withLock { $0.insert(event.metadata.key.components.joined(separator: ".")) }
    }
}
