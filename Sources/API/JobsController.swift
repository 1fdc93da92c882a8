import Access
import Foundation
import Hummingbird
import Logging
import NIOCore
public import Postgres
public import Store

/// How the jobs routes are served.
public struct JobsConfiguration: Sendable {
    /// The largest body accepted (default 1 MiB); a larger one is answered 413.
    public var maximumBodySize: Int

    public init(maximumBodySize: Int = 1 << 20) {
        self.maximumBodySize = maximumBodySize
    }
}

/// The jobs routes.
///
/// - `POST /v1/jobs` (scope `write`) with a ``JobBody`` (a one-step ``JobRequest`` or a
///   ``WorkflowJobRequest``), `Content-Type: application/json`: `201` and a
///   ``JobCreatedDocument`` (its first step) with `Location: /v1/jobs/{id}`; `200` and the
///   existing job's document when `clientReference` already names a job (the second body is not
///   compared with the first); `400` with every problem (a workflow or version that is not
///   stored included: the body is what is wrong); `413` over the size limit; `415` for another
///   content type; `503` when the database fails.
/// - `GET /v1/jobs/{id}` (scope `read`): `200` and a ``JobDocument``; `404` for an unknown or
///   malformed id.
///
/// Every refusal is an ``APIProblem``.
public struct JobsController: Sendable {
    let configuration: JobsConfiguration
    let creator: JobCreator
    let reader: JobReader

    /// `catalog` caches the workflow definitions jobs are created from (share the process's one);
    /// `callbacks` is where jobs' webhooks may go, and where they go by default.
    public init(
        configuration: JobsConfiguration = JobsConfiguration(), client: PostgresClient, catalog: WorkflowCatalog = WorkflowCatalog(),
        callbacks: CallbackPolicy = CallbackPolicy()
    ) {
        self.configuration = configuration
        self.creator = JobCreator(client: client, catalog: catalog, callbacks: callbacks)
        self.reader = JobReader(client: client)
    }

    /// Adds the routes to the API's scoped groups.
    public func register(on routes: APIRoutes) {
        routes.on(.post, "jobs", scope: .write) { request, context in try await self.create(request, context: context) }
        routes.on(.get, "jobs/{id}", scope: .read) { request, context in try await self.show(request, context: context) }
    }

    func create(_ request: Request, context: APIRequestContext) async throws(APIProblem) -> Response {
        _ = try QueryReader(request, allowed: [])
        let buffer = try await RequestBody.json(request, limit: configuration.maximumBodySize)
        let body: JobBody
        switch JobBody.parse(buffer.readableBytesView) {
        case .success(let value): body = value
        case .failure(let problems): throw .invalidJob(problems)
        }
        let (job, creation) = try await DatabaseCall.run("job not created", context: context, refusal: Self.refusal) {
            try await creator.create(body)
        }
        switch creation {
        case .created(let id):
            context.logger.debug("job created", metadata: ["job.id": "\(APIJSON.id(id))"])
            return try APIResponse.json(.created, JobCreatedDocument(job: job), location: Self.location(id))
        case .existing(let id):
            guard let view = try await read(id, context: context) else { throw .unavailable }
            return try APIResponse.json(.ok, JobCreatedDocument(view: view), location: Self.location(id))
        }
    }

    func show(_ request: Request, context: APIRequestContext) async throws(APIProblem) -> Response {
        _ = try QueryReader(request, allowed: [])
        let id = try context.uuid(notFound: .jobNotFound)
        guard let view = try await read(id, context: context) else { throw .jobNotFound }
        return try APIResponse.json(.ok, JobDocument(view))
    }

    private func read(_ id: UUID, context: APIRequestContext) async throws(APIProblem) -> JobView? {
        try await DatabaseCall.run("job not read", context: context) { try await reader.job(id) }
    }

    /// A body the creator refused (a workflow or version that is not stored, a callback URL):
    /// the body is what is wrong, 400; its database failing is the 503.
    static func refusal(_ error: any Error) -> APIProblem? {
        guard let error = error as? JobCreationError, case .invalid(let problems) = error else { return nil }
        return .invalidJob(problems)
    }

    static func location(_ id: UUID) -> String {
        "/v1/jobs/" + APIJSON.id(id)
    }
}
