import Access
public import Foundation
import Hummingbird
import Logging
public import Postgres
public import Store

/// The "job finished" webhooks in the outbox (``WebhookStore``), as `mpshook deliveries` shows
/// and acts on them:
///
/// - `GET /v1/deliveries` (scope `read`): newest first, filtered by `state` (any of) and `jobId`,
///   keyset-paged (`cursor`, `limit`).
/// - `POST /v1/deliveries/{id}/redeliver` (scope `admin`) `{"reason": "…"}`: a `failed` (or
///   `delivered`) delivery back to pending, due now, with the same `webhook-id` and body; audited
///   with the API key. `200` with a ``RedeliveryDocument``; `404` for an unknown or malformed id;
///   `409` for one that is pending or being delivered already (nothing to do).
public struct DeliveriesController: Sendable {
    static let list = PageList.deliveries
    static let parameters: Set<String> = QueryReader.paging.union(["state", "jobId"])

    let webhooks: WebhookStore
    let listing: ListingStore

    public init(client: PostgresClient) {
        self.webhooks = WebhookStore(client: client)
        self.listing = ListingStore(client: client)
    }

    /// Adds the routes to the API's scoped groups.
    public func register(on routes: APIRoutes) {
        routes.on(.get, "deliveries", scope: .read) { request, context in try await self.list(request, context: context) }
        routes.on(.post, "deliveries/{id}/redeliver", scope: .admin) { request, context in
            try await self.redeliver(try await ActionBody.read(request, members: [.reason]), context: context)
        }
    }

    func list(_ request: Request, context: APIRequestContext) async throws(APIProblem) -> Response {
        let query = try QueryReader(request, allowed: Self.parameters)
        let filter = DeliveryFilter(states: try query.values("state", as: DeliveryState.self), jobId: try query.uuid("jobId"))
        let after = try query.position(in: Self.list, id: CursorID.uuid)
        let limit = try query.limit()
        let page = try await DatabaseCall.run("deliveries not read", context: context) {
            try await listing.deliveries(filter, after: after, limit: limit)
        }
        return try APIResponse.json(.ok, Page(
            items: page.items.map(DeliveryDocument.init), nextCursor: page.next.map { PageCursor.after($0, in: Self.list) }
        ))
    }

    func redeliver(_ body: ActionBody, context: APIRequestContext) async throws(APIProblem) -> Response {
        let principal = try context.principal()
        let id = try context.uuid(notFound: .deliveryNotFound)
        let reason = body["reason"] ?? ""
        let outcome = try await DatabaseCall.run("delivery not put back", context: context) {
            try await webhooks.redeliver(id, actor: principal.actor, reason: reason)
        }
        let previous: DeliveryState
        switch outcome {
        case .notFound:
            throw .deliveryNotFound
        case .alreadyQueued(let state):
            throw .actionNotAllowed("the delivery is \(state.rawValue) already: nothing to do")
        case .queued(let state):
            previous = state
        }
        // The line `mpshook deliveries redeliver` writes, with the key as the actor.
        context.logger.notice(
            "webhook delivery put back to pending by a person",
            metadata: [
                "webhook.id": "\(APIJSON.id(id))", "webhook.previous_state": "\(previous.rawValue)",
                "operator.actor": "\(principal.actor)", "operator.reason": "\(String(reason.prefix(200)))",
            ]
        )
        let view = try await DatabaseCall.run("delivery not read", context: context) { try await listing.delivery(id) }
        guard let view else { throw .internalError }
        return try APIResponse.json(.ok, RedeliveryDocument(previousState: previous, delivery: DeliveryDocument(view)))
    }
}

/// One "job finished" webhook delivery: where it goes (the URL without query, fragment or
/// userinfo), where it stands, how many attempts this round, and how the last one ended.
public struct DeliveryDocument: Codable, Sendable, Equatable {
    /// Its `webhook-id`.
    public var id: String
    public var jobId: String
    public var url: String
    public var state: DeliveryState
    public var attempts: Int
    public var nextAttemptAt: Date
    /// The last attempt's HTTP status; absent when no answer came.
    public var lastStatus: Int?
    public var lastError: String?
    public var createdAt: Date
    public var deliveredAt: Date?

    init(_ view: DeliveryView) {
        id = APIJSON.id(view.id)
        jobId = APIJSON.id(view.jobId)
        url = StoredSecrets.url(view.url)
        state = view.state
        attempts = view.attempts
        nextAttemptAt = view.nextAttemptAt
        lastStatus = view.lastStatus
        lastError = view.lastError.map(StoredSecrets.text)
        createdAt = view.createdAt
        deliveredAt = view.deliveredAt
    }
}

/// The answer to a redelivery: the state it left and the delivery as it is now.
public struct RedeliveryDocument: Codable, Sendable, Equatable {
    public var previousState: DeliveryState
    public var delivery: DeliveryDocument
}
