import Correlation
import Foundation
public import MPS

/// The bounds the definition format sets.
public enum WorkflowLimits {
    /// Characters in a workflow's name.
    public static let nameLength = 1...100
    /// Characters in a step's name.
    public static let stepNameLength = 1...64
    /// Steps in a workflow (each check walks them; a definition is written by hand).
    public static let steps = 1...100
    /// Values one `forEach` fans out over (each is a step run, and a `BatchProcessMedia` call).
    public static let fanOut = 1...100
    /// A step's `maxRuns`.
    public static let maxRuns = 1...10
    /// A step's `delay`, in seconds (24 hours at most).
    public static let delaySeconds = 0...86_400
}

extension WorkflowDefinition {
    /// Every problem in this definition (empty: valid), each naming `file`, the step and the
    /// field. ``parse(_:file:)`` runs it, so a parsed definition is valid; call it for a
    /// definition built in code.
    ///
    /// Refused: bad names; a `needs`, `inputs` or condition `of` naming a missing step; a step
    /// reading a step that is not among its needs (or theirs); a cycle in `needs`; a condition
    /// without needs, on a non-final status or empty; a bad `forEach`, `delay` or `maxRuns`; in
    /// `request`, what mpshook sets itself, a missing `SmartSubtitlesTask`, a placeholder that
    /// names nothing; and a request that, rendered with the defaults (a sample job, run 1, each
    /// fan-out value), MPS would refuse.
    public func validate(file: String) -> [DefinitionProblem] {
        var validator = DefinitionValidator(definition: self, file: file)
        validator.checkAll()
        return validator.problems.all
    }

    /// A job's parameters: `overrides` checked against the declared parameters (an unknown name is
    /// refused; the type must be the default's: string, number, boolean or list of strings) and
    /// merged over the defaults. Problems name `params.<name>`.
    public func resolve(params overrides: [String: JSONValue]) -> Result<[String: ParameterValue], DefinitionProblems> {
        var problems = ProblemList(file: label)
        var resolved = params
        for name in overrides.keys.sorted() {
            guard let value = overrides[name] else { continue }
            let field = FieldPath.join("params", name)
            guard let declared = params[name] else {
                var message = "is not a parameter of this workflow"
                if params.isEmpty {
                    message += " (it declares none)"
                } else if let near = NearMiss.suggestion(for: name, among: params.keys.sorted()) {
                    message += "; did you mean \"\(near)\"?"
                } else {
                    message += "; its parameters are " + params.keys.sorted().joined(separator: ", ")
                }
                problems.add(field, message)
                continue
            }
            guard let given = ParameterValue(stored: value), given.kind == declared.kind else {
                problems.add(field, "must be \(declared.kind.description), like its default")
                continue
            }
            if case .number(let number) = given, !number.isFinite {
                problems.add(field, "must be a finite number")
                continue
            }
            resolved[name] = given
        }
        if let failure = DefinitionProblems(problems.all) { return .failure(failure) }
        return .success(resolved)
    }

    /// The problems a job with these parameter values (merged over the defaults, as
    /// ``resolve(params:)`` returns them) and `inputCount` inputs would meet: every step's request
    /// rendered with the job's values and checked by the MPS validator, and every fan-out over a
    /// parameter non-empty, so such a job is refused when it is created, naming the step and field.
    public func validateJob(params jobParams: [String: ParameterValue], inputCount: Int) -> [DefinitionProblem] {
        var validator = DefinitionValidator(definition: self, file: label)
        let scope = params.merging(jobParams) { _, job in job }
        if inputCount < 1 {
            validator.problems.add("inputs", "a job needs at least one input URL")
        }
        let inputs = (0..<max(1, inputCount)).map { RenderSample.inputURL(index: $0, of: inputCount) }
        for step in steps {
            validator.checkFanOut(step, scope: scope, forJob: true)
            validator.checkRendering(step, scope: scope, inputURLs: inputs, alreadyReported: [])
        }
        return validator.problems.all
    }

    /// How problems with a job's parameters name the workflow.
    var label: String {
        "workflow \(name)" + (version.map { " version \($0)" } ?? "")
    }
}

extension ParameterValue {
    /// The four kinds of parameter value; a job's value must be of its default's kind.
    enum Kind: CustomStringConvertible {
        case string, number, bool, list

        var description: String {
            switch self {
            case .string: "a string"
            case .number: "a number"
            case .bool: "true or false"
            case .list: "a list of strings"
            }
        }
    }

    var kind: Kind {
        switch self {
        case .string: .string
        case .number: .number
        case .bool: .bool
        case .list: .list
        }
    }
}

/// The stand-ins a template is rendered with when no job exists yet.
enum RenderSample {
    /// A fixed job id, so the same definition always renders the same way.
    static let jobId = UUID(uuid: (0, 0, 0, 0, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0, 0))
    static let sessionContext = CorrelationId(jobId).sessionContext
    static let inputURL = "https://media.example.invalid/sample.mp4"

    static func inputURL(index: Int, of count: Int) -> String {
        count <= 1 ? inputURL : "https://media.example.invalid/sample-\(index + 1).mp4"
    }
}

/// Checks a ``WorkflowDefinition``; see ``WorkflowDefinition/validate(file:)``.
struct DefinitionValidator {
    let definition: WorkflowDefinition
    var problems: ProblemList
    /// The first step of each name.
    private let byName: [String: StepTemplate]

    init(definition: WorkflowDefinition, file: String) {
        self.definition = definition
        problems = ProblemList(file: file)
        byName = Dictionary(definition.steps.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    mutating func checkAll() {
        checkHeader()
        checkSteps()
        checkCycles()
        for step in definition.steps {
            check(step)
        }
    }

    // MARK: - The definition as a whole

    private mutating func checkHeader() {
        let name = definition.name
        if !WorkflowLimits.nameLength.contains(name.count) || !name.allSatisfy({ $0.isNameCharacter || $0 == "." }) {
            problems.add("name", "must be 1–100 characters of letters, digits, \".\", \"_\", \"-\"; got \"\(name)\"")
        }
        if let version = definition.version, version < 1 {
            problems.add("version", "must be a positive whole number; got \(version)")
        }
        for (name, value) in definition.params.sorted(by: { $0.key < $1.key }) {
            let field = FieldPath.join("params", name)
            if !Self.isPlaceholderName(name) {
                problems.add(field, "a parameter's name is a letter or \"_\", then letters, digits or \"_\" (it is used as {\(name)})")
            } else if Template.BuiltIn.all.contains(name) {
                problems.add(field, "is a built-in placeholder ({\(name)}); choose another name")
            }
            if case .number(let number) = value, !number.isFinite {
                problems.add(field, "must be a finite number")
            }
        }
    }

    private mutating func checkSteps() {
        if definition.steps.isEmpty {
            problems.add("steps", "must list at least one step")
        } else if definition.steps.count > WorkflowLimits.steps.upperBound {
            problems.add("steps", "lists \(definition.steps.count) steps; at most \(WorkflowLimits.steps.upperBound)")
        }
        var seen: Set<String> = []
        for step in definition.steps where !seen.insert(step.name).inserted {
            problems.add(step: step.name, "name", "is the name of an earlier step too; step names are unique")
        }
    }

    /// Each cycle in `needs` once, reported at its first step in file order, naming every step in it.
    private mutating func checkCycles() {
        var done: Set<String> = []
        var onPath: [String] = []
        var reported: Set<Set<String>> = []
        var cycles: [[String]] = []
        func visit(_ name: String) {
            onPath.append(name)
            for need in byName[name]?.needs ?? [] where byName[need] != nil {
                if let start = onPath.firstIndex(of: need) {
                    let cycle = Array(onPath[start...])
                    if reported.insert(Set(cycle)).inserted { cycles.append(cycle) }
                } else if !done.contains(need) {
                    visit(need)
                }
            }
            onPath.removeLast()
            done.insert(name)
        }
        for step in definition.steps where !done.contains(step.name) {
            visit(step.name)
        }
        let order = Dictionary(definition.steps.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        for cycle in cycles {
            // Start the cycle at its earliest step, so the message reads in file order.
            let first = cycle.indices.min { order[cycle[$0], default: 0] < order[cycle[$1], default: 0] } ?? 0
            let rotated = Array(cycle[first...] + cycle[..<first])
            let path = (rotated + [rotated[0]]).map { "\"\($0)\"" }.joined(separator: " → ")
            problems.add(step: rotated[0], "needs", "forms a cycle: \(path); a step cannot wait for itself")
        }
    }

    /// The steps `name` waits for, directly or through their needs.
    private func upstream(of name: String) -> Set<String> {
        var found: Set<String> = []
        var queue = byName[name]?.needs ?? []
        while let next = queue.popLast() {
            guard found.insert(next).inserted else { continue }
            queue += byName[next]?.needs ?? []
        }
        return found
    }

    // MARK: - One step

    private mutating func check(_ step: StepTemplate) {
        let name = step.name
        if !WorkflowLimits.stepNameLength.contains(name.count) || !name.allSatisfy(\.isNameCharacter) {
            problems.add(step: name, "name", "must be 1–64 characters of letters, digits, \"_\", \"-\"")
        }
        var needed: Set<String> = []
        for (index, need) in step.needs.enumerated() {
            let field = FieldPath.index("needs", index)
            if byName[need] == nil {
                problems.add(step: name, field, Self.missingStep(need, among: definition.steps.map(\.name)))
            } else if !needed.insert(need).inserted {
                problems.add(step: name, field, "lists \"\(need)\" twice")
            }
        }
        let upstream = upstream(of: name)
        if let when = step.when {
            if step.needs.isEmpty {
                problems.add(step: name, "when", "needs a step to read: a condition is only allowed on a step with needs")
            }
            check(when, path: "when", step: step, upstream: upstream)
        }
        if case .from(let source, let match) = step.inputs {
            checkReference(source, field: "inputs", step: step, upstream: upstream)
            check(match, path: "inputs.where", step: name)
        }
        if let forEach = step.forEach {
            let field = FieldPath.join("forEach", forEach.variable)
            if !Self.isPlaceholderName(forEach.variable) {
                problems.add(step: name, field, "a variable's name is a letter or \"_\", then letters, digits or \"_\" (it is used as {\(forEach.variable)})")
            } else if Template.BuiltIn.all.contains(forEach.variable) {
                problems.add(step: name, field, "shadows the built-in placeholder {\(forEach.variable)}; choose another name")
            } else if definition.params[forEach.variable] != nil {
                problems.add(step: name, field, "shadows the parameter \(forEach.variable); choose another name")
            }
            checkFanOut(step, scope: definition.params, forJob: false)
        }
        if !WorkflowLimits.delaySeconds.contains(step.delaySeconds) {
            problems.add(step: name, "delay", "must be between 0 and 86400 seconds (24h); got \(step.delaySeconds)")
        }
        if !WorkflowLimits.maxRuns.contains(step.maxRuns) {
            problems.add(step: name, "maxRuns", "must be between 1 and 10; got \(step.maxRuns)")
        }
        let reported = checkRequest(step)
        // A template with unknown placeholders cannot be rendered; those are reported already.
        if !reported.contains(where: { $0.hasPrefix("placeholder:") }) {
            checkRendering(step, scope: definition.params, inputURLs: [RenderSample.inputURL], alreadyReported: reported)
        }
    }

    private mutating func check(_ condition: Condition, path: String, step: StepTemplate, upstream: Set<String>) {
        func checkOf(_ of: [String]?, _ path: String) {
            for (index, source) in (of ?? []).enumerated() {
                checkReference(source, field: FieldPath.index(FieldPath.join(path, "of"), index), step: step, upstream: upstream)
            }
        }
        switch condition {
        case .any(let match, let of):
            check(match, path: FieldPath.join(path, "any"), step: step.name)
            checkOf(of, FieldPath.join(path, "any"))
        case .all(let match, let of):
            check(match, path: FieldPath.join(path, "all"), step: step.name)
            checkOf(of, FieldPath.join(path, "all"))
        case .none(let match, let of):
            check(match, path: FieldPath.join(path, "none"), step: step.name)
            checkOf(of, FieldPath.join(path, "none"))
        case .allOf(let conditions), .anyOf(let conditions):
            let kind = if case .allOf = condition { "allOf" } else { "anyOf" }
            let listPath = FieldPath.join(path, kind)
            if conditions.isEmpty {
                problems.add(step: step.name, listPath, "must list at least one condition")
            }
            for (index, inner) in conditions.enumerated() {
                check(inner, path: FieldPath.index(listPath, index), step: step, upstream: upstream)
            }
        case .not(let inner):
            check(inner, path: FieldPath.join(path, "not"), step: step, upstream: upstream)
        }
    }

    private mutating func check(_ match: OutputMatch, path: String, step: String) {
        if let state = match.state, !state.isFinal {
            problems.add(step: step, FieldPath.join(path, "status"), "must be SUCCESS or FAIL (conditions read settled outputs); got \"\(state.rawValue)\"")
        }
        if match.errorCode?.isEmpty == true {
            problems.add(step: step, FieldPath.join(path, "errorCode"), "must not be empty")
        }
        if match.language?.isEmpty == true {
            problems.add(step: step, FieldPath.join(path, "language"), "must not be empty")
        }
    }

    /// `source` (read by `inputs` or a condition's `of`) exists and is waited for.
    private mutating func checkReference(_ source: String, field: String, step: StepTemplate, upstream: Set<String>) {
        if byName[source] == nil {
            problems.add(step: step.name, field, Self.missingStep(source, among: definition.steps.map(\.name)))
        } else if !upstream.contains(source) || source == step.name {
            problems.add(
                step: step.name, field,
                "reads step \"\(source)\", which is not among its needs (or theirs): add it to needs so its outputs are final when this step is planned"
            )
        }
    }

    /// The fan-out values: a non-empty literal without repeats, or a parameter holding such a list
    /// (`scope`: the defaults, or a job's values).
    mutating func checkFanOut(_ step: StepTemplate, scope: [String: ParameterValue], forJob: Bool) {
        guard let forEach = step.forEach else { return }
        let field = FieldPath.join("forEach", forEach.variable)
        let values: [String]
        switch forEach.values {
        case .literal(let literal):
            guard !forJob else { return }  // the same for every job: checked with the definition
            values = literal
        case .parameter(let name):
            guard let value = scope[name] else {
                if !forJob {
                    problems.add(step: step.name, field, "\"{\(name)}\" names no parameter" + Self.nearMiss(name, among: Array(scope.keys)))
                }
                return
            }
            guard case .list(let list) = value else {
                if !forJob { problems.add(step: step.name, field, "\"{\(name)}\" must name a list parameter; \(name) is \(value.kind.description)") }
                return
            }
            values = list
        }
        let whose = forJob ? " for this job" : ""
        if values.isEmpty {
            problems.add(step: step.name, field, "is an empty list\(whose): the step would have nothing to run")
        } else if values.count > WorkflowLimits.fanOut.upperBound {
            problems.add(step: step.name, field, "has \(values.count) values\(whose); at most \(WorkflowLimits.fanOut.upperBound)")
        }
        var seen: Set<String> = []
        for value in values where !seen.insert(value).inserted {
            problems.add(step: step.name, field, "lists \"\(value)\" twice\(whose)")
        }
    }

    // MARK: - The request

    /// What the template sets that mpshook owns, a missing `SmartSubtitlesTask`, unknown
    /// placeholders and numbers JSON cannot hold. Returns the fields reported (placeholder
    /// problems as `placeholder:<field>`), so the rendered check does not repeat them.
    private mutating func checkRequest(_ step: StepTemplate) -> Set<String> {
        var reported: Set<String> = []
        func add(_ field: String, _ message: String) {
            problems.add(step: step.name, FieldPath.join("request", field), message)
            reported.insert(field)
        }
        let request = step.request
        if request["InputInfo"] != nil {
            add("InputInfo", "is set by mpshook from the inputs the step runs over; leave it out")
        }
        if request["SessionContext"] != nil {
            add("SessionContext", "is set by mpshook (each step's correlation id); leave it out")
        }
        if case .object(let notify) = request["TaskNotifyConfig"] {
            for member in StepRequest.ownedNotifyMembers where notify[member] != nil {
                let why =
                    ["NotifyUrl", "NotifyKey"].contains(member)
                    ? "is set by mpshook (its callback URL and key)" : "is a queue target; mpshook is notified by URL only"
                add(FieldPath.join("TaskNotifyConfig", member), why + "; leave it out")
            }
            if let type = notify["NotifyType"], type != .string("URL") {
                add("TaskNotifyConfig.NotifyType", "must be URL (or left out): mpshook is notified by URL")
            }
        }
        if request["SmartSubtitlesTask"] == nil || request["SmartSubtitlesTask"] == .null {
            add("SmartSubtitlesTask", "is required: each step runs a smart subtitles task")
        }
        var known = Set(definition.params.keys).union(Template.BuiltIn.all)
        if let variable = step.forEach?.variable { known.insert(variable) }
        for (field, name) in Template.placeholders(in: request) where !known.contains(name) {
            problems.add(
                step: step.name, FieldPath.join("request", field),
                "{\(name)} names no parameter, built-in (job, step, run) or forEach variable" + Self.nearMiss(name, among: Array(known))
            )
            reported.insert("placeholder:" + field)
        }
        for field in Self.nonFiniteNumbers(in: .object(request), path: "") {
            add(field, "must be a finite number")
        }
        return reported
    }

    /// Renders `step` for each fan-out value with `scope` and `inputURLs`, builds the request a
    /// run would send (``StepRequest``) and reports each problem the MPS validator finds at
    /// `request.<field>`, saying which fan-out values it applies to when not all.
    mutating func checkRendering(_ step: StepTemplate, scope params: [String: ParameterValue], inputURLs: [String], alreadyReported: Set<String>) {
        let items = Planner.items(of: step, scope: params)
        guard !items.isEmpty else { return }  // an empty fan-out is reported on its own
        var order: [String] = []
        var found: [String: (field: String, message: String, items: [String])] = [:]
        for item in items {
            let scope = Planner.scope(for: step, item: item, run: 1, jobId: RenderSample.jobId, params: params)
            let itemProblems: [(field: String, message: String)]
            switch Template.render(step.request, scope: scope) {
            case .failure(let unknown):
                itemProblems = unknown.all.map { ($0.field, "{\($0.name)} names nothing in scope") }
            case .success(let rendered):
                let stored = StepRequest.stored(template: rendered, inputURLs: inputURLs)
                switch StepRequest.sendable(stored: stored, sessionContext: RenderSample.sessionContext, notify: .placeholder) {
                case .success: itemProblems = []
                case .failure(let invalid): itemProblems = invalid.map { ($0.field, "\($0.message) (MPS would answer \($0.errorCode))") }
                }
            }
            for (field, message) in itemProblems where !alreadyReported.contains(field) {
                let key = field + "\u{0}" + message
                if found[key] == nil { order.append(key) }
                found[key, default: (field, message, [])].items.append(item ?? "")
            }
        }
        for key in order {
            guard let (field, message, forItems) = found[key] else { continue }
            var text = "the rendered request is refused: " + message
            if let variable = step.forEach?.variable, forItems.count < items.count {
                text += " (when \(variable) is " + forItems.map { "\"\($0)\"" }.joined(separator: ", ") + ")"
            }
            problems.add(step: step.name, field.isEmpty ? "request" : FieldPath.join("request", field), text)
        }
    }

    // MARK: - Helpers

    static func isPlaceholderName(_ name: String) -> Bool {
        Template.names(in: "{\(name)}") == [name]
    }

    static func missingStep(_ name: String, among names: [String]) -> String {
        "names no step: \"\(name)\"" + nearMiss(name, among: names)
    }

    static func nearMiss(_ name: String, among names: [String]) -> String {
        NearMiss.suggestion(for: name, among: names.sorted()).map { "; did you mean \"\($0)\"?" } ?? ""
    }

    /// Paths of numbers JSON cannot hold (NaN, infinities), which a definition built in code could carry.
    static func nonFiniteNumbers(in value: JSONValue, path: String) -> [String] {
        switch value {
        case .number(let number): return number.isFinite ? [] : [path]
        case .array(let elements):
            return elements.enumerated().flatMap { nonFiniteNumbers(in: $1, path: FieldPath.index(path, $0)) }
        case .object(let members):
            return members.keys.sorted().flatMap { key in
                members[key].map { nonFiniteNumbers(in: $0, path: FieldPath.join(path, key)) } ?? []
            }
        default: return []
        }
    }
}

extension Character {
    /// Letters, digits, `_`, `-` (ASCII): the characters of step names.
    fileprivate var isNameCharacter: Bool {
        switch self {
        case "a"..."z", "A"..."Z", "0"..."9", "_", "-": true
        default: false
        }
    }
}
