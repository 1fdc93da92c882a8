public import Foundation
public import Logging
public import Postgres

/// Everything `mpshook serve` reads from its environment, with defaults.
///
/// Secrets (the database URL may carry a password) are never printed; ``redactedSummary``
/// shows what is safe to log.
public struct AppConfiguration: Sendable {
    /// One documented environment variable.
    public struct Key: Sendable {
        public let name: String
        public let defaultValue: String
        public let help: String
        public let isSecret: Bool
    }

    /// Every variable `mpshook` reads, in the order `--help` lists them.
    public static let keys: [Key] = [
        Key(name: "MPSHOOK_DATABASE_URL", defaultValue: "postgresql://postgres@127.0.0.1:5432/mpshook",
            help: "PostgreSQL URL or conninfo string (may hold a password; never logged)", isSecret: true),
        Key(name: "MPSHOOK_DATABASE_POOL_SIZE", defaultValue: "10", help: "maximum pooled database connections", isSecret: false),
        Key(name: "MPSHOOK_DATABASE_CONNECT_TIMEOUT", defaultValue: "5", help: "seconds to open a database connection", isSecret: false),
        Key(name: "MPSHOOK_DATABASE_CHECKOUT_TIMEOUT", defaultValue: "5", help: "seconds to wait for a free pooled connection", isSecret: false),
        Key(name: "MPSHOOK_HTTP_HOST", defaultValue: "127.0.0.1", help: "address the HTTP server binds", isSecret: false),
        Key(name: "MPSHOOK_HTTP_PORT", defaultValue: "8080", help: "port the HTTP server binds (0 picks a free one)", isSecret: false),
        Key(name: "MPSHOOK_MIGRATIONS_DIR", defaultValue: "(auto)",
            help: "folder of NNNN_name.sql files; default: ./migrations, else one found beside or above the executable", isSecret: false),
        Key(name: "MPSHOOK_MIGRATE_ON_START", defaultValue: "false", help: "let `serve` apply pending migrations (same as --migrate)", isSecret: false),
        Key(name: "MPSHOOK_READINESS_INTERVAL", defaultValue: "1", help: "seconds between database readiness checks", isSecret: false),
        Key(name: "MPSHOOK_SHUTDOWN_TIMEOUT", defaultValue: "30", help: "seconds in-flight work may take after SIGTERM/SIGINT", isSecret: false),
        Key(name: "MPSHOOK_MPS_ENDPOINT", defaultValue: "https://mps.tencentcloudapi.com",
            help: "MPS API endpoint: the China, international or a regional host, or the emulator's http://127.0.0.1:PORT", isSecret: false),
        Key(name: "TENCENTCLOUD_SECRET_ID", defaultValue: "(none)", help: "Tencent Cloud API key id that signs MPS calls", isSecret: false),
        Key(name: "TENCENTCLOUD_SECRET_KEY", defaultValue: "(none)", help: "Tencent Cloud API secret key (never logged)", isSecret: true),
        Key(name: "TENCENTCLOUD_SESSION_TOKEN", defaultValue: "(none)", help: "STS session token for temporary keys, sent as X-TC-Token (never logged)", isSecret: true),
        Key(name: "LOG_LEVEL", defaultValue: "info", help: "trace, debug, info, notice, warning, error or critical", isSecret: false),
        Key(name: "LOG_FORMAT", defaultValue: "json", help: "json (one object per line) or text", isSecret: false),
    ]

    public var database: PostgresConfiguration
    public var httpHost: String
    public var httpPort: Int
    public var migrationsDirectory: String?
    public var migrateOnStart: Bool
    public var readinessInterval: Duration
    public var shutdownTimeout: Duration
    public var logLevel: Logger.Level
    public var logFormat: LogFormat

    /// How log lines are written.
    public enum LogFormat: String, Sendable {
        case json, text
    }

    /// Reads the configuration from `environment`, rejecting malformed values with the key's name.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) {
        func value(_ name: String) -> String? {
            guard let raw = environment[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }
        func seconds(_ name: String, _ fallback: Double, range: ClosedRange<Double>) throws(ConfigurationError) -> Duration {
            guard let raw = value(name) else { return .milliseconds(Int64(fallback * 1000)) }
            guard let number = Double(raw), range.contains(number) else {
                throw ConfigurationError(key: name, message: "expected seconds between \(range.lowerBound) and \(range.upperBound), got \"\(raw)\"")
            }
            return .milliseconds(Int64(number * 1000))
        }
        func integer(_ name: String, _ fallback: Int, range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
            guard let raw = value(name) else { return fallback }
            guard let number = Int(raw), range.contains(number) else {
                throw ConfigurationError(key: name, message: "expected an integer between \(range.lowerBound) and \(range.upperBound), got \"\(raw)\"")
            }
            return number
        }
        func boolean(_ name: String, _ fallback: Bool) throws(ConfigurationError) -> Bool {
            guard let raw = value(name)?.lowercased() else { return fallback }
            switch raw {
            case "1", "true", "yes", "on": return true
            case "0", "false", "no", "off": return false
            default: throw ConfigurationError(key: name, message: "expected true or false, got \"\(raw)\"")
            }
        }

        database = PostgresConfiguration(
            url: value("MPSHOOK_DATABASE_URL") ?? "postgresql://postgres@127.0.0.1:5432/mpshook",
            maximumConnections: try integer("MPSHOOK_DATABASE_POOL_SIZE", 10, range: 1...500),
            connectTimeout: try seconds("MPSHOOK_DATABASE_CONNECT_TIMEOUT", 5, range: 1...300),
            checkoutTimeout: try seconds("MPSHOOK_DATABASE_CHECKOUT_TIMEOUT", 5, range: 0.01...300)
        )
        httpHost = value("MPSHOOK_HTTP_HOST") ?? "127.0.0.1"
        httpPort = try integer("MPSHOOK_HTTP_PORT", 8080, range: 0...65535)
        migrationsDirectory = value("MPSHOOK_MIGRATIONS_DIR")
        migrateOnStart = try boolean("MPSHOOK_MIGRATE_ON_START", false)
        readinessInterval = try seconds("MPSHOOK_READINESS_INTERVAL", 1, range: 0.05...60)
        shutdownTimeout = try seconds("MPSHOOK_SHUTDOWN_TIMEOUT", 30, range: 0...3600)
        let level = value("LOG_LEVEL")?.lowercased() ?? "info"
        guard let parsedLevel = Logger.Level(rawValue: level) else {
            throw ConfigurationError(key: "LOG_LEVEL", message: "expected one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(level)\"")
        }
        logLevel = parsedLevel
        let format = value("LOG_FORMAT")?.lowercased() ?? "json"
        guard let parsedFormat = LogFormat(rawValue: format) else {
            throw ConfigurationError(key: "LOG_FORMAT", message: "expected json or text, got \"\(format)\"")
        }
        logFormat = parsedFormat
    }

    /// The folder of migration files: the configured one, or `./migrations`, or one beside or
    /// above the executable (so a build run from another folder still finds the repo's files).
    public func resolvedMigrationsDirectory() throws(ConfigurationError) -> String {
        if let migrationsDirectory { return migrationsDirectory }
        let fileManager = FileManager.default
        var candidates = [fileManager.currentDirectoryPath + "/migrations"]
        var folder = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(folder.appendingPathComponent("migrations").path)
            folder = folder.deletingLastPathComponent()
        }
        for candidate in candidates {
            var isDirectory: ObjCBool = false
            if fileManager.fileExists(atPath: candidate, isDirectory: &isDirectory), isDirectory.boolValue {
                return candidate
            }
        }
        throw ConfigurationError(
            key: "MPSHOOK_MIGRATIONS_DIR",
            message: "no migrations folder found in the working directory or beside the executable; set it"
        )
    }

    /// The settings as safe `key=value` pairs for a startup log line.
    public var redactedSummary: Logger.Metadata {
        [
            "database.url": "\(database.redactedURL)",
            "database.pool_size": "\(database.maximumConnections)",
            "http.host": "\(httpHost)",
            "http.port": "\(httpPort)",
            "log.level": "\(logLevel)",
        ]
    }

    /// The `--help` text listing every variable.
    public static var environmentHelp: String {
        "Environment variables:\n" + keys.map { key in
            "  \(key.name) (default: \(key.defaultValue))\n      \(key.help)"
        }.joined(separator: "\n")
    }
}

/// A configuration value that cannot be used, naming the variable.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public var key: String
    public var message: String
    public var description: String { "\(key): \(message)" }
}
