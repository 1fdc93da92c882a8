public import Correlation
public import Foundation
public import MPS
import Postgres
public import Store
public import Workflows

/// A client's body for a job that runs a stored workflow, checked as far as it can be without
/// the workflow; ``makeJob(workflowId:definition:id:correlation:)`` finishes the checks once the
/// workflow is read. The same code answers `POST /v1/jobs` and `mpshook submit --workflow`.
///
/// The body is a JSON object with these members (any other member is refused):
///
/// - `workflow` (required): the stored workflow's name.
/// - `workflowVersion` (optional): a version number; absent, the latest version stored.
/// - `inputUrls` (required): a non-empty array of URL strings, the job's inputs.
/// - `params` (optional): an object of parameter values, each of its default's kind (string,
///   number, boolean, or list of strings); the workflow's defaults fill the rest.
/// - `clientReference`, `clientContext`, `callbackUrl`: as for a one-step job (``JobRequest``).
///
/// `request` belongs to the one-step job and is refused next to `workflow`.
public struct WorkflowJobRequest: Sendable, Equatable {
    /// The members the body may have.
    public static let members = ["workflow", "workflowVersion", "inputUrls", "params", "clientReference", "clientContext", "callbackUrl"]

    public var workflow: String
    /// nil: the latest version.
    public var workflowVersion: Int?
    public var inputURLs: [String]
    /// As the client gave them; checked against the workflow by ``makeJob(workflowId:definition:id:correlation:)``.
    public var params: [String: JSONValue]
    public var clientReference: String?
    /// The client's context as compact JSON with sorted keys.
    public var clientContext: String?
    /// Where the job's webhook goes; nil: the configured default.
    public var callbackURL: CallbackURL?

    public init(
        workflow: String, workflowVersion: Int? = nil, inputURLs: [String], params: [String: JSONValue] = [:],
        clientReference: String? = nil, clientContext: String? = nil, callbackURL: CallbackURL? = nil
    ) {
        self.callbackURL = callbackURL
        self.workflow = workflow
        self.workflowVersion = workflowVersion
        self.inputURLs = inputURLs
        self.params = params
        self.clientReference = clientReference
        self.clientContext = clientContext
    }

    /// The job to create: its parameters resolved against `definition` (stored as version row
    /// `workflowId`), its first steps as the planner plans them for an empty job, each with its
    /// own correlation id. Every problem when the parameters or inputs do not fit the workflow,
    /// each at `params.<name>`, `params` (naming the step and field a parameter made invalid)
    /// or `inputUrls[i]`.
    public func makeJob(
        workflowId: Int64, definition: WorkflowDefinition, id: UUID = UUID(), correlation: () -> CorrelationId = { CorrelationId() }
    ) -> Result<NewJob, ValidationProblems> {
        let params: [String: ParameterValue]
        switch definition.resolve(params: self.params) {
        case .success(let resolved): params = resolved
        case .failure(let problems): return .failure(ValidationProblems(problems.map { Self.problem($0, definition: definition) }))
        }
        let jobProblems = definition.validateJob(params: params, inputCount: inputURLs.count)
        guard jobProblems.isEmpty else {
            return .failure(ValidationProblems(jobProblems.map { Self.problem($0, definition: definition) }))
        }

        let plan = Planner.plan(JobGraph(jobId: id, definition: definition, inputURLs: inputURLs, params: params))
        var problems: [ValidationProblem] = []
        for step in plan.steps where step.refusal != nil {
            problems += Self.refusal(of: step)
        }
        if plan.steps.isEmpty {
            problems.append(JobRequest.problem(
                "inputUrls", "workflow \(definition.name) plans no step for these inputs and parameters: the job would do nothing",
                JobRequest.Code.invalidParameterValue
            ))
        }
        guard problems.isEmpty else { return .failure(ValidationProblems(problems)) }

        var steps: [NewStep] = []
        for planned in plan.steps {
            guard let request = StepRequest.encode(.object(planned.request)) else {
                return .failure(ValidationProblems([
                    JobRequest.problem("params", "step \"\(planned.name)\": its request could not be written as JSON", JobRequest.Code.invalidParameter)
                ]))
            }
            let correlation = correlation()
            steps.append(NewStep(
                id: planned.id, name: planned.name, correlationId: correlation.uuid, sessionContext: correlation.sessionContext,
                request: JSONBText(request), inputURLs: planned.inputs.map(\.url), jobInputIndexes: planned.inputs.map(\.jobInputIndex),
                item: planned.item, run: planned.run, delaySeconds: planned.delaySeconds
            ))
        }
        var job = NewJob(
            id: id, clientReference: clientReference, clientContext: clientContext.map(JSONBText.init), workflowId: workflowId,
            params: params, inputURLs: inputURLs, steps: steps
        )
        job.callbackURL = callbackURL?.text
        return .success(job)
    }

    /// A definition problem met by this job, as a problem in the client's body.
    static func problem(_ problem: DefinitionProblem, definition: WorkflowDefinition) -> ValidationProblem {
        guard let step = problem.step else {
            if problem.field == "inputs" {
                return JobRequest.problem("inputUrls", problem.message, JobRequest.Code.invalidParameterValue)
            }
            let name = problem.field.hasPrefix("params.") ? String(problem.field.dropFirst("params.".count)) : nil
            let code = name.map { definition.params[$0] == nil } == true ? JobRequest.Code.unknownParameter : JobRequest.Code.invalidParameterValue
            return JobRequest.problem(problem.field.isEmpty ? "params" : problem.field, problem.message, code)
        }
        // The definition was valid with its defaults, so what breaks a step now is the job's parameters.
        let place = "step \"\(step)\"" + (problem.field.isEmpty ? "" : ", " + problem.field)
        return JobRequest.problem("params", "\(place): \(problem.message)", JobRequest.Code.invalidParameterValue)
    }

    /// Why a planned first step cannot be sent, at the input or parameter that made it so.
    static func refusal(of step: PlannedStep) -> [ValidationProblem] {
        let label = "step \"\(step.name)\"" + (step.item.map { " [\($0)]" } ?? "")
        guard !step.request.isEmpty,
            case .failure(let found) = StepRequest.sendable(stored: step.request, sessionContext: "mh1:planned", notify: .placeholder)
        else {
            return [JobRequest.problem("params", "\(label): \(step.refusal ?? "cannot be sent")", JobRequest.Code.invalidParameterValue)]
        }
        return found.map { problem in
            // InputInfo[2]… is the step's third input: name it by its place among the job's inputs.
            if problem.field.hasPrefix("InputInfo["),
                let close = problem.field.firstIndex(of: "]"),
                let index = Int(problem.field[problem.field.index(problem.field.startIndex, offsetBy: "InputInfo[".count)..<close]),
                step.inputs.indices.contains(index) {
                return JobRequest.problem("inputUrls[\(step.inputs[index].jobInputIndex)]", problem.message, problem.errorCode)
            }
            let field = problem.field.isEmpty ? "request" : "request." + problem.field
            return JobRequest.problem("params", "\(label), \(field): \(problem.message)", problem.errorCode)
        }
    }

    /// A parameter value written on a command line (`--param name=text`), read as the kind of
    /// the parameter's default so that no quoting is needed: a string as written, a number, `true`
    /// or `false`, and a list as a JSON array (`["ja","ko"]`) or comma-separated (`ja,ko`; `/` is
    /// not a separator, it is MPS's own inside one value). A name the workflow does not declare,
    /// or text that is not of the kind, is passed as a string for ``makeJob`` to refuse by name.
    public static func parameterValue(_ text: String, default declared: ParameterValue?) -> JSONValue {
        switch declared {
        case .number?:
            if let number = Double(text.trimmingCharacters(in: .whitespaces)), number.isFinite { return .number(number) }
        case .bool?:
            switch text.trimmingCharacters(in: .whitespaces).lowercased() {
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: break
            }
        case .list?:
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("[") {
                if let json = try? MPSJSON.decoder.decode(JSONValue.self, from: Data(trimmed.utf8)) { return json }
            } else {
                let items = trimmed.split(separator: ",", omittingEmptySubsequences: false)
                    .map { $0.trimmingCharacters(in: .whitespaces) }
                return .array(trimmed.isEmpty ? [] : items.map(JSONValue.string))
            }
        case .string?, nil:
            break
        }
        return .string(text)
    }
}

/// A job body of either kind: a one-step job (`request`) or a workflow job (`workflow`).
public enum JobBody: Sendable, Equatable {
    case request(JobRequest)
    case workflow(WorkflowJobRequest)

    /// The client's reference, of either kind.
    public var clientReference: String? {
        switch self {
        case .request(let request): request.clientReference
        case .workflow(let request): request.clientReference
        }
    }

    /// Where the job's webhook goes, of either kind.
    public var callbackURL: CallbackURL? {
        switch self {
        case .request(let request): request.callbackURL
        case .workflow(let request): request.callbackURL
        }
    }

    /// mpshook's problem code for a body that names both kinds of job.
    public static let conflictingJobKinds = "mpshook.ConflictingJobKinds"

    /// Parses and checks a body; every problem when it is not acceptable.
    public static func parse(_ bytes: some Sequence<UInt8>) -> Result<JobBody, ValidationProblems> {
        guard let json = try? MPSJSON.decoder.decode(JSONValue.self, from: Data(bytes)) else {
            return .failure(ValidationProblems([JobRequest.problem("", "the body is not valid JSON", JobRequest.Code.invalidParameter)]))
        }
        return parse(json)
    }

    /// A body naming `workflow` (or only a workflow's members, `workflowVersion` or `params`) is a
    /// workflow job; any other is a one-step job, checked by ``JobRequest`` as before.
    public static func parse(_ json: JSONValue) -> Result<JobBody, ValidationProblems> {
        guard case .object(let body) = json,
            ["workflow", "workflowVersion", "params"].contains(where: { body[$0] != nil && body[$0]?.isNull == false })
        else {
            return JobRequest.parse(json).map(JobBody.request)
        }
        var checker = Checker()
        let parsed = checker.checkWorkflowBody(body)
        guard checker.problems.isEmpty, let parsed else { return .failure(ValidationProblems(checker.problems)) }
        return .success(.workflow(parsed))
    }
}

extension Checker {
    mutating func checkWorkflowBody(_ given: [String: JSONValue]) -> WorkflowJobRequest? {
        var body = given
        for name in ["workflowVersion", "params", "clientReference", "clientContext", "request", "callbackUrl"] where body[name]?.isNull == true {
            body.removeValue(forKey: name)
        }
        if body["request"] != nil {
            add(
                "request",
                "a job runs either a stored workflow (workflow) or one BatchProcessMedia request (request), not both",
                JobBody.conflictingJobKinds
            )
            body.removeValue(forKey: "request")
        }
        for name in body.keys.sorted() where !WorkflowJobRequest.members.contains(name) {
            var message = "is not a member of a workflow job body (\(WorkflowJobRequest.members.joined(separator: ", ")))"
            if let near = NearMiss.suggestion(for: name, among: WorkflowJobRequest.members) {
                message += "; did you mean \"\(near)\"?"
            }
            add(name, message, Code.unknownParameter)
        }
        checkNoNUL(.object(body), path: "")
        let clientReference = checkClientReference(body["clientReference"])
        let clientContext = checkClientContext(body["clientContext"])
        let callbackURL = checkCallbackURL(body["callbackUrl"])
        let workflow = checkWorkflowName(body["workflow"])
        let version = checkWorkflowVersion(body["workflowVersion"])
        var inputURLs: [String]?
        if let given = body["inputUrls"], given.arrayValue?.isEmpty != true {
            inputURLs = checkInputURLs(given)
        } else {
            add("inputUrls", "is required: a non-empty array of the job's input URLs", Code.missingParameter)
        }
        var params: [String: JSONValue] = [:]
        if let given = body["params"] {
            if case .object(let members) = given {
                params = members
            } else {
                add("params", "must be an object of parameter values, not \(JobRequest.typeName(given))", Code.invalidParameter)
            }
        }
        guard problems.isEmpty, let workflow, let inputURLs else { return nil }
        return WorkflowJobRequest(
            workflow: workflow, workflowVersion: version, inputURLs: inputURLs, params: params,
            clientReference: clientReference, clientContext: clientContext, callbackURL: callbackURL
        )
    }

    private mutating func checkWorkflowName(_ value: JSONValue?) -> String? {
        guard let value, !value.isNull else {
            add("workflow", "is required: the name of a stored workflow", Code.missingParameter)
            return nil
        }
        guard case .string(let name) = value else {
            add("workflow", "must be a workflow's name (a string), not \(JobRequest.typeName(value))", Code.invalidParameter)
            return nil
        }
        let allowed = name.unicodeScalars.allSatisfy { scalar in
            ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || "._-".unicodeScalars.contains(scalar)
        }
        guard WorkflowLimits.nameLength.contains(name.count), allowed else {
            add(
                "workflow",
                "must be \(WorkflowLimits.nameLength.lowerBound)–\(WorkflowLimits.nameLength.upperBound) letters, digits, \".\", \"_\" or \"-\"",
                Code.invalidParameterValue
            )
            return nil
        }
        return name
    }

    private mutating func checkWorkflowVersion(_ value: JSONValue?) -> Int? {
        guard let value else { return nil }
        guard case .number(let number) = value else {
            add("workflowVersion", "must be a version number, not \(JobRequest.typeName(value))", Code.invalidParameter)
            return nil
        }
        guard number.rounded() == number, number >= 1, number <= Double(Int32.max) else {
            add("workflowVersion", "must be a whole number from 1 (or omit it for the latest version)", Code.invalidParameterValue)
            return nil
        }
        return Int(number)
    }
}
