import Configuration
import Foundation
import Postgres

/// One setting `mpshook` reads, described: its swift-configuration key, the environment variable
/// that key is read from, its default, the rule its value follows, a line of help, and whether
/// it is secret. `--help`, `mpshook config check|keys|example` and `deploy/env.example` all come
/// from these descriptions (``AppConfiguration/settings``), the reading from the same declarations.
public struct ConfigurationSetting: Sendable {
    /// The dot-separated swift-configuration key, as a configuration file nests it
    /// (`mpshook.database.poolSize` is `mpshook: {database: {poolSize: …}}`).
    public let key: String
    /// The environment variable read for ``key`` (`MPSHOOK_DATABASE_POOL_SIZE`): the key's
    /// components, camel-case words split, upper-cased and joined with `_`, as
    /// `EnvironmentVariablesProvider` encodes keys.
    public let environmentName: String
    /// The default as a value would be written; nil when the setting is unset by default.
    public let defaultText: String?
    /// What leaving it unset means, for a setting without ``defaultText`` (`none: no callback door`).
    public let unsetMeaning: String
    /// The values it takes (`an integer from 1 to 500`).
    public let rule: String
    public let help: String
    /// Never printed: `config check` shows `<redacted>` (a database URL: its password
    /// masked), error messages leave the value out, and swift-configuration's access log redacts it.
    public let isSecret: Bool
    /// The problem with a value (the same check as reading it), or nil when it is valid.
    let check: @Sendable (String) -> String?

    /// The default as `--help` shows it: the text, or what being unset means, in parentheses.
    public var defaultDescription: String { defaultText ?? "(\(unsetMeaning))" }

    /// How a value is shown: secrets redacted.
    public func display(_ value: String) -> String {
        guard isSecret else { return value }
        return environmentName == "MPSHOOK_DATABASE_URL" ? PostgresConfiguration.redact(value) : "<redacted>"
    }

    /// The environment variable name `EnvironmentVariablesProvider` reads for a key.
    static func environmentName(forKey key: String) -> String {
        key.split(separator: ".").map { component in
            var words = ""
            var previous: Character?
            for character in component {
                if let previous, previous.isLowercase, character.isUppercase { words.append("_") }
                words.append(character)
                previous = character
            }
            return String(words.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
        }.joined(separator: "_")
    }
}

/// A declared setting with its typed default and its parser: the one place its default and its
/// rule are written. ``ConfigurationValues`` reads it.
struct ConfigurationKey<Value: Sendable>: Sendable {
    let setting: ConfigurationSetting
    /// The value when unset (and the stand-in after a problem, so reading goes on to find the others).
    let defaultValue: Value
    let parse: @Sendable (String) -> Result<Value, ConfigurationKeyProblem>

    init(
        _ key: String, default defaultValue: Value, defaultText: String?, unset: String = "none", rule: String,
        help: String, secret: Bool = false, parse: @escaping @Sendable (String) -> Result<Value, ConfigurationKeyProblem>
    ) {
        self.setting = ConfigurationSetting(
            key: key, environmentName: ConfigurationSetting.environmentName(forKey: key), defaultText: defaultText,
            unsetMeaning: unset, rule: rule, help: help, isSecret: secret,
            check: { raw in
                guard case .failure(let problem) = parse(raw) else { return nil }
                return problem.message
            }
        )
        self.defaultValue = defaultValue
        self.parse = parse
    }
}

/// Why a value cannot be used (the message names the rule; the key is added by the reader).
struct ConfigurationKeyProblem: Error, Sendable {
    let message: String
    init(_ message: String) { self.message = message }
}

extension ConfigurationKey where Value == Int {
    /// A whole number within `range`.
    static func integer(_ key: String, default value: Int, range: ClosedRange<Int>, help: String) -> Self {
        Self(key, default: value, defaultText: "\(value)", rule: "an integer from \(range.lowerBound) to \(range.upperBound)", help: help) {
            raw in
            guard let number = Int(raw), range.contains(number) else {
                return .failure(ConfigurationKeyProblem("expected an integer between \(range.lowerBound) and \(range.upperBound), got \"\(raw)\""))
            }
            return .success(number)
        }
    }
}

extension ConfigurationKey where Value == Duration {
    /// Seconds (fractions allowed) within `range`.
    static func seconds(_ key: String, default value: Double, range: ClosedRange<Double>, help: String) -> Self {
        let low = Self.text(range.lowerBound), high = Self.text(range.upperBound)
        return Self(
            key, default: .milliseconds(Int64(value * 1000)), defaultText: Self.text(value),
            rule: "seconds from \(low) to \(high)", help: help
        ) { raw in
            guard let number = Double(raw), range.contains(number) else {
                return .failure(ConfigurationKeyProblem("expected seconds between \(low) and \(high), got \"\(raw)\""))
            }
            return .success(.milliseconds(Int64(number * 1000)))
        }
    }

    /// `5` rather than `5.0`.
    private static func text(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }
}

extension ConfigurationKey where Value == Bool {
    /// `true`/`false`, also `yes`/`no`, `on`/`off` and `1`/`0`, any case; the default is shown
    /// in the spelling the documentation uses (`on`, `false`).
    static func boolean(_ key: String, default value: Bool, shown: (true: String, false: String) = ("true", "false"), help: String) -> Self {
        Self(key, default: value, defaultText: value ? shown.true : shown.false, rule: "true or false (also on/off, yes/no, 1/0)", help: help) {
            raw in
            switch raw.lowercased() {
            case "1", "true", "yes", "on": return .success(true)
            case "0", "false", "no", "off": return .success(false)
            default: return .failure(ConfigurationKeyProblem("expected true or false, got \"\(raw.lowercased())\""))
            }
        }
    }
}

extension ConfigurationKey where Value == String {
    /// Any text, with a default.
    static func text(_ key: String, default value: String, rule: String = "text", help: String, secret: Bool = false) -> Self {
        Self(key, default: value, defaultText: value, rule: rule, help: help, secret: secret) { .success($0) }
    }
}

extension ConfigurationKey where Value == String? {
    /// Any text; unset by default (`unset` says what that means).
    static func optionalText(_ key: String, unset: String = "none", rule: String = "text", help: String, secret: Bool = false) -> Self {
        Self(key, default: nil, defaultText: nil, unset: unset, rule: rule, help: help, secret: secret) { .success($0) }
    }
}

/// Reads declared settings from a `ConfigReader`, keeping every problem rather than stopping at
/// the first, so that one run of `mpshook config check` names them all.
///
/// Values are read as text and parsed by the setting's own rule, the same for every provider: a
/// YAML scalar is its text, a YAML list is joined with commas (the form the environment uses),
/// and a blank value counts as unset.
struct ConfigurationValues {
    let reader: ConfigReader
    private(set) var problems: [ConfigurationError.Problem] = []

    init(reader: ConfigReader) {
        self.reader = reader
    }

    /// The setting's value, its default when unset, or (after recording the problem) its default
    /// when the value breaks its rule.
    mutating func callAsFunction<Value>(_ key: ConfigurationKey<Value>) -> Value {
        guard let raw = text(key.setting) else { return key.defaultValue }
        switch key.parse(raw) {
        case .success(let value): return value
        case .failure(let problem):
            report(key.setting, problem.message, value: raw)
            return key.defaultValue
        }
    }

    /// The setting's text as given (trimmed), or nil when unset or blank.
    func text(_ setting: ConfigurationSetting) -> String? {
        let key = ConfigKey(setting.key)
        let raw = reader.string(forKey: key, isSecret: setting.isSecret)
            ?? reader.stringArray(forKey: key, isSecret: setting.isSecret)?.joined(separator: ",")
        guard let trimmed = raw?.trimmingCharacters(in: .whitespacesAndNewlines), !trimmed.isEmpty else { return nil }
        return trimmed
    }

    /// Records a problem naming the setting's environment variable; a secret's value is cut out of
    /// the message, whatever the message says.
    mutating func report(_ setting: ConfigurationSetting, _ message: String, value: String? = nil) {
        var message = message
        if setting.isSecret, let value, !value.isEmpty {
            message = message.replacingOccurrences(of: value, with: "<redacted>")
        }
        problems.append(ConfigurationError.Problem(key: setting.environmentName, message: message))
    }

    /// Throws every problem recorded so far, if any.
    func finish() throws(ConfigurationError) {
        if let error = ConfigurationError(problems: problems) { throw error }
    }
}

/// A configuration that cannot be used, naming each variable that is wrong.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// One variable's problem.
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        /// The environment variable (the setting's name in every source).
        public var key: String
        public var message: String
        public var description: String { "\(key): \(message)" }
    }

    /// Every problem found, in the order the settings are read (never empty).
    public private(set) var problems: [Problem]
    /// The first problem's variable.
    public var key: String { problems[0].key }
    /// The first problem's message.
    public var message: String { problems[0].message }
    /// Each problem on a line of its own.
    public var description: String { problems.map(\.description).joined(separator: "\n") }

    public init(key: String, message: String) {
        problems = [Problem(key: key, message: message)]
    }

    /// nil when there is no problem.
    init?(problems: [Problem]) {
        guard !problems.isEmpty else { return nil }
        self.problems = problems
    }
}
