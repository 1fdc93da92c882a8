import Correlation
import Curl
import Foundation
import Hashing
import Logging
import MPSEmulator
import NIOPosix
import Postgres
import Store
import Testing
import TestSupport

/// `mpshook serve` (the real binary, so the metrics system is bootstrapped as in production) runs
/// jobs to the end against the emulator; its `/metrics` scrape then holds every family the
/// service documents, non-zero where the run exercised it, and every metric name the Grafana
/// dashboard and the alert rules use.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct MetricsEndToEndTests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Families the run below makes non-zero (the sum of their samples, or of `_count` for a histogram).
    static let exercised = [
        "mpshook_intake_stored_total", "mpshook_intake_rejected_total", "mpshook_intake_duration_seconds",
        "mpshook_intake_commit_seconds", "mpshook_intake_batch_rows",
        "mpshook_applier_notifications_total", "mpshook_applier_lag_seconds", "mpshook_callback_latency_seconds",
        "mpshook_mps_calls_total", "mpshook_mps_call_duration_seconds", "mpshook_mps_rate_limit_wait_seconds",
        "mpshook_reconciler_leader", "mpshook_reconciler_leader_changes_total", "mpshook_reconciler_rounds_total",
        "mpshook_webhook_attempts_total",
        "mpshook_db_pool_checkout_wait_seconds", "mpshook_db_pool_max_connections", "mpshook_database_up", "mpshook_ready",
        "mpshook_http_requests_total", "mpshook_http_request_duration_seconds",
    ]

    /// Families present from the start (at zero until their event happens), which this run need not move.
    static let present = [
        "mpshook_intake_unavailable_total", "mpshook_intake_queue_rows", "mpshook_intake_queue_bytes",
        "mpshook_applier_pending_notifications", "mpshook_applier_oldest_pending_seconds",
        "mpshook_dispatch_due_steps", "mpshook_dispatch_oldest_due_seconds",
        "mpshook_reconciler_polls_total", "mpshook_reconciler_lost_steps_total",
        "mpshook_jobs_in_state", "mpshook_steps_in_state",
        "mpshook_db_pool_in_use_connections", "mpshook_db_pool_idle_connections", "mpshook_db_pool_waiting_requests",
        "mpshook_db_pool_checkout_timeouts_total", "mpshook_http_connections_closed_total",
    ]

    static let request = #"{"InputInfo":[{"Type":"URL","UrlInputInfo":{"Url":"https://e.com/ok.mp4"}},{"Type":"URL","UrlInputInfo":{"Url":"https://e.com/fail.mp4"}}],"OutputStorage":{"Type":"COS","CosOutputStorage":{"Bucket":"b-125","Region":"ap-guangzhou"}},"OutputDir":"/out/","SmartSubtitlesTask":{"Definition":0,"RawParameter":{"SubtitleType":0,"VideoSrcLanguage":"en","SubtitleFormat":"vtt"}},"TaskNotifyConfig":{"NotifyType":"URL","NotifyMode":"Change"}}"#

    @Test func aScrapeAfterJobsRanHoldsEveryFamilyAndEveryNameTheDashboardAndAlertsUse() async throws {
        let migrator = try Migrator.load(directory: TestDatabase.repositoryRoot.appendingPathComponent("migrations").path)
        let callbackKeys = "metrics:" + Base64URL.encode(SecureRandom.bytes(count: 32))
        // Every callback sent twice (duplicates at the door); a limit of one call a second at the
        // emulator, so some of the three submissions are refused with RequestLimitExceeded first.
        let emulator = EmulatorConfiguration(
            processingTime: .milliseconds(300), rateLimit: 1, callbackRetryDelay: .milliseconds(200),
            faults: EmulatorFaults(duplicateShare: 1)
        )
        let threadPool = NIOThreadPool(numberOfThreads: 2)
        threadPool.start()
        defer { threadPool.shutdownGracefully { _ in } }
        let http = CurlClient(threadPool: threadPool)
        try await TestDatabase.withFreshDatabase { url in
            try await TestDatabase.withClient(url: url) { client in
                try await migrator.migrate(client, logger: Self.quiet)
                try await EmulatorServer.withRunningEmulator(configuration: emulator) { running in
                    let port = try #require(freeLoopbackPort())
                    let deadPort = try #require(freeLoopbackPort())
                    // Each job's completion webhook goes to a loopback port nothing listens on: attempted and retried.
                    // The jobs exist before the service starts, so its dispatcher sends their three calls
                    // together (at up to 20 a second) into the emulator's one a second, whatever the
                    // machine's load: at least one is refused.
                    let jobs = JobStore(client: client)
                    for _ in 0..<3 {
                        let correlation = CorrelationId()
                        var job = NewJob(steps: [NewStep(
                            correlationId: correlation.uuid, sessionContext: correlation.sessionContext, request: JSONBText(Self.request),
                            inputURLs: ["https://e.com/ok.mp4", "https://e.com/fail.mp4"]
                        )])
                        job.callbackURL = "http://127.0.0.1:\(deadPort)/hook"
                        _ = try await jobs.create(job)
                    }
                    let service = try WorkflowCrashTests.serve(
                        database: url, port: port, emulator: running, callbackKeys: callbackKeys,
                        extra: [
                            "MPSHOOK_WEBHOOK_KEYS": "k1:whsec_" + Base64.encode(SecureRandom.bytes(count: 32)),
                            "MPSHOOK_WEBHOOK_ALLOW": "127.0.0.0/8",
                            "MPSHOOK_WEBHOOK_RETRY_BASE": "0.1",
                            "MPSHOOK_WEBHOOK_RETRY_MAX": "0.2",
                        ]
                    )
                    defer { service.signal(SIGKILL); service.removeFiles() }
                    let base = "http://127.0.0.1:\(port)"
                    let ready = try await TestDatabase.eventually(within: .seconds(30)) {
                        (try? await http.execute(Curl.HTTPRequest(url: base + "/readyz")))?.status == 200
                    }
                    try #require(ready, "not ready; log: \(service.standardError.suffix(2000))")

                    // A callback with a wrong token (401, a rejection) and an API read without a key (401).
                    let forged = try await http.execute(Curl.HTTPRequest(
                        method: "POST", url: base + "/mps/notify?token=forged",
                        headers: [("Content-Type", "application/json")],
                        body: Array(#"{"EventType":"BatchTask","SessionContext":"mh1:00000000000000000000000000000000"}"#.utf8)
                    ))
                    #expect(forged.status == 401)
                    let unauthorized = try await http.execute(Curl.HTTPRequest(url: base + "/v1/jobs/\(UUID())"))
                    #expect(unauthorized.status == 401)

                    let finished = try await TestDatabase.eventually(within: .seconds(60)) {
                        try await client.query("SELECT count(*) FROM jobs WHERE state <> 'running'")[0].decode(Int.self, at: 0) == 3
                    }
                    try #require(finished, "jobs did not finish; log: \(service.standardError.suffix(2000))")

                    // Counters move as things happen; the gauges from the database every few seconds.
                    var scrape = MetricsScrape(text: "")
                    let settled = try await TestDatabase.eventually(within: .seconds(30)) {
                        guard let response = try? await http.execute(Curl.HTTPRequest(url: base + "/metrics")), response.status == 200 else {
                            return false
                        }
                        scrape = MetricsScrape(text: String(decoding: response.body, as: UTF8.self))
                        return Self.exercised.allSatisfy { scrape.total($0) > 0 }
                    }
                    for family in Self.exercised {
                        #expect(scrape.total(family) > 0, "\(family) is zero or missing")
                    }
                    #expect(settled, "log: \(service.standardError.suffix(2000))")
                    for family in Self.present {
                        #expect(scrape.has(family), "\(family) is missing")
                    }
                    #expect(scrape.value("mpshook_intake_stored_total", ["outcome": "duplicate"]) ?? 0 > 0)
                    #expect(scrape.value("mpshook_intake_rejected_total", ["reason": "token"]) == 1)
                    #expect(scrape.value("mpshook_mps_calls_total", ["action": "BatchProcessMedia", "code": "RequestLimitExceeded", "class": "retryable"]) ?? 0 > 0)
                    #expect(scrape.value("mpshook_mps_calls_total", ["action": "BatchProcessMedia", "code": "none", "class": "success"]) == 3)
                    #expect(scrape.value("mpshook_callback_latency_seconds_count", ["state": "partially_failed"]) == 3)
                    #expect(scrape.value("mpshook_http_requests_total", ["route": "/v1/jobs/{id}", "method": "GET", "status_class": "4xx"]) == 1)
                    // Bounded labels: no raw path (the job id above) and no token in any sample.
                    #expect(!scrape.text.contains("forged"))
                    #expect(!scrape.text.lowercased().contains("/v1/jobs/0") && !scrape.text.contains("token="))

                    // Every name the dashboard and the alerts use is in this scrape.
                    let deploy = TestDatabase.repositoryRoot.appendingPathComponent("deploy")
                    for file in ["grafana/mpshook.json", "prometheus/alerts.yml"] {
                        let text = try String(contentsOf: deploy.appendingPathComponent(file), encoding: .utf8)
                        let used = MetricsScrape.metricNames(in: text)
                        #expect(!used.isEmpty, "\(file) uses no mpshook metric")
                        for name in used.sorted() {
                            #expect(scrape.sampleNames.contains(name), "\(file) uses \(name), which the scrape does not have")
                        }
                    }
                }
            }
        }
    }
}

/// A Prometheus text exposition read into samples: name, labels, value.
struct MetricsScrape {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    let text: String
    let samples: [Sample]

    init(text: String) {
        self.text = text
        var samples: [Sample] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            let series = line[..<space]
            var labels: [String: String] = [:]
            let name: Substring
            if let open = series.firstIndex(of: "{"), series.hasSuffix("}") {
                name = series[..<open]
                let inner = series[series.index(after: open)..<series.index(before: series.endIndex)]
                // Label values here never hold `",` (bounded, known values).
                for pair in inner.split(separator: "\",") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    guard parts.count == 2 else { continue }
                    labels[String(parts[0])] = String(parts[1].drop { $0 == "\"" }.prefix { $0 != "\"" })
                }
            } else {
                name = series
            }
            samples.append(Sample(name: String(name), labels: labels, value: value))
        }
        self.samples = samples
    }

    /// Every sample name (`…_bucket`, `…_count` and `…_sum` for a histogram).
    var sampleNames: Set<String> { Set(samples.map(\.name)) }

    /// True when the family has a sample (a histogram's `_count` counts).
    func has(_ family: String) -> Bool {
        samples.contains { $0.name == family || $0.name == family + "_count" }
    }

    /// The family's samples summed (for a histogram, its `_count`s).
    func total(_ family: String) -> Double {
        let counts = samples.filter { $0.name == family + "_count" }
        if !counts.isEmpty { return counts.reduce(0) { $0 + $1.value } }
        return samples.filter { $0.name == family }.reduce(0) { $0 + $1.value }
    }

    /// The one sample of `name` whose labels include `labels`, summed over the rest.
    func value(_ name: String, _ labels: [String: String]) -> Double? {
        let matching = samples.filter { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }
        return matching.isEmpty ? nil : matching.reduce(0) { $0 + $1.value }
    }

    /// `mpshook_…` names used in a dashboard or rule file.
    static func metricNames(in text: String) -> Set<String> {
        var names: Set<String> = []
        var rest = Substring(text)
        while let start = rest.range(of: "mpshook_") {
            let tail = rest[start.lowerBound...]
            let name = tail.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            names.insert(String(name))
            rest = tail.dropFirst(name.count)
        }
        return names
    }
}
