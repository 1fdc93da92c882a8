import Configuration
import Testing

@testable import App

/// How retention's ages are written (`30d`, `12h`, seconds) and the settings' bounds.
@Suite struct RetentionConfigurationTests {
    @Test(arguments: [
        ("30d", 30 * 86_400), ("12h", 12 * 3600), ("45m", 2700), ("90s", 90), ("3600", 3600), ("0", 0), ("0d", 0),
        ("36600d", 36600 * 86_400),
    ])
    func anAgeIsSecondsOrANumberWithAUnit(text: String, seconds: Int) {
        #expect(RetentionConfiguration.age(text) == .seconds(seconds))
    }

    @Test(arguments: ["", "d", "30 d", " 30d", "30D", "-1d", "+1d", "1.5d", "3w", "30dd", "١٢d", "36601d", "99999999999999999999", "1e3"])
    func anythingElseIsNotAnAge(text: String) {
        #expect(RetentionConfiguration.age(text) == nil)
    }

    @Test func settingsAreKeptWithinBounds() {
        let settings = RetentionConfiguration(age: .seconds(-5), attemptsAge: .seconds(-1), batchSize: 0, pause: .seconds(-1), interval: .zero)
        #expect(settings.age == .zero && settings.attemptsAge == .zero && settings.batchSize == 1)
        #expect(settings.pause == .zero && settings.interval == .milliseconds(10))
        #expect(RetentionConfiguration(batchSize: 10_000_000).batchSize == 100_000)
        let defaults = RetentionConfiguration()
        #expect(!defaults.enabled && defaults.age == .seconds(30 * 86_400) && defaults.attemptsAge == nil && defaults.batchSize == 1000)
    }

    static func read(_ environment: [String: String]) -> (RetentionConfiguration, [String]) {
        var values = ConfigurationValues(reader: ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: environment)))
        let configuration = RetentionConfiguration(&values)
        return (configuration, values.problems.map { "\($0.key): \($0.message)" })
    }

    @Test func theSettingsAreReadFromTheirVariables() {
        #expect(ConfigurationKeys.retentionSettings.map(\.environmentName) == [
            "MPSHOOK_RETENTION", "MPSHOOK_RETENTION_AGE", "MPSHOOK_RETENTION_ATTEMPTS_AGE", "MPSHOOK_RETENTION_BATCH_SIZE",
            "MPSHOOK_RETENTION_INTERVAL", "MPSHOOK_RETENTION_PAUSE",
        ])
        let (defaults, none) = Self.read([:])
        #expect(defaults == RetentionConfiguration() && none.isEmpty)
        let (read, problems) = Self.read([
            "MPSHOOK_RETENTION": "on", "MPSHOOK_RETENTION_AGE": "14d", "MPSHOOK_RETENTION_ATTEMPTS_AGE": "2160h",
            "MPSHOOK_RETENTION_BATCH_SIZE": "500", "MPSHOOK_RETENTION_INTERVAL": "60", "MPSHOOK_RETENTION_PAUSE": "0.02",
        ])
        #expect(problems.isEmpty)
        #expect(read == RetentionConfiguration(
            enabled: true, age: .seconds(14 * 86_400), attemptsAge: .seconds(90 * 86_400), batchSize: 500, pause: .milliseconds(20),
            interval: .seconds(60)
        ))
    }

    /// The service's configuration carries them: `serve` starts retention from `retention`.
    @Test func theAppConfigurationReadsThem() throws {
        #expect(try AppConfiguration(environment: [:]).retention == RetentionConfiguration())
        let configuration = try AppConfiguration(environment: ["MPSHOOK_RETENTION": "on", "MPSHOOK_RETENTION_AGE": "7d"])
        #expect(configuration.retention == RetentionConfiguration(enabled: true, age: .seconds(7 * 86_400)))
        let error = #expect(throws: ConfigurationError.self) { try AppConfiguration(environment: ["MPSHOOK_RETENTION_AGE": "soon"]) }
        #expect(error?.key == "MPSHOOK_RETENTION_AGE")
    }

    @Test func aBadValueIsAProblemNamingItsVariable() {
        let (_, problems) = Self.read(["MPSHOOK_RETENTION_AGE": "a month", "MPSHOOK_RETENTION_ATTEMPTS_AGE": "-1", "MPSHOOK_RETENTION_BATCH_SIZE": "0"])
        #expect(problems.count == 3)
        #expect(problems.contains { $0.hasPrefix("MPSHOOK_RETENTION_AGE: expected seconds or a number with s, m, h or d") })
        #expect(problems.contains { $0.hasPrefix("MPSHOOK_RETENTION_ATTEMPTS_AGE:") })
        #expect(problems.contains { $0.hasPrefix("MPSHOOK_RETENTION_BATCH_SIZE:") })
    }
}
