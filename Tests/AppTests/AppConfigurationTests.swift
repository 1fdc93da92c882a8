import API
import Correlation
import Foundation
import Logging
import Postgres
import Testing
import Webhooks
import Workflows

@testable import App

@Suite struct AppConfigurationTests {
    @Test func defaultsApplyWhenNothingIsSet() throws {
        let configuration = try AppConfiguration(environment: [:])
        #expect(configuration.httpHost == "127.0.0.1")
        #expect(configuration.httpPort == 8080)
        #expect(configuration.database.maximumConnections == 10)
        #expect(configuration.database.url == "postgresql://postgres@127.0.0.1:5432/mpshook")
        #expect(configuration.logLevel == .info)
        #expect(configuration.logFormat == .json)
        #expect(configuration.migrateOnStart == false)
    }

    @Test func valuesAreReadFromTheEnvironment() throws {
        let configuration = try AppConfiguration(environment: [
            "MPSHOOK_DATABASE_URL": "postgresql://app:pw@db:6432/hooks",
            "MPSHOOK_DATABASE_POOL_SIZE": "32",
            "MPSHOOK_HTTP_HOST": "0.0.0.0",
            "MPSHOOK_HTTP_PORT": "9000",
            "MPSHOOK_MIGRATE_ON_START": "yes",
            "MPSHOOK_DATABASE_CHECKOUT_TIMEOUT": "0.25",
            "LOG_LEVEL": "DEBUG",
            "LOG_FORMAT": "text",
        ])
        #expect(configuration.database.maximumConnections == 32)
        #expect(configuration.httpHost == "0.0.0.0")
        #expect(configuration.httpPort == 9000)
        #expect(configuration.migrateOnStart)
        #expect(configuration.database.checkoutTimeout == .milliseconds(250))
        #expect(configuration.logLevel == .debug)
        #expect(configuration.logFormat == .text)
        #expect(configuration.redactedSummary["database.url"]?.description == "postgresql://app:***@db:6432/hooks")
    }

    @Test(arguments: [
        ("MPSHOOK_HTTP_PORT", "abc"),
        ("MPSHOOK_HTTP_PORT", "70000"),
        ("MPSHOOK_DATABASE_POOL_SIZE", "0"),
        ("MPSHOOK_MIGRATE_ON_START", "maybe"),
        ("MPSHOOK_DATABASE_CONNECT_TIMEOUT", "-1"),
        ("LOG_LEVEL", "loud"),
        ("LOG_FORMAT", "xml"),
    ])
    func malformedValuesAreRejectedNamingTheVariable(key: String, value: String) {
        let error = #expect(throws: ConfigurationError.self) { try AppConfiguration(environment: [key: value]) }
        #expect(error?.key == key)
        #expect(error?.description.contains(value) == true)
    }

    /// Each rule at its edges: ranges are inclusive, values are trimmed, booleans take six
    /// spellings in any case, `MPSHOOK_API` only on/off, `auto` is a connection limit.
    @Test(arguments: [
        ("MPSHOOK_HTTP_PORT", "0", true), ("MPSHOOK_HTTP_PORT", "65535", true), ("MPSHOOK_HTTP_PORT", " 8081 ", true),
        ("MPSHOOK_HTTP_PORT", "65536", false), ("MPSHOOK_HTTP_PORT", "-1", false), ("MPSHOOK_HTTP_PORT", "80.5", false),
        ("MPSHOOK_DATABASE_CHECKOUT_TIMEOUT", "0.01", true), ("MPSHOOK_DATABASE_CHECKOUT_TIMEOUT", "300", true),
        ("MPSHOOK_DATABASE_CHECKOUT_TIMEOUT", "0.009", false), ("MPSHOOK_DATABASE_CHECKOUT_TIMEOUT", "soon", false),
        ("MPSHOOK_DATABASE_STATEMENT_TIMEOUT", "0", true), ("MPSHOOK_EVENTS_RETENTION", "60", true), ("MPSHOOK_EVENTS_RETENTION", "59", false),
        ("MPSHOOK_INTAKE_LINGER_MS", "1000", true), ("MPSHOOK_INTAKE_LINGER_MS", "1001", false), ("MPSHOOK_INTAKE_LINGER_MS", "0.5", false),
        ("MPSHOOK_MIGRATE_ON_START", "1", true), ("MPSHOOK_MIGRATE_ON_START", "Yes", true), ("MPSHOOK_MIGRATE_ON_START", "ON", true),
        ("MPSHOOK_MIGRATE_ON_START", "0", true), ("MPSHOOK_MIGRATE_ON_START", "no", true), ("MPSHOOK_MIGRATE_ON_START", "False", true),
        ("MPSHOOK_MIGRATE_ON_START", "2", false), ("MPSHOOK_APPLIER", "off", true), ("MPSHOOK_RECONCILER", "enabled", false),
        ("MPSHOOK_API", "OFF", true), ("MPSHOOK_API", "true", false),
        ("MPSHOOK_HTTP_MAX_CONNECTIONS", "AUTO", true), ("MPSHOOK_HTTP_MAX_CONNECTIONS", "2", true), ("MPSHOOK_HTTP_MAX_CONNECTIONS", "1", false),
        ("MPSHOOK_MPS_ENDPOINT", "https://mps.intl.tencentcloudapi.com", true), ("MPSHOOK_MPS_ENDPOINT", "ftp://mps.example", false),
        ("MPSHOOK_WEBHOOK_DEFAULT_URL", "https://hooks.example.com/done", true), ("MPSHOOK_WEBHOOK_DEFAULT_URL", "mailto:x", false),
        ("MPSHOOK_WEBHOOK_ALLOW", "10.0.0.0/8,hooks.internal", true), ("MPSHOOK_WEBHOOK_ALLOW", "10.0.0.0/99", false),
        ("MPSHOOK_PUBLIC_BASE_URL", "hooks.example.com", false), ("LOG_LEVEL", "Warning", true),
    ])
    func eachRuleHoldsAtItsEdges(key: String, value: String, valid: Bool) {
        let result = Result { () throws(ConfigurationError) in try AppConfiguration(environment: [key: value]) }
        switch result {
        case .success: #expect(valid, "\(key)=\(value) was accepted")
        case .failure(let error):
            #expect(!valid, "\(key)=\(value): \(error)")
            #expect(error.problems.map(\.key) == [key])
        }
    }

    @Test func durationsKeepTheirFractionsAndUnits() throws {
        let configuration = try AppConfiguration(environment: [
            "MPSHOOK_READINESS_INTERVAL": "0.05", "MPSHOOK_INTAKE_LINGER_MS": "5", "MPSHOOK_EVENTS_RETENTION": "3600",
            "MPSHOOK_WEBHOOK_RETRY_BASE": "10", "MPSHOOK_WEBHOOK_RETRY_MAX": "2", "MPSHOOK_DATABASE_STATEMENT_TIMEOUT": "1.5",
        ])
        #expect(configuration.readinessInterval == .milliseconds(50))
        #expect(configuration.tuning.intakeLinger == .milliseconds(5))
        #expect(configuration.events.retention == .seconds(3600))
        #expect(configuration.webhooks.schedule.maximumDelay == .seconds(10), "never below the base")
        #expect(configuration.database.statementTimeout == .milliseconds(1500))
    }

    @Test func callbackSettingsNeedABaseURLAndAKnownKeyId() throws {
        let keys = "k1:" + String(repeating: "A", count: 43) + ",k2:" + String(repeating: "Q", count: 43)
        #expect(try AppConfiguration(environment: [:]).callbacks == nil)
        let chosen = try AppConfiguration(environment: [
            "MPSHOOK_CALLBACK_KEYS": keys, "MPSHOOK_CALLBACK_KEY_ID": "k2", "MPSHOOK_PUBLIC_BASE_URL": "https://hooks.example.com",
            "MPSHOOK_NOTIFY_PATH": "hooks/mps",
        ]).callbacks
        #expect(chosen?.tokens.currentKeyId.description == "k2")
        #expect(chosen?.notifyPath == "/hooks/mps")
        let unknownId = #expect(throws: ConfigurationError.self) {
            try AppConfiguration(environment: [
                "MPSHOOK_CALLBACK_KEYS": keys, "MPSHOOK_CALLBACK_KEY_ID": "k9", "MPSHOOK_PUBLIC_BASE_URL": "https://hooks.example.com",
            ])
        }
        #expect(unknownId?.description == "MPSHOOK_CALLBACK_KEY_ID: no key with id \"k9\" in MPSHOOK_CALLBACK_KEYS")
        let noBase = #expect(throws: ConfigurationError.self) { try AppConfiguration(environment: ["MPSHOOK_CALLBACK_KEYS": keys]) }
        #expect(noBase?.key == "MPSHOOK_PUBLIC_BASE_URL")
    }

    @Test func tuningHasDefaultsAndReadsItsVariables() throws {
        let defaults = try AppConfiguration(environment: [:]).tuning
        #expect(defaults.notifyMaximumBody == 1 << 20)
        #expect(defaults.intakeBatchSize == 64)
        #expect(defaults.intakeLinger == .milliseconds(1))
        #expect(defaults.mpsCallsPerSecond == 20)
        let tuned = try AppConfiguration(environment: [
            "MPSHOOK_NOTIFY_MAX_BODY": "65536", "MPSHOOK_NOTIFY_STORE_TIMEOUT": "0.5", "MPSHOOK_INTAKE_BATCH_SIZE": "128",
            "MPSHOOK_INTAKE_LINGER_MS": "0", "MPSHOOK_APPLIER_BATCH_SIZE": "500", "MPSHOOK_DISPATCH_CONCURRENCY": "2",
            "MPSHOOK_MPS_TIMEOUT": "3", "MPSHOOK_FORWARDED_FOR_HEADER": "X-Real-IP",
        ]).tuning
        #expect(tuned.notifyMaximumBody == 65536)
        #expect(tuned.notifyStoreTimeout == .milliseconds(500))
        #expect(tuned.intakeBatchSize == 128)
        #expect(tuned.intakeLinger == .zero)
        #expect(tuned.applierBatchSize == 500)
        #expect(tuned.dispatchConcurrency == 2)
        #expect(tuned.mpsTimeout == .seconds(3))
        #expect(tuned.forwardedForHeader == "x-real-ip")
        #expect(throws: ConfigurationError.self) { try AppConfiguration(environment: ["MPSHOOK_INTAKE_BATCH_SIZE": "0"]) }
    }

    @Test func helpListsEveryVariable() {
        for setting in AppConfiguration.settings {
            #expect(AppConfiguration.environmentHelp.contains(setting.environmentName))
        }
        #expect(AppConfiguration.environmentHelp.contains("MPSHOOK_DATABASE_URL"))
    }
}

@Suite struct LogLineTests {
    @Test func jsonLinesAreValidJSONWithEscapedText() throws {
        let line = StreamLogHandler.jsonLine(
            level: .warning, label: "mpshook", message: "quote \" backslash \\ newline \n tab \t bell \u{7}",
            metadata: ["job.id": "42", "nested": .dictionary(["a": .array(["x", "y"])])]
        )
        #expect(!line.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["level"] as? String == "warning")
        #expect(object["message"] as? String == "quote \" backslash \\ newline \n tab \t bell \u{7}")
        #expect(object["job.id"] as? String == "42")
        #expect((object["nested"] as? [String: Any])?["a"] as? [String] == ["x", "y"])
        #expect(object["time"] is String)
    }
}
