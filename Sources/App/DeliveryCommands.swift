import ArgumentParser
import Foundation
import API
import Logging
import Postgres
import Redacting
import Store
import Workflows

/// `mpshook deliveries …`: the "job finished" webhooks in the outbox.
struct DeliveriesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliveries",
        abstract: "List the \"job finished\" webhook deliveries, and send a failed one again.",
        subcommands: [List.self, Redeliver.self]
    )

    /// `mpshook deliveries list [--state S] [--json]`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List webhook deliveries, newest first: id, state, attempts, last HTTP status, job, URL (secrets removed), last error."
        )

        @Option(name: .long, help: ArgumentHelp("Only deliveries in this state: pending, delivering, delivered or failed.", valueName: "state"))
        var state: String?

        @Option(name: .long, help: ArgumentHelp("Show at most this many.", valueName: "n"))
        var limit: Int = 100

        @Flag(name: .long, help: "Print JSON (an array of deliveries).")
        var json = false

        func validate() throws {
            if let state, DeliveryState(rawValue: state) == nil {
                throw ValidationError("--state must be one of \(DeliveryState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be between 1 and 10000") }
        }

        func run() async throws {
            let deliveries = try await DeliveryCommandSupport.withStore { store, _ in
                try await store.list(state: state.flatMap(DeliveryState.init(rawValue:)), limit: limit)
            }
            if json {
                let encoder = APIJSON.encoder(pretty: true)
                let data = try encoder.encode(deliveries.map(DeliveryDocument.init))
                Output.line(String(decoding: data, as: UTF8.self))
                return
            }
            if deliveries.isEmpty {
                Output.line(state.map { "no \($0) deliveries" } ?? "no deliveries")
                return
            }
            for delivery in deliveries {
                Output.line(Self.line(delivery))
            }
        }

        static func line(_ delivery: DeliveryView) -> String {
            var parts = [
                APIJSON.id(delivery.id), delivery.state.rawValue, "attempts=\(delivery.attempts)",
                "status=\(delivery.lastStatus.map(String.init) ?? "-")", "job=\(APIJSON.id(delivery.jobId))", Redaction.url(delivery.url),
            ]
            if delivery.state == .pending { parts.append("next=\(WorkflowText.timestamp(delivery.nextAttemptAt))") }
            if let error = delivery.lastError { parts.append("error=\(error)") }
            return parts.joined(separator: "  ")
        }
    }

    /// `mpshook deliveries redeliver ID --reason TEXT`.
    struct Redeliver: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a failed (or delivered) webhook again: back to pending, due now, same webhook-id and body.",
            discussion: """
                The delivery gets a new round of attempts (its counter restarts; every earlier attempt stays \
                recorded). Who did it and why are recorded in operator_actions and in a log line.
                """
        )

        @Argument(help: "The delivery id (its webhook-id, a UUID).")
        var id: String

        @OptionGroup var audit: AuditOptions

        func run() async throws {
            guard let deliveryId = UUID(uuidString: id) else { throw ValidationError("\"\(id)\" is not a delivery id (a UUID)") }
            let outcome = try await DeliveryCommandSupport.withStore { store, logger in
                let outcome = try await store.redeliver(deliveryId, actor: audit.resolvedActor, reason: audit.reason)
                if case .queued(let previous) = outcome {
                    logger.notice(
                        "webhook delivery put back to pending by a person",
                        metadata: [
                            "webhook.id": "\(APIJSON.id(deliveryId))", "webhook.previous_state": "\(previous.rawValue)",
                            "operator.actor": "\(audit.resolvedActor)", "operator.reason": "\(audit.reason)",
                        ]
                    )
                }
                return outcome
            }
            switch outcome {
            case .queued(let previous):
                Output.line("delivery \(APIJSON.id(deliveryId)): \(previous.rawValue) → pending (sent again shortly)")
            case .alreadyQueued(let state):
                throw CommandSupport.fail("delivery \(APIJSON.id(deliveryId)) is \(state.rawValue) already: nothing to do")
            case .notFound:
                throw CommandSupport.fail("no delivery \(APIJSON.id(deliveryId))")
            }
        }
    }
}

/// One delivery as `deliveries list --json` prints it.
struct DeliveryDocument: Encodable {
    var id: String
    var jobId: String
    var url: String
    var state: String
    var attempts: Int
    var nextAttemptAt: Date
    var lastStatus: Int?
    var lastError: String?
    var createdAt: Date
    var deliveredAt: Date?

    init(_ view: DeliveryView) {
        id = APIJSON.id(view.id)
        jobId = APIJSON.id(view.jobId)
        url = Redaction.url(view.url)
        state = view.state.rawValue
        attempts = view.attempts
        nextAttemptAt = view.nextAttemptAt
        lastStatus = view.lastStatus
        lastError = view.lastError
        createdAt = view.createdAt
        deliveredAt = view.deliveredAt
    }
}

enum DeliveryCommandSupport {
    /// Runs `body` with a store on the configured database; any failure is one line on
    /// standard error and exit status 1.
    static func withStore<Result>(_ body: (WebhookStore, Logger) async throws -> Result) async throws -> Result {
        let configuration = try await CommandSupport.loadConfiguration()
        let logger = CommandSupport.bootstrapLogging(configuration)
        let client = PostgresClient(configuration: configuration.database, logger: logger)
        do {
            let result = try await body(WebhookStore(client: client), logger)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw CommandSupport.failure(error, configuration: configuration)
        }
    }
}
