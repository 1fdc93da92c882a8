import Access
import Foundation
import Hummingbird
import Intake
import Logging
public import Postgres
public import Store

/// A person's actions on stored notifications (scope `admin`), through ``NotificationOperator``
/// (the rules are ``NotificationAction``'s), with the API key as the actor:
///
/// - `POST /v1/notifications/{id}/rematch` `{"stepId": "…", "reason": "…"}`: an orphan gets the
///   step's correlation id and is applied to it, as its callback would have been.
/// - `POST /v1/notifications/{id}/reapply` `{"reason": "…"}`: a failed one is applied again.
///
/// `200` with a ``NotificationActionDocument`` (the notification's `outcome` is what the apply
/// made of it: `applied`, or `failed` again with its `applyError`); `400` naming the member at
/// fault (a `stepId` that names no step included: the body is what is wrong); `404` for an
/// unknown or malformed notification id; `409` for a notification (or step) the action does not
/// apply to, with the rule's reason; `503` when the database fails.
public struct NotificationActionsController: Sendable {
    let notifications: NotificationOperator
    let listing: ListingStore

    public init(client: PostgresClient, catalog: WorkflowCatalog = WorkflowCatalog()) {
        self.notifications = NotificationOperator(client: client, catalog: catalog)
        self.listing = ListingStore(client: client)
    }

    /// Adds the routes to the API's scoped groups.
    public func register(on routes: APIRoutes) {
        let stepId = ActionBody.Member(name: "stepId", required: true) { UUID(uuidString: $0) == nil ? "must be a step id (a UUID)" : nil }
        routes.on(.post, "notifications/{id}/rematch", scope: .admin) { request, context in
            let body = try await ActionBody.read(request, members: [stepId, .reason])
            guard let step = body["stepId"].flatMap(UUID.init(uuidString:)) else { throw APIProblem.invalidBody(field: "stepId", "is required") }
            return try await self.perform(.rematch(stepId: step), body: body, context: context)
        }
        routes.on(.post, "notifications/{id}/reapply", scope: .admin) { request, context in
            try await self.perform(.reapply, body: try await ActionBody.read(request, members: [.reason]), context: context)
        }
    }

    func perform(_ action: NotificationAction, body: ActionBody, context: APIRequestContext) async throws(APIProblem) -> Response {
        let principal = try context.principal()
        let id = try context.notificationId()
        let record = try await DatabaseCall.run("notification action not performed", context: context, refusal: APIProblem.notificationAction) {
            try await notifications.perform(action, id: id, actor: principal.actor, reason: body["reason"] ?? "")
        }
        var metadata = record.logMetadata.mapValues { Logger.MetadataValue.string($0) }
        metadata["notification.id"] = "\(id)"
        context.logger.notice("operator action", metadata: metadata)
        let detail = try await DatabaseCall.run("notification not read after an action", context: context) { try await listing.notification(id) }
        guard let detail else { throw .internalError }
        return try APIResponse.json(
            .ok, NotificationActionDocument(action: OperatorActionDocument(record), notification: NotificationDocument(detail.notification))
        )
    }
}

/// The answer to a person's action on a notification: the audit row and the notification as
/// it is now (without its body and headers: `GET /v1/notifications/{id}` has them).
public struct NotificationActionDocument: Codable, Sendable, Equatable {
    public var action: OperatorActionDocument
    public var notification: NotificationDocument
}

extension APIProblem {
    /// A refused notification action, mapped once. Nil for any other error.
    static func notificationAction(_ error: any Error) -> APIProblem? {
        guard let error = error as? NotificationActionError else { return nil }
        switch error.code {
        case .unknownNotification:
            return .notificationNotFound
        case .unknownStep:
            return .invalidBody(field: "stepId", error.message, code: "mpshook.UnknownStep")
        case .notAllowed:
            return .actionNotAllowed(error.message)
        default:
            return .invalidBody(error.message)
        }
    }
}
