public import Hummingbird
public import Postgres
public import Store

/// The REST API as `serve` mounts it: `/openapi.yaml` (open) and every `/v1` route behind API
/// keys, each in the group of the scope it needs.
public struct RESTAPI: Sendable {
    let keys: any APIKeyVerifying
    let jobs: JobsController
    let stepActions: StepActionsController
    let notificationActions: NotificationActionsController
    let deliveries: DeliveriesController
    let jobCancel: JobCancelController
    let workflows: WorkflowsController
    let stats: StatsController
    let reads: ReadRoutes
    let keyRoutes: KeysController
    let events: EventsController?

    /// `keys` checks presented API keys (the product's is an ``APIKeyStore`` on `client`);
    /// `events` feeds `GET /v1/events` (without one, the route is not mounted).
    public init(
        client: PostgresClient, keys: (any APIKeyVerifying)? = nil, catalog: WorkflowCatalog = WorkflowCatalog(),
        callbacks: CallbackPolicy = CallbackPolicy(), jobs: JobsConfiguration = JobsConfiguration(),
        events: EventBroadcaster? = nil, maximumEventStreams: Int = 256
    ) {
        self.keys = keys ?? APIKeyStore(client: client)
        self.jobs = JobsController(configuration: jobs, client: client, catalog: catalog, callbacks: callbacks)
        self.stepActions = StepActionsController(client: client, catalog: catalog)
        self.notificationActions = NotificationActionsController(client: client, catalog: catalog)
        self.deliveries = DeliveriesController(client: client)
        self.jobCancel = JobCancelController(client: client, catalog: catalog)
        self.workflows = WorkflowsController(client: client)
        self.stats = StatsController(client: client)
        self.reads = ReadRoutes(client: client, catalog: catalog)
        self.keyRoutes = KeysController(client: client)
        self.events = events.map { EventsController(broadcaster: $0, maximumClients: maximumEventStreams) }
    }

    /// Adds the routes to `router`; returns them (method and path template each).
    @discardableResult
    public func mount(on router: Router<APIRequestContext>) -> [APIRoutes.Operation] {
        let routes = APIRoutes(router: router, keys: keys)
        router.get("openapi.yaml") { _, _ in OpenAPIDocument.response }
        routes.recordOpen(.get, "/openapi.yaml")
        jobs.register(on: routes)
        stepActions.register(on: routes)
        notificationActions.register(on: routes)
        deliveries.register(on: routes)
        jobCancel.register(on: routes)
        workflows.register(on: routes)
        stats.register(on: routes)
        reads.register(on: routes)
        keyRoutes.register(on: routes)
        events?.register(on: routes)
        return routes.operations
    }
}
