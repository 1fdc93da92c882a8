import Curl
import Foundation
public import Logging
import Metrics
import NIOPosix
public import Postgres
import Redacting
public import ServiceLifecycle
import Store
import Workflows

/// Delivers the "job finished" webhooks from the outbox (`webhook_deliveries`): claims due
/// deliveries (`FOR UPDATE SKIP LOCKED`, leased, so replicas share them), builds each payload
/// once, checks where the URL leads (``AddressGuard``), signs (``WebhookSigner``) and POSTs it,
/// and records every attempt. A 2xx answer delivers; anything else is retried on the
/// ``WebhookRetrySchedule`` until its last attempt, which leaves the delivery `failed`.
///
/// It has its own Curl thread pool (`concurrency` threads) and its own limit on attempts in
/// flight, so a slow or hanging receiver never takes a thread from the MPS calls of the
/// dispatcher, and never touches the NotifyUrl door.
public final class WebhookDeliverer: Service, Sendable {
    let configuration: WebhookConfiguration
    let client: PostgresClient
    let store: WebhookStore
    let reader: JobReader
    let signer: WebhookSigner
    let logger: Logger
    /// Overrides the system resolver (tests).
    let resolver: AddressGuard.Resolver?
    let listener: PostgresListener
    /// True when ``listener`` is this deliverer's own, run by it (none was shared with it).
    let runsListener: Bool

    /// Woken through `listener`, the process's shared one (without it, the deliverer runs a
    /// listener of its own).
    public init(
        configuration: WebhookConfiguration, client: PostgresClient, logger: Logger, resolver: AddressGuard.Resolver? = nil,
        listener: PostgresListener? = nil
    ) {
        self.configuration = configuration
        self.listener = listener ?? PostgresListener(client: client, logger: logger)
        self.runsListener = listener == nil
        self.client = client
        self.store = WebhookStore(client: client)
        self.reader = JobReader(client: client)
        self.signer = WebhookSigner(secrets: configuration.secrets)
        self.logger = logger
        self.resolver = resolver
    }

    /// Something for the claiming loop to look at.
    enum Event: Sendable {
        /// Deliveries may be due (a NOTIFY, or the poll interval passed).
        case wake
        /// An attempt ended: its slot is free.
        case done
    }

    public func run() async throws {
        let threadPool = NIOThreadPool(numberOfThreads: configuration.concurrency)
        threadPool.start()
        let http = CurlClient(
            threadPool: threadPool,
            configuration: CurlConfiguration(
                connectTimeout: configuration.connectTimeout, totalTimeout: configuration.timeout, maxResponseBytes: 64 << 10,
                // A redirect would lead past the address check.
                followRedirects: false, userAgent: "mpshook-webhooks"
            )
        )
        let systemResolver: AddressGuard.Resolver = { host in try await http.resolve(host: host) }
        let guardian = AddressGuard(allowList: configuration.allowList, resolve: resolver ?? systemResolver)
        await cancelWhenGracefulShutdown {
            await self.loop(http: http, guardian: guardian)
        }
        try? await threadPool.shutdownGracefully()
    }

    private func loop(http: CurlClient, guardian: AddressGuard) async {
        let (events, continuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .bufferingNewest(1024))
        await withDiscardingTaskGroup { group in
            if runsListener {
                group.addTask { try? await self.listener.run() }
            }
            group.addTask { await self.listen(continuation) }
            var inFlight = 0
            var backoff = Duration.milliseconds(100)
            continuation.yield(.wake)
            for await event in events {
                if Task.isCancelled { break }
                if case .done = event { inFlight -= 1 }
                let free = configuration.concurrency - inFlight
                guard free > 0 else { continue }
                let claimed: [ClaimedDelivery]
                do {
                    claimed = try await store.claim(limit: free, lease: configuration.timeout * 2 + .seconds(30))
                    backoff = .milliseconds(100)
                } catch {
                    if Task.isCancelled { break }
                    logger.warning("claiming webhook deliveries failed; retrying", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: backoff)
                    backoff = min(backoff * 2, .seconds(5))
                    continue
                }
                inFlight += claimed.count
                for delivery in claimed {
                    group.addTask {
                        await self.attempt(delivery, http: http, guardian: guardian)
                        continuation.yield(.done)
                    }
                }
            }
            continuation.finish()
            group.cancelAll()
        }
    }

    /// Wakes the loop on every NOTIFY of ``WebhookStore/channel`` (merged), and at least every
    /// poll interval (the safety net for a wake-up lost with the listening session).
    private func listen(_ continuation: AsyncStream<Event>.Continuation) async {
        let wakeups = listener.subscribe([WebhookStore.channel])
        defer { wakeups.cancel() }
        while !Task.isCancelled {
            _ = await wakeups.next(within: configuration.pollInterval)
            if Task.isCancelled { return }
            continuation.yield(.wake)
        }
    }

    /// One attempt of one claimed delivery, recorded with its outcome.
    func attempt(_ delivery: ClaimedDelivery, http: CurlClient, guardian: AddressGuard) async {
        let number = delivery.attempts + 1
        var metadata: Logger.Metadata = [
            "webhook.id": "\(delivery.id.uuidString.lowercased())", "job.id": "\(delivery.jobId.uuidString.lowercased())",
            "webhook.url": "\(Redaction.url(delivery.url))", "webhook.attempt": "\(number)",
        ]
        let started = Date()
        let clock = ContinuousClock.now
        func elapsed() -> Int { Int((ContinuousClock.now - clock).components.seconds * 1000 + (ContinuousClock.now - clock).components.attoseconds / 1_000_000_000_000_000) }

        let payload: String
        do {
            payload = try await self.payload(for: delivery)
        } catch {
            if Task.isCancelled { return }
            // The database is away: the lease runs out and the delivery is claimed again.
            logger.warning("webhook payload could not be built; the delivery will be claimed again", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            return
        }

        var status: Int?
        var failure: String?
        var permanent = false
        switch await guardian.check(delivery.url) {
        case .failure(let refusal):
            failure = refusal.description
            if case .refused = refusal { permanent = true }
        case .success(let target):
            var settings = http.configuration
            settings.pinnedAddresses = target.pinned
            let timestamp = Int64(Date().timeIntervalSince1970)
            let body = Array(payload.utf8)
            let headers = [("content-type", "application/json")]
                + signer.headers(id: delivery.id.uuidString.lowercased(), timestamp: timestamp, body: body)
            do {
                let response = try await http.execute(
                    HTTPRequest(method: "POST", url: target.url.text, headers: headers, body: body), configuration: settings
                )
                status = response.status
                if !(200..<300).contains(response.status) { failure = "the receiver answered \(response.status)" }
            } catch {
                // Stopping: the attempt is not recorded; the lease runs out and it is made again.
                if error.code == .cancelled { return }
                failure = error.message
            }
        }

        let outcome: DeliveryOutcome
        if failure == nil {
            outcome = .delivered
        } else if !permanent, let delay = configuration.schedule.delay(afterAttempt: number, jitter: Double.random(in: 0...1)) {
            outcome = .retry(after: delay)
        } else {
            outcome = .failed
        }
        let attempt = DeliveryAttempt(startedAt: started, httpStatus: status, latencyMilliseconds: elapsed(), error: failure)
        do {
            try await store.finish(delivery.id, attempt: attempt, outcome: outcome)
        } catch {
            logger.warning("a webhook attempt could not be recorded", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            return
        }
        metadata["webhook.latency_ms"] = "\(attempt.latencyMilliseconds)"
        if let status { metadata["http.status"] = "\(status)" }
        switch outcome {
        case .delivered:
            WebhookMetrics.attempts(.delivered)
            logger.info("webhook delivered", metadata: metadata)
        case .retry(let after):
            WebhookMetrics.attempts(.retry)
            metadata["error"] = "\(failure ?? "")"
            metadata["retry.in_ms"] = "\(after / .milliseconds(1))"
            logger.info("webhook attempt failed; it will be retried", metadata: metadata)
        case .failed:
            WebhookMetrics.attempts(.failed)
            metadata["error"] = "\(failure ?? "")"
            logger.warning("webhook delivery failed for good (mpshook deliveries redeliver ID sends it again)", metadata: metadata)
        }
    }

    /// The stored payload, or one built from the job now and stored (whoever stores first wins).
    func payload(for delivery: ClaimedDelivery) async throws -> String {
        if let payload = delivery.payload { return payload }
        guard let view = try await reader.job(delivery.jobId) else {
            throw PostgresError(code: .decoding, reason: "job \(delivery.jobId) is missing", column: "job_id")
        }
        return try await store.keepPayload(try WebhookPayload(view).encoded(), for: delivery.id)
    }
}

/// `mpshook_webhook_attempts_total{outcome}`: each attempt to deliver a completion webhook.
public enum WebhookMetrics {
    enum Outcome: String, CaseIterable { case delivered, retry, failed }

    private static let counters: [Outcome: Counter] = Dictionary(uniqueKeysWithValues: Outcome.allCases.map { outcome in
        (outcome, Counter(label: "mpshook_webhook_attempts_total", dimensions: [("outcome", outcome.rawValue)]))
    })

    /// Makes every series now, so each is scraped (at zero) before its first event.
    public static func prepare() {
        _ = counters
    }

    static func attempts(_ outcome: Outcome) {
        counters[outcome]?.increment()
    }
}
