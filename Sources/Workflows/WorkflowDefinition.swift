public import MPS

/// A workflow: named, versioned steps, each one `BatchProcessMedia` call over a set of inputs,
/// that follow each other (`needs`), fan out (`forEach`), fan in (several `needs`), branch on
/// results (`when`) and retry what failed (`maxRuns`).
///
/// A definition is data: read from YAML or JSON (``WorkflowDefinition/parse(_:file:)``), fully
/// checked before it is stored (``WorkflowDefinition/validate(file:)``), and snapshotted by every
/// job that runs it, so editing a workflow never changes a running job.
public struct WorkflowDefinition: Sendable, Hashable {
    /// 1–100 characters: letters, digits, `-`, `_`, `.`.
    public var name: String
    /// Given in the file, or assigned when stored (the next free one for the name).
    public var version: Int?
    public var description: String?
    /// Parameters the step templates use, with their defaults; a job may override each.
    public var params: [String: ParameterValue]
    /// In the order the file lists them.
    public var steps: [StepTemplate]

    public init(
        name: String, version: Int? = nil, description: String? = nil,
        params: [String: ParameterValue] = [:], steps: [StepTemplate]
    ) {
        self.name = name
        self.version = version
        self.description = description
        self.params = params
        self.steps = steps
    }

    /// The step named `name`.
    public func step(_ name: String) -> StepTemplate? {
        steps.first { $0.name == name }
    }

    /// The one-step workflow a job created with a bare `BatchProcessMedia` body runs: one step
    /// named `main` over the job's inputs, nothing after it.
    public static func single(request: [String: JSONValue]) -> WorkflowDefinition {
        WorkflowDefinition(
            name: "single-request",
            steps: [StepTemplate(name: "main", inputs: .job, request: request)]
        )
    }
}

/// A parameter's value: what a `{name}` placeholder renders to.
public enum ParameterValue: Sendable, Hashable {
    case string(String)
    case number(Double)
    case bool(Bool)
    /// A list (for `forEach`); as a placeholder inside a string its items are joined with `/`,
    /// MPS's separator for several languages.
    case list([String])

    /// The value inside a longer string.
    public var text: String {
        switch self {
        case .string(let value): value
        case .number(let value): value.rounded(.towardZero) == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        case .bool(let value): value ? "true" : "false"
        case .list(let values): values.joined(separator: "/")
        }
    }

    /// The value standing alone (a string that is only the placeholder keeps the value's type).
    public var json: JSONValue {
        switch self {
        case .string(let value): .string(value)
        case .number(let value): .number(value)
        case .bool(let value): .bool(value)
        case .list(let values): .string(values.joined(separator: "/"))
        }
    }

    /// The value as stored with a job (a list stays a JSON array).
    public var stored: JSONValue {
        if case .list(let values) = self { return .array(values.map(JSONValue.string)) }
        return json
    }

    /// A stored value back (nil for JSON no parameter can hold: null, objects, lists of non-strings).
    public init?(stored value: JSONValue) {
        switch value {
        case .string(let text): self = .string(text)
        case .number(let number): self = .number(number)
        case .bool(let flag): self = .bool(flag)
        case .array(let elements):
            let strings = elements.compactMap(\.stringValue)
            guard strings.count == elements.count else { return nil }
            self = .list(strings)
        default: return nil
        }
    }

    /// The values `forEach` runs over: a list's items, or the single value.
    public var items: [String] {
        if case .list(let values) = self { return values }
        return [text]
    }
}

/// One step of a workflow: when it runs, over which inputs, and the request it sends.
public struct StepTemplate: Sendable, Hashable {
    /// 1–64 characters: letters, digits, `-`, `_`.
    public var name: String
    /// Steps that must be settled (finished, skipped, retries exhausted) before this one is
    /// considered. Several: fan-in.
    public var needs: [String]
    /// Runs only when this holds over the outputs of `needs` (nil: always).
    public var when: Condition?
    /// Which inputs it runs over.
    public var inputs: InputSelection
    /// Fan-out: one run per value, the value bound to `variable` in the template.
    public var forEach: ForEach?
    /// Seconds to wait after it is planned before it is sent (retries after a pause).
    public var delaySeconds: Int
    /// At most this many runs: after a run whose outputs failed, another run over just the
    /// failed inputs, until they succeed or the runs are used up. Inputs that succeeded are
    /// never sent again.
    public var maxRuns: Int
    /// The `BatchProcessMedia` body with `{param}` placeholders, without `InputInfo`,
    /// `SessionContext` and the notification target (mpshook sets those).
    public var request: [String: JSONValue]

    public init(
        name: String, needs: [String] = [], when: Condition? = nil, inputs: InputSelection = .job,
        forEach: ForEach? = nil, delaySeconds: Int = 0, maxRuns: Int = 1, request: [String: JSONValue]
    ) {
        self.name = name
        self.needs = needs
        self.when = when
        self.inputs = inputs
        self.forEach = forEach
        self.delaySeconds = delaySeconds
        self.maxRuns = maxRuns
        self.request = request
    }
}

/// Fan-out: one run of the step per value.
public struct ForEach: Sendable, Hashable {
    /// The placeholder name each value is bound to (e.g. `lang`).
    public var variable: String
    /// A literal list, or a `{param}` naming a list parameter.
    public var values: ForEachValues

    public init(variable: String, values: ForEachValues) {
        self.variable = variable
        self.values = values
    }
}

public enum ForEachValues: Sendable, Hashable {
    case literal([String])
    case parameter(String)
}

/// Which inputs a step runs over.
public enum InputSelection: Sendable, Hashable {
    /// The job's input URLs.
    case job
    /// The inputs of `step` whose output matches (`succeeded(step)` is `status: SUCCESS`,
    /// `failed(step)` is `status: FAIL`, `all(step)` matches every input).
    case from(step: String, matching: OutputMatch)

    public static func succeeded(_ step: String) -> InputSelection { .from(step: step, matching: OutputMatch(state: .success)) }
    public static func failed(_ step: String) -> InputSelection { .from(step: step, matching: OutputMatch(state: .fail)) }
    public static func all(_ step: String) -> InputSelection { .from(step: step, matching: OutputMatch()) }
}

/// A test on one output, from a small closed set of fields MPS reports. Every field given must hold.
public struct OutputMatch: Sendable, Hashable {
    /// `SUCCESS` or `FAIL` (conditions are read on settled steps, so only final states).
    public var state: OutputState?
    /// `ErrCodeExt`, e.g. `SourceFileError`.
    public var errorCode: String?
    /// A language one of the output's subtitle files is in (recognised or translated).
    public var language: String?

    public init(state: OutputState? = nil, errorCode: String? = nil, language: String? = nil) {
        self.state = state
        self.errorCode = errorCode
        self.language = language
    }

    /// The fields a condition may read, as the definition language names them.
    public static let fields = ["status", "errorCode", "language"]

    public func matches(_ output: OutputRecord) -> Bool {
        if let state, output.state != state { return false }
        if let errorCode, output.errorCode != errorCode { return false }
        if let language, !output.languages.contains(language) { return false }
        return true
    }
}

/// A branch condition: data from a closed set, checked when the definition is loaded, never an
/// expression evaluated at run time.
public indirect enum Condition: Sendable, Hashable {
    /// At least one output of `of` matches (`of` nil: the outputs of every step in `needs`).
    case any(OutputMatch, of: [String]?)
    /// Every output matches (and there is at least one).
    case all(OutputMatch, of: [String]?)
    /// No output matches.
    case none(OutputMatch, of: [String]?)
    case allOf([Condition])
    case anyOf([Condition])
    case not(Condition)

    /// The steps the condition reads explicitly (`of`), for validation.
    public var namedSteps: [String] {
        switch self {
        case .any(_, let of), .all(_, let of), .none(_, let of): of ?? []
        case .allOf(let conditions), .anyOf(let conditions): conditions.flatMap(\.namedSteps)
        case .not(let condition): condition.namedSteps
        }
    }

    /// Whether it holds, given the outputs of each step it may read (by step name).
    public func holds(needs: [String], outputs: (String) -> [OutputRecord]) -> Bool {
        func read(_ of: [String]?) -> [OutputRecord] { (of ?? needs).flatMap(outputs) }
        switch self {
        case .any(let match, let of): return read(of).contains(where: match.matches)
        case .all(let match, let of):
            let read = read(of)
            return !read.isEmpty && read.allSatisfy(match.matches)
        case .none(let match, let of): return !read(of).contains(where: match.matches)
        case .allOf(let conditions): return conditions.allSatisfy { $0.holds(needs: needs, outputs: outputs) }
        case .anyOf(let conditions): return conditions.contains { $0.holds(needs: needs, outputs: outputs) }
        case .not(let condition): return !condition.holds(needs: needs, outputs: outputs)
        }
    }
}
