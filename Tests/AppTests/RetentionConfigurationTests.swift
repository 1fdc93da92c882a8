import App
import Testing

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
}
