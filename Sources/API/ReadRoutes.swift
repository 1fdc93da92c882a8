import Hummingbird
import Postgres
import Store

/// The read routes of the API (scope `read`): the lists of jobs, steps, outputs, notifications
/// and MPS calls, and one step or notification in full. Each list is newest first, filtered by
/// its query parameters (unknown ones refused, each checked and named when refused), `limit` rows
/// a page (1-200, default 50), with `nextCursor` when there is more.
struct ReadRoutes: Sendable {
    let jobs: JobListController
    let steps: StepReadController
    let outputs: OutputListController
    let notifications: NotificationReadController
    let attempts: AttemptListController

    init(client: PostgresClient, catalog: WorkflowCatalog) {
        let listing = ListingStore(client: client)
        jobs = JobListController(listing: listing)
        steps = StepReadController(listing: listing, steps: OperatorStore(client: client, catalog: catalog))
        outputs = OutputListController(listing: listing)
        notifications = NotificationReadController(listing: listing)
        attempts = AttemptListController(listing: listing)
    }

    func register(on routes: APIRoutes) {
        jobs.register(on: routes)
        steps.register(on: routes)
        outputs.register(on: routes)
        notifications.register(on: routes)
        attempts.register(on: routes)
    }
}
