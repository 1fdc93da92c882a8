import MPS

/// One reason a workflow definition (or a job's parameters for it) is refused.
///
/// It names where: the file (or whatever the text came from), the step when the problem is in
/// one, and the field as a dotted path relative to the step (`when.any.language`,
/// `request.SmartSubtitlesTask.RawParameter.VideoSrcLanguage`) or to the definition when there
/// is no step (`params.languages`, `steps[2].name`).
public struct DefinitionProblem: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file name or source label the definition was read from.
    public var file: String
    /// The step the problem is in; nil for the definition as a whole.
    public var step: String?
    /// Dotted path of the offending field; `""` for the text as a whole (it is not YAML).
    public var field: String
    /// What is wrong, and what would be right when that is short to say.
    public var message: String

    public init(file: String, step: String? = nil, field: String, message: String) {
        self.file = file
        self.step = step
        self.field = field
        self.message = message
    }

    /// `file: step "name": field: message`, leaving out the parts that are not set.
    public var description: String {
        var text = file + ": "
        if let step { text += "step \"\(step)\": " }
        if !field.isEmpty { text += field + ": " }
        return text + message
    }
}

/// A non-empty list of ``DefinitionProblem``s, in the order they were found: the failure of
/// ``WorkflowDefinition/parse(_:file:)`` and of ``WorkflowDefinition/resolve(params:)``.
public struct DefinitionProblems: Error, Sendable, Hashable, RandomAccessCollection, CustomStringConvertible {
    public let problems: [DefinitionProblem]

    /// nil when `problems` is empty: a list of no problems is not a failure.
    public init?(_ problems: [DefinitionProblem]) {
        guard !problems.isEmpty else { return nil }
        self.problems = problems
    }

    /// Exactly one problem.
    init(_ problem: DefinitionProblem) {
        problems = [problem]
    }

    public var startIndex: Int { problems.startIndex }
    public var endIndex: Int { problems.endIndex }
    public subscript(position: Int) -> DefinitionProblem { problems[position] }

    /// One problem per line.
    public var description: String {
        problems.map(\.description).joined(separator: "\n")
    }
}

/// Collects problems for one file, each with the step it is in.
struct ProblemList {
    let file: String
    private(set) var all: [DefinitionProblem] = []

    init(file: String) {
        self.file = file
    }

    mutating func add(step: String? = nil, _ field: String, _ message: String) {
        all.append(DefinitionProblem(file: file, step: step, field: field, message: message))
    }

    mutating func add(contentsOf problems: [DefinitionProblem]) {
        all += problems
    }

    /// "unknown field", with the nearest known name when one is close.
    static func unknownField(_ name: String, known: [String]) -> String {
        var message = "unknown field"
        if let near = NearMiss.suggestion(for: name, among: known) { message += "; did you mean \"\(near)\"?" }
        else { message += "; expected one of " + known.joined(separator: ", ") }
        return message
    }
}

/// Dotted paths for problem fields.
enum FieldPath {
    static func join(_ path: String, _ name: String) -> String {
        path.isEmpty ? name : path + "." + name
    }

    static func index(_ path: String, _ index: Int) -> String {
        "\(path)[\(index)]"
    }
}
