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

    public init(client: PostgresClient, catalog: WorkflowCatalog = WorkflowCatalog()) {
        self.client = client
        self.jobs = JobStore(client: client)
        self.workflows = WorkflowStore(client: client)
        self.catalog = catalog
    }

    /// Creates the job `body` describes; a second body with the same `clientReference` creates
    /// nothing and answers the first job (``JobCreation/existing(_:)``).
    public func create(_ body: JobBody) async throws(JobCreationError) -> (job: NewJob, creation: JobCreation) {
        let job: NewJob
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
