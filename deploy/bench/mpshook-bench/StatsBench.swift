import ArgumentParser
import Foundation
import Logging
import Postgres
import Store

/// `stats`: times `GET /v1/stats`'s statement (``StatsStore/reportQuery(_:)``) and the whole
/// report (the statement and its reading) over the data set of deploy/bench/api-queries.sql for
/// windows of an hour to 31 days, p50/p99, with `EXPLAIN (ANALYZE, BUFFERS)`, written to the report.
struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Times the stats statement and the whole report (1 hour to 31 days) and writes a report with the plans."
    )

    @Option(help: "PostgreSQL URL of the loaded database.")
    var databaseURL: String

    @Option(help: "Timed runs per statement (a statement slower than 50 ms is run 3 times).")
    var runs = 200

    @Option(help: "The p99 target in milliseconds (a case above it is marked).")
    var targetMilliseconds = 5.0

    @Option(help: "Where to write the report (Markdown).")
    var report: String

    func run() async throws {
        let client = PostgresClient(
            configuration: PostgresConfiguration(url: databaseURL, maximumConnections: 1, statementTimeout: nil),
            logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        do {
            try await measure(client: client)
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
    }

    private func measure(client: PostgresClient) async throws {
        let now = try await client.query("SELECT max(received_at) FROM notifications")[0].decode(Date.self, at: 0)
        let windows: [(String, Int, StatsBucket)] = [
            ("1 hour by minute", 3600, .minute), ("24 hours by hour", 86_400, .hour), ("24 hours by minute", 86_400, .minute),
            ("7 days by hour", 7 * 86_400, .hour), ("31 days by day", 31 * 86_400, .day),
        ]
        // What the triggers appended (the load's, the migration's backfill) moved into the roll-up
        // first, as a running mpshook keeps it.
        var moved = 0
        while case let batch = try await StatsRollupStore(client: client).move(), batch > 0 { moved += batch }
        try await StatsRollupStore(client: client).vacuum()
        let explainer = ListingStore(client: client)
        var lines = [
            "# REST API stats queries", "",
            "- \"now\": \(now) (the newest notification); one connection, the client's round trip included; times in ms",
            "- \(moved) delta rows moved into the roll-up before measuring; the roll-up holds \(try await client.query("SELECT count(*) FROM stats_rollup")[0].decode(Int.self, at: 0)) rows",
            "- a statement is run \(runs) times after 3 unmeasured runs, or 3 times when one run takes more than 50 ms", "",
            "| window | statement | p50 | p99 | runs |", "|---|---|---:|---:|---:|",
        ]
        var plans: [String] = []
        for (label, seconds, bucket) in windows {
            let window = StatsWindow.covering(seconds: seconds, until: now, bucket: bucket)
            let statements: [(String, PostgresQuery)] = [("the statement", StatsStore.reportQuery(window))]
            for (name, query) in statements {
                let (p50, p99, count) = try await time { _ = try await client.query(query) }
                lines.append("| \(label) | \(name) | \(Self.format(p50)) | \(Self.mark(p99, target: targetMilliseconds)) | \(count) |")
                print(lines.last ?? "")
                plans.append("### \(label): \(name)\n\n```\n\(try await explainer.explain(query).joined(separator: "\n"))\n```\n")
            }
            let store = StatsStore(client: client)
            let (p50, p99, count) = try await time { _ = try await store.report(window) }
            lines.append("| \(label) | **whole report** | \(Self.format(p50)) | \(Self.mark(p99, target: targetMilliseconds)) | \(count) |")
            print(lines.last ?? "")
        }
        lines += ["", "## Plans (`EXPLAIN (ANALYZE, BUFFERS)`)", ""]
        try (lines + plans).joined(separator: "\n").write(toFile: report, atomically: true, encoding: .utf8)
        print("report: \(report)")
    }

    private func time(_ body: () async throws -> Void) async throws -> (p50: Double, p99: Double, runs: Int) {
        let clock = ContinuousClock()
        var times: [Double] = []
        let warm = clock.now
        for _ in 0..<3 { try await body() }
        let count = (clock.now - warm) / 3 > .milliseconds(50) ? 3 : runs
        for _ in 0..<count {
            let start = clock.now
            try await body()
            times.append(Double((clock.now - start) / .microseconds(1)) / 1000)
        }
        times.sort()
        func percentile(_ p: Double) -> Double { times[min(times.count - 1, Int((p * Double(times.count)).rounded(.up)) - 1)] }
        return (percentile(0.50), percentile(0.99), count)
    }

    static func format(_ milliseconds: Double) -> String {
        String(format: "%.2f", milliseconds)
    }

    static func mark(_ p99: Double, target: Double) -> String {
        p99 >= target ? "**\(format(p99))**" : format(p99)
    }
}
