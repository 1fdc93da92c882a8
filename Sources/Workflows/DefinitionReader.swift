import Foundation
import MPS
import Yams

extension WorkflowDefinition {
    /// Reads a definition from YAML or JSON text (JSON is read as YAML, so one reader) and
    /// validates it (``validate(file:)``): a definition this returns is valid.
    ///
    /// Steps keep the order the text gives them. A duplicate key anywhere, and an unknown field
    /// anywhere outside a step's `request`, are refused. Plain scalars follow the YAML 1.2 core
    /// schema: only `true`/`false` are booleans, so `Switch: ON` is the string `"ON"` MPS expects;
    /// numbers stay numbers and `null`/`~` is null. On failure, every problem found, each naming
    /// `file`, the step and the field.
    public static func parse(_ text: String, file: String) -> Result<WorkflowDefinition, DefinitionProblems> {
        var reader = DefinitionReader(file: file)
        guard let definition = reader.read(text) else {
            return .failure(DefinitionProblems(reader.problems.all) ?? DefinitionProblems.unreadable(file))
        }
        // What cannot be read is already reported; checks that would only repeat it are dropped.
        let checked = definition.validate(file: file).filter { !reader.gaps.hides($0) }
        if let problems = DefinitionProblems(reader.problems.all + checked) { return .failure(problems) }
        return .success(definition)
    }
}

extension DefinitionProblems {
    /// Never expected: a read that returned nothing always says why.
    static func unreadable(_ file: String) -> DefinitionProblems {
        DefinitionProblems(DefinitionProblem(file: file, field: "", message: "could not be read"))
    }
}

/// The fields each level of a definition may have, as the format names them.
enum DefinitionField {
    static let topLevel = ["name", "version", "description", "params", "steps"]
    /// A step in the `steps` mapping form (its name is its key).
    static let step = ["needs", "when", "inputs", "forEach", "delay", "maxRuns", "request"]
    /// A step in the list form (the canonical form).
    static let listedStep = ["name"] + step
    static let conditionKinds = ["any", "all", "none", "allOf", "anyOf", "not"]
    static let condition = conditionKinds + ["of"]
    static let inputs = ["from", "where"]
    static let inputShorthands = ["succeeded", "failed", "all"]
}

/// Parts of a definition that could not be read, so that validation does not report what
/// follows from them (a missing `request` is not also "without SmartSubtitlesTask").
struct ReadGaps {
    /// Per step name, the fields whose value could not be read (`*`: the whole step).
    var steps: [String: Set<String>] = [:]
    /// Top-level fields whose value could not be read.
    var topLevel: Set<String> = []

    /// Whether `problem` (from validation) only follows from something already reported.
    func hides(_ problem: DefinitionProblem) -> Bool {
        let root = Self.root(of: problem.field)
        if let step = problem.step {
            let gaps = steps[step] ?? []
            if gaps.contains("*") || gaps.contains(root) { return true }
            // The checks that read other fields: references need `needs`, rendering needs the
            // fan-out values and the parameters.
            if gaps.contains("needs"), ["when", "inputs", "needs"].contains(root) { return true }
            if gaps.contains("forEach"), root == "request" { return true }
            if topLevel.contains("params"), ["request", "forEach"].contains(root) { return true }
            return false
        }
        return topLevel.contains(root)
    }

    static func root(of field: String) -> String {
        String(field.prefix { $0 != "." && $0 != "[" })
    }
}

/// Reads the YAML node tree into a ``WorkflowDefinition``, collecting every problem. Works on
/// Yams' composed nodes, not on decoded dictionaries, so that key order is kept and duplicate
/// keys are seen (Yams refuses them while composing).
struct DefinitionReader {
    private(set) var problems: ProblemList
    private(set) var gaps = ReadGaps()

    init(file: String) {
        problems = ProblemList(file: file)
    }

    /// Where a value is: its step (nil at the top level) and its dotted path within it.
    struct Place {
        var step: String?
        var path: String

        func member(_ name: String) -> Place { Place(step: step, path: FieldPath.join(path, name)) }
        func element(_ index: Int) -> Place { Place(step: step, path: FieldPath.index(path, index)) }
    }

    /// The YAML 1.2 core schema's plain scalars: only `true`/`false` (any case form) are booleans,
    /// so the YAML 1.1 `ON`/`OFF`/`yes`/`no` stay strings. `.inf` and `.nan` are recognised only
    /// to be refused (JSON has no such numbers).
    static let resolver: Resolver = {
        let rules: [(Tag.Name, String)] = [
            (.null, "^(?:~|null|Null|NULL|)$"),
            (.bool, "^(?:true|True|TRUE|false|False|FALSE)$"),
            (.int, "^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
            (
                .float,
                "^(?:[-+]?(?:\\.[0-9]+|[0-9]+(?:\\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN))$"
            ),
        ]
        var resolver = Resolver.basic
        for (tag, pattern) in rules {
            // The patterns are constants (a test reads numbers, booleans and nulls through them).
            if let extended = try? resolver.appending(tag, pattern) { resolver = extended }
        }
        return resolver
    }()

    mutating func read(_ text: String) -> WorkflowDefinition? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text, Self.resolver)
        } catch let error as YamlError {
            problems.add("", Self.describe(error))
            return nil
        } catch {
            problems.add("", "is not YAML or JSON: \(error)")
            return nil
        }
        guard let root else {
            problems.add("", "is empty; a workflow needs at least name and steps")
            return nil
        }
        let top = Place(step: nil, path: "")
        guard let members = mapping(root, at: top, what: "a workflow definition") else { return nil }
        var definition = WorkflowDefinition(name: "", steps: [])
        var seen: Set<String> = []
        for (key, value) in members {
            seen.insert(key)
            let place = top.member(key)
            switch key {
            case "name":
                if let name = string(value, at: place) { definition.name = name } else { gaps.topLevel.insert(key) }
            case "version":
                if let version = integer(value, at: place) { definition.version = version } else { gaps.topLevel.insert(key) }
            case "description":
                if let text = string(value, at: place) { definition.description = text } else { gaps.topLevel.insert(key) }
            case "params":
                if let params = readParams(value, at: place) { definition.params = params } else { gaps.topLevel.insert(key) }
            case "steps":
                if let steps = readSteps(value, at: place) { definition.steps = steps } else { gaps.topLevel.insert(key) }
            default:
                problems.add(place.path, ProblemList.unknownField(key, known: DefinitionField.topLevel))
            }
        }
        for required in ["name", "steps"] where !seen.contains(required) {
            problems.add(required, "is required")
            gaps.topLevel.insert(required)
        }
        return definition
    }

    // MARK: - Parameters and steps

    private mutating func readParams(_ node: Node, at place: Place) -> [String: ParameterValue]? {
        guard let members = mapping(node, at: place, what: "a mapping of parameter names to default values") else { return nil }
        var params: [String: ParameterValue] = [:]
        var complete = true
        for (name, value) in members {
            if let parameter = parameterValue(value, at: place.member(name)) { params[name] = parameter } else { complete = false }
        }
        return complete ? params : nil
    }

    /// A parameter's value: a string, number, boolean or list of strings.
    mutating func parameterValue(_ node: Node, at place: Place) -> ParameterValue? {
        let expected = "must be a string, a number, true/false or a list of strings"
        if node.sequence != nil {
            return strings(node, at: place).map(ParameterValue.list)
        }
        guard node.scalar != nil else {
            problems.add(step: place.step, place.path, expected + ", not " + Self.kind(of: node))
            return nil
        }
        switch scalar(node, at: place) {
        case .string(let text)?: return .string(text)
        case .number(let number)?: return .number(number)
        case .bool(let flag)?: return .bool(flag)
        case .null?:
            problems.add(step: place.step, place.path, expected + ", not null")
            return nil
        case nil:
            return nil
        }
    }

    private mutating func readSteps(_ node: Node, at place: Place) -> [StepTemplate]? {
        if let members = node.mapping {
            var steps: [StepTemplate] = []
            for (key, value) in members {
                guard let keyText = key.scalar?.string else {
                    problems.add(place.path, "a step's name must be a plain string")
                    continue
                }
                steps.append(readStep(value, name: keyText, listed: false))
            }
            return steps
        }
        if let elements = node.sequence {
            var steps: [StepTemplate] = []
            for (index, element) in elements.enumerated() {
                let elementPlace = place.element(index)
                var name = ""
                if element.mapping != nil {
                    if let nameNode = mapping(element, at: elementPlace, what: "")?.first(where: { $0.0 == "name" })?.1 {
                        name = string(nameNode, at: elementPlace.member("name")) ?? ""
                    } else {
                        problems.add(elementPlace.member("name").path, "is required: each step in a list has a name")
                    }
                }
                if name.isEmpty { gaps.steps[name, default: []].insert("*") }
                steps.append(readStep(element, name: name, listed: true, listPlace: name.isEmpty ? elementPlace : nil))
            }
            return steps
        }
        problems.add(place.path, "must be a mapping of step names to steps, or a list of steps, not " + Self.kind(of: node))
        return nil
    }

    /// One step. `listPlace` is where a step without a readable name is reported (`steps[2]`).
    private mutating func readStep(_ node: Node, name: String, listed: Bool, listPlace: Place? = nil) -> StepTemplate {
        let stepPlace = listPlace ?? Place(step: name, path: "")
        var step = StepTemplate(name: name, request: [:])
        guard let members = mapping(node, at: stepPlace, what: "a step") else {
            gaps.steps[name, default: []].insert("*")
            return step
        }
        var seen: Set<String> = []
        for (key, value) in members {
            seen.insert(key)
            let place = stepPlace.member(key)
            let before = problems.all.count
            switch key {
            case "name" where listed:
                break  // read by the caller
            case "needs":
                if let needs = names(value, at: place) { step.needs = needs }
            case "when":
                if let condition = readCondition(value, at: place) { step.when = condition }
            case "inputs":
                if let inputs = readInputs(value, at: place) { step.inputs = inputs }
            case "forEach":
                if let forEach = readForEach(value, at: place) { step.forEach = forEach }
            case "delay":
                if let delay = readDelay(value, at: place) { step.delaySeconds = delay }
            case "maxRuns":
                if let maxRuns = integer(value, at: place) { step.maxRuns = maxRuns }
            case "request":
                if value.mapping == nil {
                    problems.add(step: stepPlace.step, place.path, "must be a mapping (the BatchProcessMedia body), not " + Self.kind(of: value))
                } else if let request = json(value, at: place)?.objectValue {
                    step.request = request
                }
            default:
                let known = listed ? DefinitionField.listedStep : DefinitionField.step
                var message = ProblemList.unknownField(key, known: known)
                if key == "name" { message = "is the step's key in the steps mapping; leave it out (or list steps with a name each)" }
                problems.add(step: stepPlace.step, place.path, message)
            }
            if problems.all.count > before { gaps.steps[name, default: []].insert(key) }
        }
        if !seen.contains("request") {
            problems.add(step: stepPlace.step, stepPlace.member("request").path, "is required: the BatchProcessMedia body the step sends")
            gaps.steps[name, default: []].insert("request")
        }
        return step
    }

    // MARK: - Conditions, inputs, fan-out, delay

    private mutating func readCondition(_ node: Node, at place: Place) -> Condition? {
        guard let members = mapping(node, at: place, what: "a condition (any, all, none, allOf, anyOf or not)") else { return nil }
        var kinds: [(String, Node)] = []
        var of: (node: Node, place: Place)?
        var complete = true
        for (key, value) in members {
            if DefinitionField.conditionKinds.contains(key) {
                kinds.append((key, value))
            } else if key == "of" {
                of = (value, place.member(key))
            } else {
                problems.add(step: place.step, place.member(key).path, ProblemList.unknownField(key, known: DefinitionField.condition))
                complete = false
            }
        }
        guard kinds.count == 1, let (kind, value) = kinds.first else {
            // An unknown key already said what is wrong when it is the only one.
            if !(kinds.isEmpty && !complete) {
                let names = kinds.isEmpty ? "none" : kinds.map(\.0).joined(separator: " and ")
                problems.add(step: place.step, place.path, "must have exactly one of any, all, none, allOf, anyOf, not; has \(names)")
            }
            return nil
        }
        let kindPlace = place.member(kind)
        var ofSteps: [String]?
        if let of {
            if ["any", "all", "none"].contains(kind) {
                guard let steps = names(of.node, at: of.place) else { return nil }
                ofSteps = steps
            } else {
                problems.add(step: place.step, of.place.path, "belongs with any, all or none, not \(kind)")
                complete = false
            }
        }
        let condition: Condition?
        switch kind {
        case "any", "all", "none":
            guard let match = readMatch(value, at: kindPlace) else { return nil }
            condition = kind == "any" ? .any(match, of: ofSteps) : kind == "all" ? .all(match, of: ofSteps) : .none(match, of: ofSteps)
        case "allOf", "anyOf":
            guard let elements = value.sequence else {
                problems.add(step: place.step, kindPlace.path, "must be a list of conditions, not " + Self.kind(of: value))
                return nil
            }
            var conditions: [Condition] = []
            for (index, element) in elements.enumerated() {
                if let inner = readCondition(element, at: kindPlace.element(index)) { conditions.append(inner) } else { complete = false }
            }
            condition = kind == "allOf" ? .allOf(conditions) : .anyOf(conditions)
        default:
            condition = readCondition(value, at: kindPlace).map(Condition.not)
        }
        return complete ? condition : nil
    }

    /// `SUCCESS`, `FAIL`, or a mapping of ``OutputMatch/fields``.
    private mutating func readMatch(_ node: Node, at place: Place) -> OutputMatch? {
        if node.scalar != nil, case .string(let text)? = scalar(node, at: place) {
            if let state = Self.settledState(text) { return OutputMatch(state: state) }
            problems.add(step: place.step, place.path, "must be SUCCESS, FAIL or a mapping of status, errorCode, language; got \"\(text)\"")
            return nil
        }
        guard let members = mapping(node, at: place, what: "SUCCESS, FAIL or a mapping of status, errorCode, language") else { return nil }
        var match = OutputMatch()
        var complete = true
        for (key, value) in members {
            let fieldPlace = place.member(key)
            switch key {
            case "status":
                guard let text = string(value, at: fieldPlace) else {
                    complete = false
                    continue
                }
                if let state = Self.settledState(text) {
                    match.state = state
                } else {
                    problems.add(step: place.step, fieldPlace.path, "must be SUCCESS or FAIL (conditions read settled outputs); got \"\(text)\"")
                    complete = false
                }
            case "errorCode":
                if let text = string(value, at: fieldPlace) { match.errorCode = text } else { complete = false }
            case "language":
                if let text = string(value, at: fieldPlace) { match.language = text } else { complete = false }
            default:
                problems.add(step: place.step, fieldPlace.path, ProblemList.unknownField(key, known: OutputMatch.fields))
                complete = false
            }
        }
        return complete ? match : nil
    }

    private static func settledState(_ text: String) -> OutputState? {
        switch text {
        case OutputState.success.rawValue: .success
        case OutputState.fail.rawValue: .fail
        default: nil
        }
    }

    private mutating func readInputs(_ node: Node, at place: Place) -> InputSelection? {
        let expected = "must be job, succeeded(STEP), failed(STEP), all(STEP) or {from: STEP, where: MATCH}"
        if node.scalar != nil {
            guard case .string(let text)? = scalar(node, at: place) else {
                problems.add(step: place.step, place.path, expected)
                return nil
            }
            if text == "job" { return .job }
            if let open = text.firstIndex(of: "("), text.hasSuffix(")") {
                let function = String(text[..<open])
                let step = text[text.index(after: open)..<text.index(before: text.endIndex)].trimmingCharacters(in: .whitespaces)
                switch function {
                case "succeeded": return .succeeded(step)
                case "failed": return .failed(step)
                case "all": return .all(step)
                default:
                    if let near = NearMiss.suggestion(for: function, among: DefinitionField.inputShorthands) {
                        problems.add(step: place.step, place.path, "\(expected); did you mean \"\(near)(\(step))\"?")
                        return nil
                    }
                }
            }
            problems.add(step: place.step, place.path, expected + "; got \"\(text)\"")
            return nil
        }
        guard let members = mapping(node, at: place, what: expected.replacingOccurrences(of: "must be ", with: "")) else { return nil }
        var from: String?
        var match = OutputMatch()
        var complete = true
        for (key, value) in members {
            let fieldPlace = place.member(key)
            switch key {
            case "from":
                from = string(value, at: fieldPlace)
                if from == nil { complete = false }
            case "where":
                if let read = readMatch(value, at: fieldPlace) { match = read } else { complete = false }
            default:
                problems.add(step: place.step, fieldPlace.path, ProblemList.unknownField(key, known: DefinitionField.inputs))
                complete = false
            }
        }
        guard complete else { return nil }
        guard let from else {
            problems.add(step: place.step, place.member("from").path, "is required: the step whose inputs are read")
            return nil
        }
        return .from(step: from, matching: match)
    }

    private mutating func readForEach(_ node: Node, at place: Place) -> ForEach? {
        guard let members = mapping(node, at: place, what: "a mapping of one variable to its values") else { return nil }
        guard members.count == 1, let (variable, value) = members.first else {
            problems.add(step: place.step, place.path, "must bind exactly one variable (e.g. {lang: \"{languages}\"}); has \(members.count)")
            return nil
        }
        let valuePlace = place.member(variable)
        let expected = "must be a list of strings or \"{param}\" naming a list parameter"
        if value.sequence != nil {
            return strings(value, at: valuePlace).map { ForEach(variable: variable, values: .literal($0)) }
        }
        if value.scalar != nil, case .string(let text)? = scalar(value, at: valuePlace) {
            let names = Template.names(in: text)
            if names.count == 1, text == "{\(names[0])}" { return ForEach(variable: variable, values: .parameter(names[0])) }
            problems.add(step: place.step, valuePlace.path, expected + "; got \"\(text)\"")
            return nil
        }
        problems.add(step: place.step, valuePlace.path, expected)
        return nil
    }

    /// Whole seconds, or `"<n>s"`, `"<n>m"`, `"<n>h"`.
    private mutating func readDelay(_ node: Node, at place: Place) -> Int? {
        let expected = "must be whole seconds or a duration like \"30s\", \"5m\", \"1h\""
        switch node.scalar != nil ? scalar(node, at: place) : nil {
        case .number?:
            return integer(node, at: place)
        case .string(let text)?:
            let unit = text.last
            let digits = text.dropLast()
            let factor: Int? =
                switch unit {
                case "s": 1
                case "m": 60
                case "h": 3600
                default: nil
                }
            guard let factor, !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit) else {
                problems.add(step: place.step, place.path, expected + "; got \"\(text)\"")
                return nil
            }
            guard let count = Int(digits), count <= WorkflowLimits.delaySeconds.upperBound else {
                problems.add(step: place.step, place.path, "must be at most \(WorkflowLimits.delaySeconds.upperBound) seconds (24h); got \"\(text)\"")
                return nil
            }
            return count * factor
        default:
            problems.add(step: place.step, place.path, expected)
            return nil
        }
    }

    // MARK: - Values

    /// A scalar's value under the core schema.
    enum Scalar {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)
    }

    /// A scalar node's value; nil (reported) for a tag this reader does not take or a number it cannot hold.
    mutating func scalar(_ node: Node, at place: Place) -> Scalar? {
        guard let scalar = node.scalar else { return nil }
        let text = scalar.string
        switch Self.tag(of: node) {
        case .str:
            return .string(text)
        case .null:
            return .null
        case .bool:
            switch text.lowercased() {
            case "true": return .bool(true)
            case "false": return .bool(false)
            default:
                problems.add(step: place.step, place.path, "is tagged as a boolean but is \"\(text)\"; use true or false")
                return nil
            }
        case .int, .float:
            if let number = Self.number(text) { return .number(number) }
            problems.add(step: place.step, place.path, "is not a finite number: \"\(text)\"")
            return nil
        default:
            problems.add(step: place.step, place.path, "has the tag \(node.tag.rawValue), which a workflow does not use")
            return nil
        }
    }

    private static func number(_ text: String) -> Double? {
        var body = Substring(text)
        var sign = 1.0
        if body.first == "-" || body.first == "+" {
            if body.first == "-" { sign = -1 }
            body = body.dropFirst()
        }
        for (prefix, radix) in [("0x", 16), ("0o", 8)] where body.hasPrefix(prefix) {
            return Int(body.dropFirst(2), radix: radix).map { sign * Double($0) }
        }
        guard let value = Double(text), value.isFinite else { return nil }
        return value
    }

    /// Any node as JSON (the `request` body); nil (reported) when a part cannot be JSON.
    mutating func json(_ node: Node, at place: Place) -> JSONValue? {
        if let elements = node.sequence {
            var values: [JSONValue] = []
            var complete = true
            for (index, element) in elements.enumerated() {
                if let value = json(element, at: place.element(index)) { values.append(value) } else { complete = false }
            }
            return complete ? .array(values) : nil
        }
        if let members = mapping(node, at: place, what: "") {
            var object: [String: JSONValue] = [:]
            var complete = true
            for (key, value) in members {
                if let member = json(value, at: place.member(key)) { object[key] = member } else { complete = false }
            }
            return complete ? .object(object) : nil
        }
        switch scalar(node, at: place) {
        case .null?: return .null
        case .bool(let flag)?: return .bool(flag)
        case .number(let number)?: return .number(number)
        case .string(let text)?: return .string(text)
        case nil: return nil
        }
    }

    /// A mapping's members in order; nil (reported, saying `what` was expected) for another kind
    /// of node or a key that is not a plain scalar.
    mutating func mapping(_ node: Node, at place: Place, what: String) -> [(String, Node)]? {
        guard let mapping = node.mapping else {
            if !what.isEmpty { problems.add(step: place.step, place.path, "must be \(what), not " + Self.kind(of: node)) }
            return nil
        }
        var members: [(String, Node)] = []
        for (key, value) in mapping {
            guard let name = key.scalar?.string else {
                problems.add(step: place.step, place.path, "has a key that is not a plain name")
                return nil
            }
            members.append((name, value))
        }
        return members
    }

    /// A string scalar; nil (reported) for anything else.
    mutating func string(_ node: Node, at place: Place) -> String? {
        guard node.scalar != nil else {
            problems.add(step: place.step, place.path, "must be a string, not " + Self.kind(of: node))
            return nil
        }
        switch scalar(node, at: place) {
        case .string(let text)?: return text
        case nil: return nil  // reported
        default:
            problems.add(step: place.step, place.path, "must be a string, not " + Self.kind(of: node))
            return nil
        }
    }

    /// A list of strings; nil (reported) for anything else.
    mutating func strings(_ node: Node, at place: Place) -> [String]? {
        guard let elements = node.sequence else {
            problems.add(step: place.step, place.path, "must be a list of strings, not " + Self.kind(of: node))
            return nil
        }
        var strings: [String] = []
        for (index, element) in elements.enumerated() {
            guard let text = string(element, at: place.element(index)) else { return nil }
            strings.append(text)
        }
        return strings
    }

    /// A whole number (`3` or `3.0`), within `Int`; nil (reported) for anything else.
    mutating func integer(_ node: Node, at place: Place) -> Int? {
        guard node.scalar != nil else {
            problems.add(step: place.step, place.path, "must be a whole number, not " + Self.kind(of: node))
            return nil
        }
        switch scalar(node, at: place) {
        case .number(let number)?:
            if number.rounded(.towardZero) == number, abs(number) < 1e15 { return Int(number) }
            problems.add(step: place.step, place.path, "must be a whole number; got \(number)")
            return nil
        case nil: return nil  // reported
        default:
            problems.add(step: place.step, place.path, "must be a whole number, not " + Self.kind(of: node))
            return nil
        }
    }

    /// A step name or a list of them; nil (reported) for anything else.
    mutating func names(_ node: Node, at place: Place) -> [String]? {
        if node.sequence != nil { return strings(node, at: place) }
        guard node.scalar != nil else {
            problems.add(step: place.step, place.path, "must be a step name or a list of step names, not " + Self.kind(of: node))
            return nil
        }
        return string(node, at: place).map { [$0] }
    }

    /// A node's resolved tag (core schema for plain scalars, `str` for quoted ones).
    static func tag(of node: Node) -> Tag.Name {
        Tag.Name(rawValue: node.tag.rawValue)
    }

    /// What a node is, for messages ("a list", "the number 3").
    static func kind(of node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            switch Self.tag(of: node) {
            case .null: return "null"
            case .bool: return "the boolean \(scalar.string)"
            case .int, .float: return "the number \(scalar.string)"
            default: return "the string \"\(scalar.string)\""
            }
        }
    }

    /// A YAML error as one line, with its place in the text.
    static func describe(_ error: YamlError) -> String {
        switch error {
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
            return "duplicate key \(keys) (first at line \(context.mark.line)): each key may appear only once in a mapping"
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let around = context.map { " (\($0.text) at line \($0.mark.line))" } ?? ""
            return "line \(mark.line), column \(mark.column): \(problem)\(around); the text is not valid YAML or JSON"
        case .reader(let problem, _, _, _):
            return "cannot be read: \(problem)"
        default:
            return "is not valid YAML or JSON: \(error)"
        }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
