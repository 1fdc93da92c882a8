import Foundation
import Hummingbird
import MPS
import Workflows

/// The small JSON bodies of the action routes (`{"reason": "…"}`, `{"taskId": "…", "reason": "…"}`,
/// `{"stepId": "…", "reason": "…"}`): an object whose members are all strings, read strictly.
/// A member the route does not take is refused, `null` counts as absent, and every problem is
/// reported at once, each naming its member (a 400 ``APIProblem``).
struct ActionBody {
    /// The largest action body accepted: a reason of 2000 characters, escaped, fits well.
    static let maximumSize = 32 * 1024

    /// One member a route takes.
    struct Member {
        var name: String
        var required: Bool
        /// What is wrong with a given value, or nil (``StepAction/reasonProblem(_:)`` for `reason`).
        var check: @Sendable (String) -> String?

        /// `reason`: required, the audit's rule.
        static let reason = Member(name: "reason", required: true, check: StepAction.reasonProblem)
    }

    private let values: [String: String]

    /// The value of `name` (nil when absent or null); the route said whether it may be absent.
    subscript(_ name: String) -> String? { values[name] }

    /// Reads `request`'s body (`application/json`, at most ``maximumSize`` bytes: 415 and 413
    /// otherwise) as an object of `members`. The routes that take a body take no query
    /// parameters: one is refused first (400 naming it).
    static func read(_ request: Request, members: [Member]) async throws(APIProblem) -> ActionBody {
        _ = try QueryReader(request, allowed: [])
        let buffer = try await RequestBody.json(request, limit: maximumSize)
        return try parse(Data(buffer.readableBytesView), members: members)
    }

    /// Parses `data` as an object of `members`; every problem at once.
    static func parse(_ data: Data, members: [Member]) throws(APIProblem) -> ActionBody {
        guard let json = try? MPSJSON.decoder.decode(JSONValue.self, from: data) else {
            throw .invalidBody("the body is not valid JSON")
        }
        guard case .object(let object) = json else {
            throw .invalidBody("the body must be a JSON object")
        }
        let names = members.map(\.name)
        var problems: [ValidationProblem] = []
        for name in object.keys.sorted() where !names.contains(name) {
            let known = names.joined(separator: ", ")
            problems.append(ValidationProblem(
                field: String(name.prefix(50)), message: "is not a member of this body (\(known))", errorCode: "UnknownParameter"
            ))
        }
        var values: [String: String] = [:]
        for member in members {
            switch object[member.name] {
            case nil, .null?:
                if member.required {
                    problems.append(ValidationProblem(field: member.name, message: "is required", errorCode: "MissingParameter"))
                }
            case .string(let value)?:
                if let problem = member.check(value) {
                    problems.append(ValidationProblem(field: member.name, message: problem, errorCode: "InvalidParameterValue"))
                } else {
                    values[member.name] = value
                }
            case let other?:
                problems.append(ValidationProblem(
                    field: member.name, message: "must be a string, not \(JobRequest.typeName(other))", errorCode: "InvalidParameter"
                ))
            }
        }
        guard problems.isEmpty else { throw .invalidBody(ValidationProblems(problems)) }
        return ActionBody(values: values)
    }
}
