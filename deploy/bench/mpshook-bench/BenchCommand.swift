import ArgumentParser
import Correlation
import Foundation
import Hashing
import Logging
import MPS
import Postgres

/// The benchmark's helper: `preload` creates submitted steps in a migrated database and writes
/// what the load generator (deploy/bench/intake.lua) needs to send verified notifications for
/// them: each step's NotifyUrl token and SessionContext, its output count and notify mode, and
/// one Timestamp/Sign pair valid for the whole run.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mpshook-bench",
        abstract: "Helpers for deploy/bench/run.sh and deploy/bench/api-queries.sh.",
        subcommands: [Preload.self, Listings.self, Stats.self]
    )
}

struct Preload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Creates N submitted steps (1–3 outputs each, Change and Finish mode mixed) and writes the load generator's step file."
    )

    @Option(help: "PostgreSQL URL of a migrated database.")
    var databaseURL: String

    @Option(help: "How many steps (one job each).")
    var steps = 100_000

    @Option(help: "The service's MPSHOOK_CALLBACK_KEYS (kid:base64url-key); the first key signs the tokens.")
    var callbackKeys: String

    @Option(help: "The service's MPSHOOK_NOTIFY_KEY.")
    var notifyKey: String

    @Option(help: "Where to write the step file (tab-separated).")
    var out: String

    func run() async throws {
        guard let entry = callbackKeys.split(separator: ",").first,
              let colon = entry.firstIndex(of: ":"),
              let keyId = CallbackTokens.KeyId(String(entry[..<colon])),
              let key = Base64URL.decode(String(entry[entry.index(after: colon)...]))
        else { throw ValidationError("--callback-keys: expected kid:base64url-key") }
        let tokens = try CallbackTokens(keys: [keyId: key], current: keyId)
        let client = PostgresClient(
            configuration: PostgresConfiguration(url: databaseURL, maximumConnections: 2),
            logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        do {
            try await preload(client: client, tokens: tokens)
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
    }

    private func preload(client: PostgresClient, tokens: CallbackTokens) async throws {
        // Valid for the whole run: an hour from now.
        let timestamp = Int64(Date().timeIntervalSince1970) + 3600
        var lines = ["#\t\(timestamp)\t\(NotificationVerifier.sign(timestamp: timestamp, notifyKey: notifyKey))"]
        lines.reserveCapacity(steps + 1)
        let chunk = 5000
        var created = 0
        while created < steps {
            let count = min(chunk, steps - created)
            var jobIds: [UUID] = [], stepIds: [UUID] = [], correlations: [UUID] = [], contexts: [String] = []
            var taskIds: [String] = [], outputCounts: [Int] = [], modes: [String] = []
            for index in created..<(created + count) {
                let correlation = CorrelationId()
                jobIds.append(UUID())
                stepIds.append(UUID())
                correlations.append(correlation.uuid)
                contexts.append(correlation.sessionContext)
                taskIds.append("2600011111-BatchTask-bench\(index)")
                outputCounts.append(index % 3 + 1)
                modes.append(index % 2 == 0 ? "Change" : "Finish")
                lines.append("\(tokens.token(for: correlation))\t\(correlation.sessionContext)\t\(index % 3 + 1)\t\(index % 2 == 0 ? "C" : "F")\t\(taskIds.last ?? "")")
            }
            try await client.withTransaction { connection in
                _ = try await connection.query("""
                    INSERT INTO jobs (id) SELECT unnest(\(jobIds)::uuid[])
                    """)
                _ = try await connection.query("""
                    INSERT INTO steps (id, job_id, correlation_id, session_context, request, state, task_id, submit_attempts, submitted_at)
                    SELECT step_id, job_id, correlation_id, session_context,
                           jsonb_build_object('TaskNotifyConfig', jsonb_build_object('NotifyMode', mode)), 'submitted', task_id, 1, now()
                    FROM unnest(\(stepIds)::uuid[], \(jobIds)::uuid[], \(correlations)::uuid[], \(contexts)::text[],
                                \(taskIds)::text[], \(modes)::text[])
                        AS step(step_id, job_id, correlation_id, session_context, task_id, mode)
                    """)
                _ = try await connection.query("""
                    INSERT INTO outputs (step_id, input_index, input_url)
                    SELECT step_id, input_index, 'https://media.example.com/videos/' || step_id || '/' || input_index || '.mp4'
                    FROM unnest(\(stepIds)::uuid[], \(outputCounts)::int[]) AS step(step_id, outputs),
                         generate_series(0, outputs - 1) AS input_index
                    """)
            }
            created += count
        }
        _ = try await client.query("ANALYZE jobs")
        _ = try await client.query("ANALYZE steps")
        _ = try await client.query("ANALYZE outputs")
        try (lines.joined(separator: "\n") + "\n").write(toFile: out, atomically: true, encoding: .utf8)
        print("preloaded \(created) steps; step file: \(out)")
    }
}
