import Foundation
import Logging
import Postgres
import Testing

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
