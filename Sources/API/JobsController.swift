import Foundation
public import Hummingbird
import Logging
import NIOCore
public import Postgres
public import Store

/// How the jobs API is served.
public struct JobsConfiguration: Sendable {
    /// The collection path: `POST {path}` creates, `GET {path}/{id}` reads.
    public var path: String
    /// The largest body accepted (default 1 MiB); a larger one is answered 413.
    public var maximumBodySize: Int
    /// Headers a reverse proxy adds (lower case). A request carrying one came through a proxy
    /// and is refused: behind a proxy on the same host every peer looks like loopback.
    public var proxyHeaders: [String]

    public init(
        path: String = "/v1/jobs", maximumBodySize: Int = 1 << 20,
        proxyHeaders: [String] = ["forwarded", "x-forwarded-for", "x-real-ip"]
    ) {
        self.path = path
        self.maximumBodySize = maximumBodySize
        self.proxyHeaders = proxyHeaders
    }
}

/// The job-creation API, for callers on this machine only until authentication exists.
///
/// - `POST /v1/jobs` with a ``JobBody`` (a one-step ``JobRequest`` or a ``WorkflowJobRequest``):
///   `201` and a ``JobCreatedDocument`` (its first step) with
///   `Location: /v1/jobs/{id}`; `200` and the existing job's document when `clientReference`
///   already names a job (the second body is not compared with the first); `400` with every
///   problem (a workflow or version that is not stored included: the body is what is wrong);
///   `413` over the size limit; `503` when the database fails.
/// - `GET /v1/jobs/{id}`: `200` and a ``JobDocument``; `404` for an unknown or malformed id.
///
/// Every refusal is problem+json, built by ``JobsProblem`` alone. Who may call is checked by
/// ``LoopbackAccess`` before anything else (`403`).
public struct JobsController<Context: RequestContext>: Sendable {
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

    /// Both routes.
    public var endpoints: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.post(RouterPath(configuration.path)) { request, context in
            await Self.answer { () async throws(JobsProblem) -> Response in try await self.create(request, context: context) }
        }
        routes.get(RouterPath(configuration.path + "/{id}")) { request, context in
            await Self.answer { () async throws(JobsProblem) -> Response in try await self.show(request, context: context) }
        }
        return routes
    }

    /// The one place a refusal becomes a response.
    static func answer(_ body: () async throws(JobsProblem) -> Response) async -> Response {
        do {
            return try await body()
        } catch {
            return error.response
        }
    }

    func create(_ request: Request, context: Context) async throws(JobsProblem) -> Response {
        try LoopbackAccess.check(request, context: context, proxyHeaders: configuration.proxyHeaders)
        let limit = configuration.maximumBodySize
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit {
            throw .tooLarge(limit: limit)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw .tooLarge(limit: limit)
        }
        let body: JobBody
        switch JobBody.parse(buffer.readableBytesView) {
        case .success(let value): body = value
        case .failure(let problems): throw .invalid(problems)
        }
        let job: NewJob
        let creation: JobCreation
        do {
            (job, creation) = try await creator.create(body)
        } catch {
            switch error {
            case .invalid(let problems):
                throw .invalid(problems)
            case .database(let cause):
                context.logger.info("job not created: database error", metadata: ["error": "\(cause)"])
                throw .unavailable
            }
        }
        switch creation {
        case .created(let id):
            context.logger.debug("job created", metadata: ["job.id": "\(id)"])
            return try Self.json(.created, JobCreatedDocument(job: job), location: location(id))
        case .existing(let id):
            guard let view = try await read(id, context: context) else { throw .unavailable }
            return try Self.json(.ok, JobCreatedDocument(view: view), location: location(id))
        }
    }

    func show(_ request: Request, context: Context) async throws(JobsProblem) -> Response {
        try LoopbackAccess.check(request, context: context, proxyHeaders: configuration.proxyHeaders)
        guard let text = context.parameters.get("id"), let id = UUID(uuidString: text) else { throw .notFound }
        guard let view = try await read(id, context: context) else { throw .notFound }
        return try Self.json(.ok, JobDocument(view))
    }

    private func read(_ id: UUID, context: Context) async throws(JobsProblem) -> JobView? {
        do {
            return try await reader.job(id)
        } catch {
            context.logger.info("job not read: database error", metadata: ["error": "\(error)"])
            throw .unavailable
        }
    }

    private func location(_ id: UUID) -> String {
        configuration.path + "/" + JobsJSON.id(id)
    }

    static func json(_ status: HTTPResponse.Status, _ value: some Encodable, location: String? = nil) throws(JobsProblem) -> Response {
        guard let data = try? JobsJSON.encoder().encode(value) else { throw .unavailable }
        var headers: HTTPFields = [.contentType: "application/json"]
        if let location { headers[.location] = location }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
