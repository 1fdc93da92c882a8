public import Configuration
import Foundation
import SystemPackage
import Yams

/// Where settings come from, first hit wins: the process environment, then an optional file
/// (`MPSHOOK_CONFIG_FILE` or `mpshook config check --config`), then each setting's default.
///
/// The file is YAML or JSON (JSON is read as the YAML it also is, so `10` and `"10"` are the same
/// value), with settings under their dotted keys nested (`mpshook: {database: {poolSize: 10}}`),
/// when its name ends in `.yaml`, `.yml` or `.json`; any other file is an environment file of the
/// variables themselves (`deploy/env.example`, the form systemd's `EnvironmentFile=` and compose's
/// `env_file` read). Secrets are marked as such in every
/// provider, so swift-configuration's own access log (`CONFIG_ACCESS_LOG_FILE`) redacts them.
public struct ConfigurationSources: Sendable {
    /// Where a setting's value came from.
    public enum Origin: Sendable, Equatable, CustomStringConvertible {
        case environment
        case file(String)
        case `default`

        public var description: String {
            switch self {
            case .environment: "env"
            case .file(let path): "file \(path)"
            case .default: "default"
            }
        }
    }

    /// The environment read, blank values left out (a blank variable counts as unset, so a file's
    /// value still applies).
    public let environment: [String: String]
    /// The file read, if any.
    public let filePath: String?
    private let environmentProvider: EnvironmentVariablesProvider
    private let fileProvider: (any ConfigProvider)?
    /// Keys the file holds, as dotted keys or (an environment file) variable names.
    private let fileKeys: [String]

    /// The environment alone.
    public init(environment: [String: String]) {
        self.environment = environment.filter { !$0.value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        environmentProvider = EnvironmentVariablesProvider(
            environmentVariables: self.environment, secretsSpecifier: .specific(Self.secretEnvironmentNames)
        )
        filePath = nil
        fileProvider = nil
        fileKeys = []
    }

    /// The environment and the file `file` names, else the one `MPSHOOK_CONFIG_FILE` names, if any.
    /// Throws, naming `MPSHOOK_CONFIG_FILE`, when the file cannot be read or parsed.
    public static func load(environment: [String: String], file: String? = nil) async throws(ConfigurationError) -> ConfigurationSources {
        var sources = ConfigurationSources(environment: environment)
        let key = ConfigurationKeys.configFile.setting
        guard let path = file ?? sources.environment[key.environmentName]?.trimmingCharacters(in: .whitespacesAndNewlines) else {
            return sources
        }
        do {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            if !Self.isYAMLOrJSON(path) {
                sources = ConfigurationSources(
                    sources, file: path,
                    provider: try await EnvironmentVariablesProvider(
                        environmentFilePath: FilePath(path), secretsSpecifier: .specific(secretEnvironmentNames)
                    ),
                    keys: environmentFileNames(text)
                )
            } else {
                let secrets = Set(AppConfiguration.settings.filter(\.isSecret).map(\.key))
                sources = ConfigurationSources(
                    sources, file: path,
                    provider: try await FileProvider<YAMLSnapshot>(
                        parsingOptions: YAMLSnapshot.ParsingOptions(secretsSpecifier: .specific(secrets)), filePath: FilePath(path)
                    ),
                    keys: try yamlKeys(text)
                )
            }
        } catch {
            throw ConfigurationError(key: key.environmentName, message: "cannot read \(path): \(describe(error))")
        }
        return sources
    }

    private init(_ base: ConfigurationSources, file: String, provider: any ConfigProvider, keys: [String]) {
        environment = base.environment
        environmentProvider = base.environmentProvider
        filePath = file
        fileProvider = provider
        fileKeys = keys
    }

    /// A reader of the environment, then the file.
    public var reader: ConfigReader {
        ConfigReader(providers: [environmentProvider] + (fileProvider.map { [$0] } ?? []))
    }

    /// Where `setting`'s value comes from.
    public func origin(of setting: ConfigurationSetting) -> Origin {
        if ConfigurationValues(reader: ConfigReader(provider: environmentProvider)).text(setting) != nil { return .environment }
        if let fileProvider, let filePath, ConfigurationValues(reader: ConfigReader(provider: fileProvider)).text(setting) != nil {
            return .file(filePath)
        }
        return .default
    }

    /// `MPSHOOK_*` variables in the environment and keys in the file that name no setting: most
    /// likely typos, which would otherwise leave a setting at its default unnoticed.
    ///
    /// They are reported, not refused: an environment file shared by two versions during a rolling
    /// upgrade (or a downgrade) may name a setting only one of them knows, and refusing to start
    /// over it would turn that into an outage.
    public var unknownNames: [String] {
        let names = Set(AppConfiguration.settings.map(\.environmentName))
        let keys = Set(AppConfiguration.settings.map(\.key))
        let fromEnvironment = environment.keys.filter { name in
            name.hasPrefix("MPSHOOK_") && !names.contains(name) && !Self.isScriptVariable(name)
        }
        let fromFile = fileKeys.filter { !names.contains($0) && !keys.contains($0) }.map { "\($0) (in \(filePath ?? "the file"))" }
        return fromEnvironment.sorted() + fromFile.sorted()
    }

    private static func isYAMLOrJSON(_ path: String) -> Bool {
        let name = path.lowercased()
        return name.hasSuffix(".yaml") || name.hasSuffix(".yml") || name.hasSuffix(".json")
    }

    /// A file's error without the file's text: Yams quotes the offending line, which may hold a secret.
    private static func describe(_ error: any Error) -> String {
        guard let error = error as? YamlError else { return "\(error)" }
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return "not valid YAML at line \(mark.line), column \(mark.column): \(problem)"
        case .duplicatedKeysInMapping(let duplicates, _):
            return "keys given twice: \(duplicates.joined(separator: ", "))"
        default:
            return "not valid YAML"
        }
    }

    /// Variables of the repository's scripts, not of the binary: the test suite's and the demo's
    /// (`MPSHOOK_TEST_*`, `MPSHOOK_SDK_*`, `MPSHOOK_DEMO_*`) and the API key the demo tells the
    /// operator's shell to export for curl (`MPSHOOK_KEY`). Not typos, so not reported.
    static func isScriptVariable(_ name: String) -> Bool {
        name == "MPSHOOK_KEY" || ["MPSHOOK_TEST_", "MPSHOOK_SDK_", "MPSHOOK_DEMO_"].contains { name.hasPrefix($0) }
    }

    private static var secretEnvironmentNames: Set<String> {
        Set(AppConfiguration.settings.filter(\.isSecret).map(\.environmentName))
    }

    /// The names an environment file sets, split as swift-configuration's parser splits them
    /// (`NAME=value` lines, `#` comments; no `export`, no quotes), so that a line it would not
    /// read as intended (`export NAME=…`) shows up as an unknown name.
    private static func environmentFileNames(_ text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            guard parts.count == 2, !name.isEmpty, !name.hasPrefix("#") else { return nil }
            return name
        }
    }

    /// Every leaf of a YAML mapping as a dotted key.
    private static func yamlKeys(_ text: String) throws -> [String] {
        guard let root = try Yams.compose(yaml: text), let mapping = root.mapping else { return [] }
        var keys: [String] = []
        func walk(_ mapping: Node.Mapping, prefix: String) {
            for (key, value) in mapping {
                let name = prefix.isEmpty ? (key.string ?? "") : prefix + "." + (key.string ?? "")
                if let nested = value.mapping { walk(nested, prefix: name) } else { keys.append(name) }
            }
        }
        walk(mapping, prefix: "")
        return keys
    }
}
