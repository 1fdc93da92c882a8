public import MPS
public import Postgres
public import Store
public import Workflows

/// Why a job was not created: the body (with the workflow it names) is not acceptable, or the
/// database could not be used.
public enum JobCreationError: Error, Sendable {
    /// Every problem, each at its field in the client's body (400; nothing stored).
    case invalid(ValidationProblems)
    /// The database failed (503; the client may retry).
    case database(any Error)
}

/// Creates jobs from checked bodies, for `POST /v1/jobs` and `mpshook submit` alike: a one-step
/// job as it is, a workflow job after reading the workflow version it names (which the job then
/// keeps: a later version never changes it).
public struct JobCreator: Sendable {
    let jobs: JobStore
    let workflows: WorkflowStore
    let catalog: WorkflowCatalog
    let client: PostgresClient
    let callbacks: CallbackPolicy

    public init(client: PostgresClient, catalog: WorkflowCatalog = WorkflowCatalog(), callbacks: CallbackPolicy = CallbackPolicy()) {
        self.client = client
        self.jobs = JobStore(client: client)
        self.workflows = WorkflowStore(client: client)
        self.catalog = catalog
        self.callbacks = callbacks
    }

    /// Creates the job `body` describes; a second body with the same `clientReference` creates
    /// nothing and answers the first job (``JobCreation/existing(_:)``).
    public func create(_ body: JobBody) async throws(JobCreationError) -> (job: NewJob, creation: JobCreation) {
        // A literal address is refused now; a name is checked after it is resolved, at each delivery.
        if let refusal = body.callbackURL?.literalRefusal(allowList: callbacks.allowList) {
            throw .invalid(ValidationProblems([JobRequest.problem("callbackUrl", refusal, JobRequest.Code.invalidParameterValue)]))
        }
        var job: NewJob
        switch body {
        case .request(let request):
            job = request.makeJob()
        case .workflow(let request):
            let (stored, definition) = try await workflow(name: request.workflow, version: request.workflowVersion)
            switch request.makeJob(workflowId: stored.id, definition: definition) {
            case .success(let made): job = made
            case .failure(let problems): throw .invalid(problems)
            }
        }
        if job.callbackURL == nil { job.callbackURL = callbacks.defaultURL?.text }
        do {
            return (job, try await jobs.create(job))
        } catch {
            throw .database(error)
        }
    }

    /// The stored version `version` of workflow `name` (its latest when nil) and its definition.
    /// A name or version that is not stored is a problem at `workflow` or `workflowVersion`: the
    /// body names what does not exist.
    public func workflow(name: String, version: Int?) async throws(JobCreationError) -> (StoredWorkflow, WorkflowDefinition) {
        do {
            if let stored = try await workflows.find(name: name, version: version) {
                let definition = try await client.withConnection { connection in
                    try await catalog.definition(id: stored.id, connection: connection)
                }
                return (stored, definition)
            }
            if let version, let latest = try await workflows.find(name: name) {
                throw JobCreationError.invalid(ValidationProblems([JobRequest.problem(
                    "workflowVersion", "workflow \(name) has no version \(version); its latest is \(latest.version)",
                    JobRequest.Code.invalidParameterValue
                )]))
            }
            let names = Set(try await workflows.list().map(\.name)).sorted()
            var message = "no workflow named \"\(name)\" is stored"
            if let near = NearMiss.suggestion(for: name, among: names) {
                message += "; did you mean \"\(near)\"?"
            } else if names.isEmpty {
                message += " (none is: load them with `mpshook workflows load` or MPSHOOK_WORKFLOWS_DIR)"
            }
            throw JobCreationError.invalid(ValidationProblems([JobRequest.problem("workflow", message, JobRequest.Code.invalidParameterValue)]))
        } catch let error as JobCreationError {
            throw error
        } catch {
            throw .database(error)
        }
    }
}

/// Where jobs' "job finished" webhooks may go: the non-public networks and hosts a `callbackUrl`
/// may name (`MPSHOOK_WEBHOOK_ALLOW`; a literal address outside them is refused when the job is
/// created), and the URL a job without one gets (`MPSHOOK_WEBHOOK_DEFAULT_URL`, stored with the
/// job, so the job reports where it was told to when it was created).
public struct CallbackPolicy: Sendable {
    public var allowList: NetworkAllowList
    public var defaultURL: CallbackURL?

    public init(allowList: NetworkAllowList = NetworkAllowList(), defaultURL: CallbackURL? = nil) {
        self.allowList = allowList
        self.defaultURL = defaultURL
    }
}
