import Access
import Foundation
import Hummingbird
import Logging
public import Postgres
public import Store
import Workflows

/// A person's actions on a step (scope `admin`), the same as `mpshook steps resolve|resubmit|abandon`:
/// each goes through ``OperatorStore/perform(_:stepId:actor:reason:)`` (one transaction that
/// checks ``StepAction``'s rules under the step's lock, applies the action and writes the audit
/// row), with the API key as the actor (`key:<name>/<id>`), and writes the same log line.
///
/// - `POST /v1/steps/{id}/resolve` `{"taskId": "…", "reason": "…"}`
/// - `POST /v1/steps/{id}/resubmit` `{"reason": "…"}`
/// - `POST /v1/steps/{id}/abandon` `{"reason": "…"}`
///
/// `200` with a ``StepActionDocument``; `400` naming the member at fault; `404` for an unknown
/// or malformed step id; `409` when the step's state (or its successors, or its job) does not
/// allow the action, with the rule's reason, or when the TaskId is another step's; `503` when
/// the database fails. A refused action writes nothing.
public struct StepActionsController: Sendable {
    let store: OperatorStore
    let steps: StepStore

    public init(client: PostgresClient, catalog: WorkflowCatalog = WorkflowCatalog()) {
        self.store = OperatorStore(client: client, catalog: catalog)
        self.steps = StepStore(client: client, catalog: catalog)
    }

    /// Adds the routes to the API's scoped groups.
    public func register(on routes: APIRoutes) {
        let taskId = ActionBody.Member(name: "taskId", required: true, check: StepAction.taskIdProblem)
        routes.on(.post, "steps/{id}/resolve", scope: .admin) { request, context in
            let body = try await ActionBody.read(request, members: [taskId, .reason])
            return try await self.perform(.resolve(taskId: body["taskId"] ?? ""), body: body, context: context)
        }
        routes.on(.post, "steps/{id}/resubmit", scope: .admin) { request, context in
            try await self.perform(.resubmit, body: try await ActionBody.read(request, members: [.reason]), context: context)
        }
        routes.on(.post, "steps/{id}/abandon", scope: .admin) { request, context in
            try await self.perform(.abandon, body: try await ActionBody.read(request, members: [.reason]), context: context)
        }
    }

    func perform(_ action: StepAction, body: ActionBody, context: APIRequestContext) async throws(APIProblem) -> Response {
        let principal = try context.principal()
        let stepId = try context.uuid(notFound: .stepNotFound)
        let record = try await DatabaseCall.run("step action not performed", context: context, refusal: APIProblem.stepAction) {
            try await store.perform(action, stepId: stepId, actor: principal.actor, reason: body["reason"] ?? "")
        }
        // The line `mpshook steps …` writes, with the key as the actor.
        context.logger.notice("operator action", metadata: record.logMetadata.mapValues { .string($0) })
        let step = try await DatabaseCall.run("step not read after an action", context: context) { try await steps.step(id: stepId) }
        // The action committed; a step cannot be deleted, so it is there.
        guard let step else { throw .internalError }
        return try APIResponse.json(.ok, StepActionDocument(action: OperatorActionDocument(record), step: StepStatusDocument(step)))
    }
}

extension APIProblem {
    /// A refused step action, mapped once: unknown step 404; arguments 400; the domain's
    /// refusal 409 with its reason; a TaskId another step holds 409. Nil for any other error.
    static func stepAction(_ error: any Error) -> APIProblem? {
        guard let error = error as? StepActionError else { return nil }
        switch error.code {
        case .unknownStep:
            return .stepNotFound
        case .taskIdTaken:
            return APIProblem(
                .conflict, .taskIdTaken, error.message,
                errors: [ProblemDocument.FieldError(field: "taskId", message: error.message, code: "mpshook.TaskIdTaken")]
            )
        case .notAllowed:
            return .actionNotAllowed(error.message)
        default:
            // The handler checked the body first: only the actor could be at fault here.
            return .invalidBody(error.message)
        }
    }
}
