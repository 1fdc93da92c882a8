import ArgumentParser
import Foundation

/// `mpshook config …`: the settings this binary knows, an example environment file, and a check
/// of a configuration.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check a configuration, or list the settings this binary knows.",
        subcommands: [Check.self, Keys.self, Example.self]
    )

    /// `mpshook config check [--config FILE] [--strict]`.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate the configuration and print every setting with its value and where it came from (secrets redacted).",
            discussion: "Reads the environment, then the file (--config, else MPSHOOK_CONFIG_FILE), then the defaults, as `serve` "
                + "does. Exits non-zero when a value is invalid, each problem named by its variable. MPSHOOK_* variables and file "
                + "keys that name no setting are reported as warnings (errors with --strict)."
        )

        @Option(name: .long, help: "A *.yaml, *.yml or *.json file of dotted keys, or an environment file (default: MPSHOOK_CONFIG_FILE).")
        var config: String?

        @Flag(name: .long, help: "Treat unknown MPSHOOK_* variables and file keys as errors.")
        var strict = false

        func run() async throws {
            let check = await ConfigurationCheck(environment: ProcessInfo.processInfo.environment, file: config)
            print(check.table, terminator: "")
            for line in check.messages(strict: strict) {
                FileHandle.standardError.write(Data("mpshook: \(line)\n".utf8))
            }
            guard check.isValid(strict: strict) else { throw ExitCode.failure }
        }
    }

    /// `mpshook config keys [--dotted]`.
    struct Keys: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the environment variables this binary reads, one a line (--dotted: the keys a YAML or JSON file uses)."
        )

        @Flag(name: .long, help: "Print the dotted keys of a configuration file instead.")
        var dotted = false

        func run() {
            for setting in AppConfiguration.settings { print(dotted ? setting.key : setting.environmentName) }
        }
    }

    /// `mpshook config example`: what `deploy/env.example` holds.
    struct Example: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print an environment file listing every setting, commented out, with its default and help (deploy/env.example)."
        )

        func run() {
            print(ConfigurationCheck.environmentExample, terminator: "")
        }
    }
}

/// A configuration read and checked: every setting's effective value (secrets redacted) and
/// origin, every problem, and the names that match no setting. What `mpshook config check` prints.
struct ConfigurationCheck {
    /// One setting: its value as shown (redacted when secret; nil when unset) and where it came from.
    struct Entry {
        var setting: ConfigurationSetting
        var shownValue: String?
        var origin: ConfigurationSources.Origin
    }

    var entries: [Entry] = []
    var problems: [ConfigurationError.Problem] = []
    var unknownNames: [String] = []

    /// Reads the environment and the file (`file`, else `MPSHOOK_CONFIG_FILE`) and checks them.
    init(environment: [String: String], file: String? = nil) async {
        do {
            self.init(sources: try await ConfigurationSources.load(environment: environment, file: file))
        } catch {
            self.init(problems: error.problems)
        }
    }

    private init(problems: [ConfigurationError.Problem]) {
        self.problems = problems
    }

    init(sources: ConfigurationSources) {
        let values = ConfigurationValues(reader: sources.reader)
        for setting in AppConfiguration.settings {
            let origin = sources.origin(of: setting)
            let text = values.text(setting) ?? setting.defaultText
            entries.append(Entry(setting: setting, shownValue: text.map(setting.display), origin: origin))
        }
        do {
            _ = try AppConfiguration(reader: sources.reader)
        } catch {
            problems = error.problems
        }
        unknownNames = sources.unknownNames
    }

    /// `NAME=value  # origin` for every setting, in declaration order.
    var table: String {
        let width = entries.map { $0.setting.environmentName.count + ($0.shownValue?.count ?? 0) + 1 }.max() ?? 0
        return entries.map { entry in
            let assignment = "\(entry.setting.environmentName)=\(entry.shownValue ?? "")"
            let origin = entry.shownValue == nil ? "unset (\(entry.setting.unsetMeaning))" : "\(entry.origin)"
            return assignment.padding(toLength: max(width, assignment.count), withPad: " ", startingAt: 0) + "  # \(origin)\n"
        }.joined()
    }

    /// The lines for standard error: each problem, each unknown name, and a verdict.
    func messages(strict: Bool) -> [String] {
        var lines = problems.map { "invalid configuration: \($0)" }
        lines += unknownNames.map { "\(strict ? "unknown setting" : "warning: unknown setting"): \($0) (no setting of this binary has that name)" }
        lines.append(isValid(strict: strict) ? "configuration is valid" : "configuration is not valid")
        return lines
    }

    func isValid(strict: Bool) -> Bool {
        problems.isEmpty && (!strict || unknownNames.isEmpty)
    }

    /// `deploy/env.example`: every setting, commented out, with its rule, default and help.
    static var environmentExample: String {
        var text = """
            # mpshook's settings: every environment variable the binary reads, with its default.
            # Generated by `mpshook config example` (a test fails when this file and the binary differ).
            # Uncomment what you change (NAME=value lines: no quotes, no export); `mpshook config check --config FILE`
            # validates a file like this one.
            # A YAML or JSON file (MPSHOOK_CONFIG_FILE) may hold the same settings under their dotted keys
            # (`mpshook config keys --dotted`); the environment wins over it.

            """
        for setting in AppConfiguration.settings {
            text += "\n# \(setting.help)\n"
            text += "# \(setting.rule)\(setting.isSecret ? "; secret: never printed" : "")\n"
            if let defaultText = setting.defaultText {
                text += "#\(setting.environmentName)=\(defaultText)\n"
            } else {
                text += "# unset: \(setting.unsetMeaning)\n#\(setting.environmentName)=\n"
            }
        }
        return text
    }
}
