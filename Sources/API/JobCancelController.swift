import Access
import Foundation
import Hummingbird
import Logging
public import Postgres
public import Store
import Workflows

/// `POST /v1/jobs/{id}/cancel` (scope `write`) `{"reason": "…"}`: the job becomes `cancelled`
/// (``OperatorStore/cancel(jobId:actor:reason:)``, the rules are ``JobCancellation``'s): nothing
/// more of it is sent to MPS or planned; its steps not sent yet end `failed` (`Cancelled`); tasks
/// already at MPS are left to finish and their reports recorded. Audited with the API key.
///
/// `200` with a ``JobCancelDocument`` (the job as it is now, and the audit row); a job cancelled
/// already answers `200` the same way without an audit row (nothing changed). `409` for a job
/// that ended otherwise; `404` for an unknown or malformed id; `400` naming the member at fault.
public struct JobCancelController: Sendable {
    let store: OperatorStore
    let reader: JobReader

    public init(client: PostgresClient, catalog: WorkflowCatalog = WorkflowCatalog()) {
        self.store = OperatorStore(client: client, catalog: catalog)
        self.reader = JobReader(client: client)
    }

    /// Adds the route to the API's scoped groups.
    public func register(on routes: APIRoutes) {
        routes.on(.post, "jobs/{id}/cancel", scope: .write) { request, context in
            try await self.cancel(try await ActionBody.read(request, members: [.reason]), context: context)
        }
    }

    func cancel(_ body: ActionBody, context: APIRequestContext) async throws(APIProblem) -> Response {
        let principal = try context.principal()
        let jobId = try context.uuid(notFound: .jobNotFound)
        let result = try await DatabaseCall.run("job not cancelled", context: context, refusal: Self.refusal) {
            try await store.cancel(jobId: jobId, actor: principal.actor, reason: body["reason"] ?? "")
        }
        var record: OperatorActionRecord?
        switch result {
        case .notFound:
            throw .jobNotFound
        case .refused(let state):
            throw .actionNotAllowed(JobCancellation.refused(state).description)
        case .alreadyCancelled:
            record = nil
        case .cancelled(let done):
            record = done
            context.logger.notice("operator action", metadata: done.logMetadata.mapValues { .string($0) })
        }
        let view = try await DatabaseCall.run("job not read", context: context) { try await reader.job(jobId) }
        guard let view else { throw .internalError }
        return try APIResponse.json(.ok, JobCancelDocument(job: JobDocument(view), action: record.map(OperatorActionDocument.init)))
    }

    /// The store refusing the arguments (only the actor or reason could be at fault: the body
    /// was checked first): 400.
    static func refusal(_ error: any Error) -> APIProblem? {
        (error as? StepActionError).map { .invalidBody($0.message) }
    }
}

/// The answer to a cancel: the job as it is now and, when this request cancelled it, the audit row.
public struct JobCancelDocument: Codable, Sendable, Equatable {
    public var job: JobDocument
    /// Absent when the job was cancelled already.
    public var action: OperatorActionDocument?
}
