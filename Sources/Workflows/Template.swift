import Foundation
public import MPS

/// Renders `{name}` placeholders in a step's request template.
///
/// A placeholder is `{` + a name (a letter or `_`, then letters, digits, `_`) + `}`; any other
/// brace is text. A string that is exactly one placeholder takes the value's own type (a number
/// stays a number); inside a longer string the value is written as text, a list joined with
/// `/`. Member names are never rendered.
public enum Template {
    /// The names every template may use besides the workflow's parameters.
    public enum BuiltIn {
        /// The job's id.
        public static let job = "job"
        /// The step's name.
        public static let step = "step"
        /// The run number (1 for the first run, 2+ for retries).
        public static let run = "run"
        public static let all = [job, step, run]
    }

    /// A placeholder that names nothing in scope.
    public struct UnknownPlaceholder: Error, Sendable, Hashable {
        /// Where in the template, as a dotted path (`SmartSubtitlesTask.RawParameter.VideoSrcLanguage`).
        public var field: String
        public var name: String
    }

    /// Every unknown placeholder of one template (never empty).
    public struct UnknownPlaceholders: Error, Sendable, Hashable {
        public var all: [UnknownPlaceholder]
    }

    /// `template` with every placeholder replaced from `scope`; every unknown placeholder when
    /// one names nothing in it.
    public static func render(
        _ template: [String: JSONValue], scope: [String: ParameterValue]
    ) -> Result<[String: JSONValue], UnknownPlaceholders> {
        var unknown: [UnknownPlaceholder] = []
        let rendered = render(.object(template), scope: scope, path: "", unknown: &unknown)
        guard unknown.isEmpty, case .object(let members) = rendered else { return .failure(UnknownPlaceholders(all: unknown)) }
        return .success(members)
    }

    /// Every placeholder name in `template`, with where it is.
    public static func placeholders(in template: [String: JSONValue]) -> [(field: String, name: String)] {
        var found: [(String, String)] = []
        walk(.object(template), path: "") { field, text in
            for name in names(in: text) { found.append((field, name)) }
        }
        return found
    }

    private static func render(_ value: JSONValue, scope: [String: ParameterValue], path: String, unknown: inout [UnknownPlaceholder]) -> JSONValue {
        switch value {
        case .string(let text):
            let names = names(in: text)
            guard !names.isEmpty else { return value }
            for name in names where scope[name] == nil {
                unknown.append(UnknownPlaceholder(field: path, name: name))
            }
            if names.count == 1, text == "{\(names[0])}", let whole = scope[names[0]] {
                return whole.json
            }
            var result = text
            for name in Set(names) {
                if let value = scope[name] { result = result.replacingOccurrences(of: "{\(name)}", with: value.text) }
            }
            return .string(result)
        case .array(let elements):
            return .array(elements.enumerated().map { index, element in
                render(element, scope: scope, path: "\(path)[\(index)]", unknown: &unknown)
            })
        case .object(let members):
            var rendered: [String: JSONValue] = [:]
            for (name, member) in members {
                rendered[name] = render(member, scope: scope, path: path.isEmpty ? name : path + "." + name, unknown: &unknown)
            }
            return .object(rendered)
        default:
            return value
        }
    }

    private static func walk(_ value: JSONValue, path: String, _ visit: (String, String) -> Void) {
        switch value {
        case .string(let text): visit(path, text)
        case .array(let elements):
            for (index, element) in elements.enumerated() { walk(element, path: "\(path)[\(index)]", visit) }
        case .object(let members):
            for name in members.keys.sorted() {
                if let member = members[name] { walk(member, path: path.isEmpty ? name : path + "." + name, visit) }
            }
        default: break
        }
    }

    /// The placeholder names in `text`, in order.
    static func names(in text: String) -> [String] {
        var names: [String] = []
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count {
            guard scalars[index] == "{" else {
                index += 1
                continue
            }
            var end = index + 1
            while end < scalars.count, isNameScalar(scalars[end], first: end == index + 1) { end += 1 }
            if end < scalars.count, end > index + 1, scalars[end] == "}" {
                var name = String.UnicodeScalarView()
                name.append(contentsOf: scalars[(index + 1)..<end])
                names.append(String(name))
                index = end + 1
            } else {
                index += 1
            }
        }
        return names
    }

    private static func isNameScalar(_ scalar: Unicode.Scalar, first: Bool) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "_": true
        case "0"..."9": !first
        default: false
        }
    }
}
