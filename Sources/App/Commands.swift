public import ArgumentParser
import Foundation
import Logging
import Curl
import Intake
import Metrics
import NIOCore
import NIOPosix
import Postgres
import Store
import Prometheus
import ServiceLifecycle
import UnixSignals
import Synchronization

/// The `mpshook` command line.
public struct MPSHookCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "mpshook",
        abstract: "Runs Tencent Cloud MPS smart-subtitle batches end to end.",
        discussion: AppConfiguration.environmentHelp,
        subcommands: [
            ServeCommand.self, MigrateCommand.self, WorkflowsCommand.self, SubmitCommand.self, JobsCommand.self, MPSCommand.self,
            NotificationsCommand.self, StepsCommand.self, DeliveriesCommand.self, KeysCommand.self, ConfigCommand.self, PruneCommand.self,
        ]
    )

    public init() {}
}

/// `mpshook serve`: the HTTP service.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Runs the HTTP service until SIGTERM or SIGINT.",
        discussion: "Refuses to start on a database with pending migrations unless --migrate "
            + "(or MPSHOOK_MIGRATE_ON_START=true) is given, and when any workflow file in "
            + "MPSHOOK_WORKFLOWS_DIR has a problem (each is printed).\n\n" + AppConfiguration.environmentHelp
    )

    @Flag(name: .long, help: "Apply pending migrations before serving.")
    var migrate = false

    func run() async throws {
        let sources = try await CommandSupport.loadSources()
        let configuration = try CommandSupport.loadConfiguration(sources)
        let logger = CommandSupport.bootstrapLogging(configuration)
        if !sources.unknownNames.isEmpty {
            // Names only (never values): likely typos, left at their defaults.
            logger.warning(
                "configuration names no setting of this binary (see `mpshook config check`)",
                metadata: ["config.unknown": "\(sources.unknownNames.joined(separator: ", "))"]
            )
        }
        // Before anything opens descriptors: the HTTP connection limit is sized from this.
        let descriptors = DescriptorLimit.raiseSoftToHard()
        let registry = ServiceMetrics.bootstrap()
        let migrator = try CommandSupport.loadMigrator(configuration)
        let client = PostgresClient(configuration: configuration.database, logger: logger, observer: PoolMetrics())

        do {
            let status = try await migrator.status(client)
            if !status.isCurrent {
                guard migrate || configuration.migrateOnStart else {
                    let names = status.pending.map(\.name).joined(separator: ", ")
                    throw CommandFailure(
                        "the database has \(status.pending.count) pending migration(s) (\(names)); "
                            + "run `mpshook migrate` first or start with --migrate"
                    )
                }
                try await migrator.migrate(client, logger: logger)
            }
            // Every definition checked before serving: a bad file is a deployment mistake, found now
            // rather than when a job names it.
            if let folder = try configuration.resolvedWorkflowsDirectory() {
                let saved = try await WorkflowFolder(directory: folder).load(into: WorkflowStore(client: client), logger: logger)
                logger.info("workflows loaded", metadata: ["workflows.folder": "\(folder)", "workflows.count": "\(saved.count)"])
            }
        } catch let error as ConfigurationError {
            await client.shutdown()
            throw CommandSupport.fail("invalid configuration: \(error)")
        } catch {
            await client.shutdown()
            throw CommandSupport.failure(error, configuration: configuration)
        }

        let readiness = DatabaseReadiness(
            client: client, migrator: migrator, interval: configuration.readinessInterval, logger: logger
        )
        await readiness.check()
        logger.info("starting", metadata: configuration.redactedSummary)
        if let (before, after) = descriptors {
            logger.info(
                "descriptor limit",
                metadata: ["fd.soft_before": "\(before.soft)", "fd.soft": "\(after.soft)", "fd.hard": "\(after.hard)"]
            )
        }
        // Runs MPS calls (curl); shut down after the service group below.
        let threadPool = NIOThreadPool(numberOfThreads: 8)
        threadPool.start()
        let application = Server.makeApplication(
            configuration: configuration, client: client, readiness: readiness, registry: registry,
            http: CurlClient(threadPool: threadPool), logger: logger,
            onServerRunning: { address in logger.info("listening", metadata: ["http.address": "\(address)"]) }
        )
        var groupConfiguration = ServiceGroupConfiguration(
            services: [.init(service: application)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            cancellationSignals: [],
            logger: logger
        )
        groupConfiguration.maximumGracefulShutdownDuration = configuration.shutdownTimeout
        let group = ServiceGroup(configuration: groupConfiguration)
        do {
            try await group.run()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            await client.shutdown()
            try? await threadPool.shutdownGracefully()
            throw CommandSupport.fail(
                "cannot listen on \(configuration.httpHost):\(configuration.httpPort): the address is in use "
                    + "(another mpshook or program holds it; set MPSHOOK_HTTP_PORT)"
            )
        } catch {
            await client.shutdown()
            try? await threadPool.shutdownGracefully()
            throw CommandSupport.failure(error, configuration: configuration)
        }
        await client.shutdown()
        try? await threadPool.shutdownGracefully()
        logger.info("stopped")
    }
}

/// `mpshook migrate`: applies pending migrations (or shows them with --status).
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Applies pending database migrations, forward-only, under an advisory lock.",
        discussion: AppConfiguration.environmentHelp
    )

    @Flag(name: .long, help: "Only show applied and pending migrations.")
    var status = false

    func run() async throws {
        let configuration = try await CommandSupport.loadConfiguration()
        let logger = CommandSupport.bootstrapLogging(configuration)
        let migrator = try CommandSupport.loadMigrator(configuration)
        let client = PostgresClient(configuration: configuration.database, logger: logger)
        do {
            if status {
                let current = try await migrator.status(client)
                for migration in migrator.migrations {
                    let state = current.applied.contains(migration.version) ? "applied" : "pending"
                    print("\(state)\t\(migration.name)\(migration.isAdditive ? "\t(additive)" : "")")
                }
                for name in current.ahead {
                    print("newer\t\(name)\t(additive; applied by a newer mpshook)")
                }
            } else {
                let applied = try await migrator.migrate(client, logger: logger)
                print(applied.isEmpty
                    ? "nothing to do: all \(migrator.migrations.count) migration(s) applied"
                    : "applied \(applied.count) migration(s): \(applied.map(\.name).joined(separator: ", "))")
            }
        } catch {
            await client.shutdown()
            throw CommandSupport.failure(error, configuration: configuration)
        }
        await client.shutdown()
    }
}

/// A command that failed for a reason worth one line on standard error.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

enum CommandSupport {
    /// The environment and the file `MPSHOOK_CONFIG_FILE` names, if any.
    static func loadSources() async throws -> ConfigurationSources {
        do {
            return try await ConfigurationSources.load(environment: ProcessInfo.processInfo.environment)
        } catch {
            throw fail("invalid configuration: \(error)")
        }
    }

    /// The configuration from the environment and `MPSHOOK_CONFIG_FILE`; every problem on
    /// standard error, then a non-zero exit.
    static func loadConfiguration() async throws -> AppConfiguration {
        try loadConfiguration(try await loadSources())
    }

    static func loadConfiguration(_ sources: ConfigurationSources) throws -> AppConfiguration {
        do {
            return try AppConfiguration(reader: sources.reader)
        } catch {
            for problem in error.problems {
                FileHandle.standardError.write(Data("mpshook: invalid configuration: \(problem)\n".utf8))
            }
            throw ExitCode.failure
        }
    }

    static func loadMigrator(_ configuration: AppConfiguration) throws -> Migrator {
        do {
            return try Migrator.load(directory: try configuration.resolvedMigrationsDirectory())
        } catch {
            throw fail("\(error)")
        }
    }

    private static let bootstrapped = BootstrapOnce()

    static func bootstrapLogging(_ configuration: AppConfiguration) -> Logger {
        bootstrapped.run {
            LoggingSystem.bootstrap { label in
                StreamLogHandler(label: label, level: configuration.logLevel, format: configuration.logFormat)
            }
        }
        var logger = Logger(label: "mpshook")
        logger.logLevel = configuration.logLevel
        return logger
    }

    /// Turns any error into a one-line message on standard error and a non-zero exit.
    static func failure(_ error: any Error, configuration: AppConfiguration) -> any Error {
        // Already reported (by `fail`): only the exit status is left to give.
        if let error = error as? ExitCode { return error }
        if let error = error as? CommandFailure { return fail(error.description) }
        if let error = error as? PostgresError {
            switch error.code {
            case .connectionFailed, .connectionClosed:
                return fail("cannot use the database at \(configuration.database.redactedURL): \(error.reason)")
            case .migration:
                return fail(error.reason)
            default:
                return fail("database error: \(error)")
            }
        }
        return fail("\(error)")
    }

    static func fail(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("mpshook: \(message)\n".utf8))
        return ExitCode.failure
    }
}

/// Runs a closure once per process (logging may be bootstrapped only once).
final class BootstrapOnce: Sendable {
    private let done = Mutex(false)
    func run(_ body: () -> Void) {
        let first = done.withLock { done in
            defer { done = true }
            return !done
        }
        if first { body() }
    }
}

extension MPSHookCommand {
    /// Parses the process arguments and runs the chosen subcommand; the executable's entry point.
    public static func start() async {
        await main()
    }
}

/// `mpshook notifications …`: stored notifications.
struct NotificationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notifications",
        abstract: "Work with stored MPS notifications.",
        subcommands: [Reapply.self]
    )

    /// `mpshook notifications reapply ID…|--failed`.
    struct Reapply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put failed (or the given failed/orphan) notifications back to be applied again, after a fix."
        )

        @Flag(name: .long, help: "Every notification whose application failed.")
        var failed = false

        @Argument(help: "Notification ids.")
        var ids: [Int64] = []

        func validate() throws {
            guard failed != !ids.isEmpty else {
                throw ValidationError("give notification ids or --failed (not both)")
            }
        }

        func run() async throws {
            let configuration = try await CommandSupport.loadConfiguration()
            let logger = CommandSupport.bootstrapLogging(configuration)
            let client = PostgresClient(configuration: configuration.database, logger: logger)
            do {
                let count = try await Applier.reapply(ids: failed ? nil : ids, client: client)
                print("requeued \(count) notification(s)")
            } catch {
                await client.shutdown()
                throw CommandSupport.failure(error, configuration: configuration)
            }
            await client.shutdown()
        }
    }
}
