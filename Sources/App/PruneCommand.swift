import ArgumentParser
import Foundation
import Postgres
import Store

/// `mpshook prune [--older-than AGE] [--attempts-older-than AGE] [--dry-run]`: one retention
/// pass now, as the service makes every interval (``Retention``), whether or not it is on.
struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Drop the raw body and headers of old notifications (and, when asked, delete old MPS call records) now.",
        discussion: """
            Prunes notifications received longer ago than --older-than that are applied or unsupported and whose job is no \
            longer running: their body and headers are dropped, the row and what was parsed from it kept (GET \
            /v1/notifications/{id} shows prunedAt). Pending, failed and orphan notifications, and everything of a running job, \
            are never pruned. With --attempts-older-than, MPS call records started longer ago (not of a running job) are \
            deleted too, and leave GET /v1/stats's call errors. Small batches, each its own transaction; one replica or \
            command prunes at a time. An age is seconds or a number with s, m, h or d: 30d, 12h.
            """
    )

    @Option(name: .long, help: ArgumentHelp("Prune notifications received longer ago than this.", valueName: "age"))
    var olderThan: String = "30d"

    @Option(name: .long, help: ArgumentHelp("Also delete MPS call records started longer ago than this.", valueName: "age"))
    var attemptsOlderThan: String?

    @Option(name: .long, help: ArgumentHelp("Rows per batch (1-100000).", valueName: "n"))
    var batchSize: Int = RetentionConfiguration().batchSize

    @Option(name: .long, help: ArgumentHelp("Milliseconds to wait between two batches (0-60000).", valueName: "ms"))
    var pauseMs: Int = Int(RetentionConfiguration().pause / .milliseconds(1))

    @Flag(name: .long, help: "Count what would be pruned; change nothing.")
    var dryRun = false

    func validate() throws {
        guard RetentionConfiguration.age(olderThan) != nil else {
            throw ValidationError("--older-than must be seconds or a number with s, m, h or d (30d), got \"\(olderThan.prefix(40))\"")
        }
        if let attemptsOlderThan, RetentionConfiguration.age(attemptsOlderThan) == nil {
            throw ValidationError("--attempts-older-than must be seconds or a number with s, m, h or d (90d), got \"\(attemptsOlderThan.prefix(40))\"")
        }
        guard (1...100_000).contains(batchSize) else { throw ValidationError("--batch-size must be between 1 and 100000") }
        guard (0...60_000).contains(pauseMs) else { throw ValidationError("--pause-ms must be between 0 and 60000") }
    }

    func run() async throws {
        let settings = RetentionConfiguration(
            enabled: true, age: RetentionConfiguration.age(olderThan) ?? .seconds(30 * 86_400),
            attemptsAge: attemptsOlderThan.flatMap(RetentionConfiguration.age), batchSize: batchSize, pause: .milliseconds(pauseMs)
        )
        let configuration = try await CommandSupport.loadConfiguration()
        let logger = CommandSupport.bootstrapLogging(configuration)
        let client = PostgresClient(configuration: configuration.database, logger: logger)
        do {
            let now = Date()
            if dryRun {
                let counts = try await RetentionStore(client: client).count(
                    notificationsBefore: now.addingTimeInterval(-Retention.seconds(settings.age)),
                    attemptsBefore: settings.attemptsAge.map { now.addingTimeInterval(-Retention.seconds($0)) }
                )
                Output.line("would prune \(counts.notifications) notification(s)"
                    + (settings.attemptsAge == nil ? "" : " and delete \(counts.attempts) call record(s)"))
            } else {
                let pass = try await Retention(client: client, configuration: settings, logger: logger).pass(now: now)
                Output.line("pruned \(pass.notifications) notification(s)"
                    + (settings.attemptsAge == nil ? "" : ", deleted \(pass.attempts) call record(s)"))
                if pass.yielded {
                    throw CommandFailure("another replica is pruning now: stopped; run again later to finish")
                }
            }
        } catch {
            await client.shutdown()
            throw CommandSupport.failure(error, configuration: configuration)
        }
        await client.shutdown()
    }
}
