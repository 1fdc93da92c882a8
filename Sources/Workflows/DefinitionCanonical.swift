import Hashing
public import MPS

extension WorkflowDefinition {
    /// The definition as compact JSON with sorted keys, in one form whatever the text it was read
    /// from: `steps` as a list of step objects with `name`, every step field written (`needs`,
    /// `inputs`, `delay` in whole seconds, `maxRuns`, `request`; `when` and `forEach` when set),
    /// conditions and input selections in their object forms, matches as objects. ``parse(_:file:)``
    /// reads it back to an equal definition. (A definition that does not validate, e.g. one with a
    /// number JSON cannot hold, has no canonical form and gives `{}`.)
    public var canonicalJSON: String {
        StepRequest.encode(canonicalValue) ?? "{}"
    }

    /// Lower-case hex SHA-256 of ``canonicalJSON``: equal for definitions that mean the same,
    /// however they were written.
    public var contentHash: String {
        Hex.encode(SHA256.hash(canonicalJSON))
    }

    /// ``canonicalJSON`` as a value.
    public var canonicalValue: JSONValue {
        var object: [String: JSONValue] = [
            "name": .string(name),
            "params": .object(params.mapValues(\.stored)),
            "steps": .array(steps.map(\.canonicalValue)),
        ]
        if let version { object["version"] = .number(Double(version)) }
        if let description { object["description"] = .string(description) }
        return .object(object)
    }
}

extension StepTemplate {
    var canonicalValue: JSONValue {
        var object: [String: JSONValue] = [
            "name": .string(name),
            "needs": .array(needs.map(JSONValue.string)),
            "inputs": inputs.canonicalValue,
            "delay": .number(Double(delaySeconds)),
            "maxRuns": .number(Double(maxRuns)),
            "request": .object(request),
        ]
        if let when { object["when"] = when.canonicalValue }
        if let forEach {
            let values: JSONValue =
                switch forEach.values {
                case .literal(let values): .array(values.map(JSONValue.string))
                case .parameter(let name): .string("{\(name)}")
                }
            object["forEach"] = .object([forEach.variable: values])
        }
        return .object(object)
    }
}

extension InputSelection {
    var canonicalValue: JSONValue {
        switch self {
        case .job: "job"
        case .from(let step, let match): ["from": .string(step), "where": match.canonicalValue]
        }
    }
}

extension OutputMatch {
    var canonicalValue: JSONValue {
        var object: [String: JSONValue] = [:]
        if let state { object["status"] = .string(state.rawValue) }
        if let errorCode { object["errorCode"] = .string(errorCode) }
        if let language { object["language"] = .string(language) }
        return .object(object)
    }
}

extension Condition {
    var canonicalValue: JSONValue {
        func reading(_ kind: String, _ match: OutputMatch, _ of: [String]?) -> JSONValue {
            var object: [String: JSONValue] = [kind: match.canonicalValue]
            if let of { object["of"] = .array(of.map(JSONValue.string)) }
            return .object(object)
        }
        switch self {
        case .any(let match, let of): return reading("any", match, of)
        case .all(let match, let of): return reading("all", match, of)
        case .none(let match, let of): return reading("none", match, of)
        case .allOf(let conditions): return ["allOf": .array(conditions.map(\.canonicalValue))]
        case .anyOf(let conditions): return ["anyOf": .array(conditions.map(\.canonicalValue))]
        case .not(let condition): return ["not": condition.canonicalValue]
        }
    }
}
