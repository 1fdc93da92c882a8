public import Foundation
public import MPS

/// A job as the planner sees it: its workflow, its inputs and parameters, and every step run so far.
public struct JobGraph: Sendable {
    public var jobId: UUID
    public var definition: WorkflowDefinition
    public var inputURLs: [String]
    /// The job's own parameter values; the definition's defaults fill the rest.
    public var params: [String: ParameterValue]
    public var runs: [StepRun]

    public init(jobId: UUID, definition: WorkflowDefinition, inputURLs: [String], params: [String: ParameterValue] = [:], runs: [StepRun] = []) {
        self.jobId = jobId
        self.definition = definition
        self.inputURLs = inputURLs
        self.params = params
        self.runs = runs
    }
}

/// One step row: one run of one step template (one fan-out value, one retry round).
public struct StepRun: Sendable, Hashable {
    public var id: UUID
    /// The template's name in the workflow.
    public var name: String
    /// The fan-out value this run is for (nil when the step does not fan out).
    public var item: String?
    /// 1 for the first run, 2+ for retries of failed inputs.
    public var run: Int
    public var state: StepState
    /// The runs whose completion planned this one (lineage).
    public var parents: [UUID]
    /// In the step's input order.
    public var outputs: [OutputRecord]

    public init(id: UUID, name: String, item: String? = nil, run: Int = 1, state: StepState, parents: [UUID] = [], outputs: [OutputRecord]) {
        self.id = id
        self.name = name
        self.item = item
        self.run = run
        self.state = state
        self.parents = parents
        self.outputs = outputs
    }
}

/// A step run the planner decided to create.
public struct PlannedStep: Sendable, Hashable {
    public var id: UUID
    public var name: String
    public var item: String?
    public var run: Int
    public var parents: [UUID]
    /// The job inputs it runs over, in `InputInfo` order.
    public var inputs: [PlannedInput]
    /// The request to store (``StepRequest/stored(template:inputURLs:)``).
    public var request: [String: JSONValue]
    /// Due this many seconds after it is created.
    public var delaySeconds: Int
    /// Why it cannot be sent (its template did not render or validate): it is created `failed`,
    /// its outputs `FAIL`, and planning goes on as if it had run and failed.
    public var refusal: String?
}

public struct PlannedInput: Sendable, Hashable {
    public var jobInputIndex: Int
    public var url: String
}

/// What to do with a job now.
public struct JobPlan: Sendable, Hashable {
    /// Steps to create now (each exactly once: the same graph always plans the same steps).
    public var steps: [PlannedStep]
    /// Set when nothing runs and nothing more will: the job's final state.
    public var finished: JobState?
}

/// Plans a job's next steps from its workflow and what has run: a pure function of the graph,
/// so the same graph (whatever the order or repetition of the callbacks that led to it) always
/// plans the same steps, and a graph that already holds them plans nothing.
///
/// Rules:
/// - A step with no runs is considered once every step in its `needs` is *settled*. Then, when
///   its `when` holds over their outputs and it selects at least one input, it is planned (one
///   run per `forEach` value); otherwise it is *skipped* (settled, with no outputs).
/// - A step's *final outputs* are, per fan-out value and job input, the output of the latest run
///   that covered that input. Conditions and input selections read those.
/// - After a run ends with failed outputs, another run over just those inputs is planned when the
///   step allows more runs (`maxRuns`), after its delay. Inputs that succeeded are never sent again.
/// - A step is settled when every fan-out value's latest run is finished and no run remains to
///   plan; a run that is pending, in flight, unknown or lost keeps it (and the job) open.
/// - A job ends when every step is settled: `succeeded` when no input has an unrecovered failure
///   (a FAIL with no SUCCESS for the same input in a run descended from it), `failed` when every
///   input that ran has one, else `partially_failed`.
public enum Planner {
    /// The steps to create and, when nothing remains, the job's final state.
    public static func plan(_ graph: JobGraph, makeId: () -> UUID = UUID.init) -> JobPlan {
        var runs = graph.runs
        var planned: [PlannedStep] = []
        let scope = graph.definition.params.merging(graph.params) { _, job in job }
        // Each pass plans what the runs so far allow; a planned refusal counts as a failed run,
        // which may allow more (a branch on failure), so repeat until nothing new is planned.
        while true {
            let state = Snapshot(definition: graph.definition, jobInputs: graph.inputURLs, runs: runs)
            var new: [PlannedStep] = []
            for template in graph.definition.steps {
                new += plan(template, state: state, graph: graph, scope: scope, makeId: makeId)
            }
            if new.isEmpty { break }
            planned += new
            runs += new.map { step in
                let outputs = step.inputs.enumerated().map { index, input in
                    let output = OutputRecord(inputIndex: index, jobInputIndex: input.jobInputIndex, inputURL: input.url)
                    return step.refusal.map { output.failed(code: "ClientValidation", message: $0) } ?? output
                }
                return StepRun(
                    id: step.id, name: step.name, item: step.item, run: step.run,
                    state: step.refusal == nil ? .pending : .failed, parents: step.parents, outputs: outputs
                )
            }
        }
        let state = Snapshot(definition: graph.definition, jobInputs: graph.inputURLs, runs: runs)
        let finished = graph.definition.steps.allSatisfy { state.isSettled($0.name) } ? outcome(runs) : nil
        return JobPlan(steps: planned, finished: finished)
    }

    private static func plan(
        _ template: StepTemplate, state: Snapshot, graph: JobGraph, scope: [String: ParameterValue], makeId: () -> UUID
    ) -> [PlannedStep] {
        let existing = state.runs(of: template.name)
        if existing.isEmpty {
            guard state.isReady(template) else { return [] }
            if let when = template.when, !when.holds(needs: template.needs, outputs: state.finalOutputs(of:)) { return [] }
            let inputs = state.select(template.inputs)
            guard !inputs.isEmpty else { return [] }
            let parents = template.needs.flatMap { state.latestRuns(of: $0).map(\.id) }
            return items(of: template, scope: scope).map { item in
                makeStep(template, item: item, run: 1, parents: parents, inputs: inputs, graph: graph, scope: scope, makeId: makeId)
            }
        }
        // Retries: per fan-out value, the latest run's failed inputs, while runs remain.
        return state.latestRuns(of: template.name).compactMap { last in
            guard let inputs = state.retryInputs(template, last: last) else { return nil }
            return makeStep(template, item: last.item, run: last.run + 1, parents: [last.id], inputs: inputs, graph: graph, scope: scope, makeId: makeId)
        }
    }

    /// The fan-out values (or one nil when the step does not fan out).
    static func items(of template: StepTemplate, scope: [String: ParameterValue]) -> [String?] {
        guard let forEach = template.forEach else { return [nil] }
        switch forEach.values {
        case .literal(let values): return values
        case .parameter(let name): return scope[name]?.items ?? []
        }
    }

    /// The scope a run's template renders in: parameters, then the built-ins and the fan-out variable.
    static func scope(
        for template: StepTemplate, item: String?, run: Int, jobId: UUID, params: [String: ParameterValue]
    ) -> [String: ParameterValue] {
        var scope = params
        scope[Template.BuiltIn.job] = .string(jobId.uuidString.lowercased())
        scope[Template.BuiltIn.step] = .string(template.name)
        scope[Template.BuiltIn.run] = .number(Double(run))
        if let forEach = template.forEach, let item { scope[forEach.variable] = .string(item) }
        return scope
    }

    private static func makeStep(
        _ template: StepTemplate, item: String?, run: Int, parents: [UUID], inputs: [PlannedInput],
        graph: JobGraph, scope params: [String: ParameterValue], makeId: () -> UUID
    ) -> PlannedStep {
        let scope = scope(for: template, item: item, run: run, jobId: graph.jobId, params: params)
        var refusal: String?
        var request: [String: JSONValue] = [:]
        switch Template.render(template.request, scope: scope) {
        case .success(let rendered):
            request = StepRequest.stored(template: rendered, inputURLs: inputs.map(\.url))
            if case .failure(let problems) = StepRequest.sendable(stored: request, sessionContext: "mh1:planned", notify: .placeholder) {
                refusal = "the rendered request is not valid: \(problems)"
            }
        case .failure(let unknown):
            refusal = "the template names unknown placeholders: " + unknown.all.map { "{\($0.name)} at \($0.field)" }.joined(separator: ", ")
        }
        return PlannedStep(
            id: makeId(), name: template.name, item: item, run: run, parents: parents, inputs: inputs,
            request: request, delaySeconds: template.delaySeconds, refusal: refusal
        )
    }

    /// The job's final state from its runs (see ``Planner``).
    static func outcome(_ runs: [StepRun]) -> JobState {
        var children: [UUID: [UUID]] = [:]
        for run in runs { for parent in run.parents { children[parent, default: []].append(run.id) } }
        let byId = Dictionary(runs.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        func descendants(of id: UUID) -> [StepRun] {
            var seen: Set<UUID> = []
            var queue = children[id] ?? []
            var found: [StepRun] = []
            while let next = queue.popLast() {
                guard seen.insert(next).inserted, let run = byId[next] else { continue }
                found.append(run)
                queue += children[next] ?? []
            }
            return found
        }
        var ran: Set<Int> = []
        var failed: Set<Int> = []
        for run in runs {
            let later = descendants(of: run.id)
            for output in run.outputs {
                ran.insert(output.jobInputIndex)
                guard output.state == .fail else { continue }
                let recovered = later.contains { $0.outputs.contains { $0.jobInputIndex == output.jobInputIndex && $0.state == .success } }
                if !recovered { failed.insert(output.jobInputIndex) }
            }
        }
        if failed.isEmpty { return .succeeded }
        return failed == ran ? .failed : .partiallyFailed
    }
}

/// The runs of a job, indexed for planning.
private struct Snapshot {
    let definition: WorkflowDefinition
    let jobInputs: [String]
    let byName: [String: [StepRun]]

    init(definition: WorkflowDefinition, jobInputs: [String], runs: [StepRun]) {
        self.definition = definition
        self.jobInputs = jobInputs
        byName = Dictionary(grouping: runs, by: \.name)
    }

    func runs(of name: String) -> [StepRun] { byName[name] ?? [] }

    /// Per fan-out value, the run with the highest number.
    func latestRuns(of name: String) -> [StepRun] {
        var latest: [String?: StepRun] = [:]
        for run in runs(of: name) where latest[run.item].map({ run.run > $0.run }) ?? true {
            latest[run.item] = run
        }
        return latest.values.sorted { ($0.item ?? "", $0.run) < ($1.item ?? "", $1.run) }
    }

    /// Per fan-out value and job input, the latest run's output for it.
    func finalOutputs(of name: String) -> [OutputRecord] {
        var latest: [Key: (run: Int, output: OutputRecord)] = [:]
        for run in runs(of: name) {
            for output in run.outputs {
                let key = Key(item: run.item, input: output.jobInputIndex)
                if latest[key].map({ run.run > $0.run }) ?? true { latest[key] = (run.run, output) }
            }
        }
        return latest.sorted { ($0.key.item ?? "", $0.key.input) < ($1.key.item ?? "", $1.key.input) }.map(\.value.output)
    }

    private struct Key: Hashable {
        var item: String?
        var input: Int
    }

    /// Every need settled.
    func isReady(_ template: StepTemplate) -> Bool {
        template.needs.allSatisfy(isSettled)
    }

    /// Nothing of `name` runs or remains to plan (see ``Planner``).
    func isSettled(_ name: String) -> Bool {
        guard let template = definition.step(name) else { return true }
        let existing = runs(of: name)
        if existing.isEmpty {
            // Not run: settled once it is ready and will not run (its condition or inputs say so).
            guard isReady(template) else { return false }
            if let when = template.when, !when.holds(needs: template.needs, outputs: finalOutputs(of:)) { return true }
            return select(template.inputs).isEmpty
        }
        return latestRuns(of: name).allSatisfy { last in
            last.state.isTerminal && retryInputs(template, last: last) == nil
        }
    }

    /// The inputs of another run after `last`, or nil when none is due.
    func retryInputs(_ template: StepTemplate, last: StepRun) -> [PlannedInput]? {
        guard last.state.isTerminal, last.run < template.maxRuns else { return nil }
        let failed = last.outputs.filter { $0.state == .fail }.map { PlannedInput(jobInputIndex: $0.jobInputIndex, url: $0.inputURL) }
        return failed.isEmpty ? nil : failed
    }

    /// The inputs a selection picks, in job input order.
    func select(_ selection: InputSelection) -> [PlannedInput] {
        switch selection {
        case .job:
            return jobInputs.enumerated().map { PlannedInput(jobInputIndex: $0, url: $1) }
        case .from(let step, let match):
            var picked: [Int: String] = [:]
            for output in finalOutputs(of: step) where match.matches(output) {
                picked[output.jobInputIndex] = output.inputURL
            }
            return picked.keys.sorted().compactMap { index in picked[index].map { PlannedInput(jobInputIndex: index, url: $0) } }
        }
    }
}
