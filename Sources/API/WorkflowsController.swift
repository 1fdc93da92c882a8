public import Foundation
import Access
import Hummingbird
import Logging
public import MPS
import NIOCore
public import Postgres
public import Store
public import Workflows

/// How the workflows routes are served.
public struct WorkflowsConfiguration: Sendable {
    /// The largest definition `POST /v1/workflows/validate` reads (default 256 KiB); larger: 413.
    public var maximumBodySize: Int

    public init(maximumBodySize: Int = 256 << 10) {
        self.maximumBodySize = maximumBodySize
    }
}

/// The workflows routes (every one scope `read`: validating stores nothing).
///
/// - `GET /v1/workflows`: every stored workflow once, its latest version first changed first
///   (``WorkflowSummaryDocument``), keyset pages (`limit`, `cursor`).
/// - `GET /v1/workflows/{name}`: the latest version (``WorkflowVersionDocument``); 404 for a
///   name that is not stored or could not be one. (A workflow named `validate` is read by its
///   version: that path is the validate route's, and the router matches it first.)
/// - `GET /v1/workflows/{name}/versions/{version}`: that version; 404 likewise.
/// - `POST /v1/workflows/validate` with a definition as YAML (`application/yaml`,
///   `application/x-yaml`, `text/yaml`) or JSON (`application/json`): `200` and a
///   ``WorkflowValidationDocument`` when it is valid, as `mpshook workflows validate` and
///   `serve` would take it; `422` with every problem in `errors` (field `steps.<step>.<path>`,
///   or the path in the definition, empty for the text as a whole) when not; `400` for a body
///   that is not UTF-8; `413`, `415`. No database: it never answers 503.
public struct WorkflowsController: Sendable {
    /// The label problems carry for the definition sent (``DefinitionProblem/file``).
    static let bodyLabel = "body"
    static let list = PageList.workflows
    static let mediaTypes = ["application/yaml", "application/x-yaml", "text/yaml", "application/json"]

    let configuration: WorkflowsConfiguration
    let store: WorkflowStore

    public init(configuration: WorkflowsConfiguration = WorkflowsConfiguration(), client: PostgresClient) {
        self.configuration = configuration
        self.store = WorkflowStore(client: client)
    }

    /// Adds the routes to the API's scoped groups.
    public func register(on routes: APIRoutes) {
        routes.on(.get, "workflows", scope: .read) { request, context in try await self.list(request, context: context) }
        routes.on(.post, "workflows/validate", scope: .read) { request, _ in try await self.validate(request) }
        routes.on(.get, "workflows/{name}", scope: .read) { request, context in try await self.show(request, context: context) }
        routes.on(.get, "workflows/{name}/versions/{version}", scope: .read) { request, context in
            try await self.show(request, context: context)
        }
    }

    func list(_ request: Request, context: APIRequestContext) async throws(APIProblem) -> Response {
        let query = try QueryReader(request, allowed: QueryReader.paging)
        let limit = try query.limit()
        let after = try query.position(in: Self.list, id: CursorID.number)
        let page = try await DatabaseCall.run("workflows not listed", context: context) {
            try await store.summaries(after: after, limit: limit)
        }
        let next = page.next.map { PageCursor.after($0, in: Self.list) }
        return try APIResponse.json(.ok, Page(items: page.items.map(WorkflowSummaryDocument.init), nextCursor: next))
    }

    func show(_ request: Request, context: APIRequestContext) async throws(APIProblem) -> Response {
        _ = try QueryReader(request, allowed: [])
        let notFound = APIProblem.workflowNotFound
        guard let name = context.parameters.get("name"), Self.isStorableName(name) else { throw notFound }
        var version: Int?
        if let text = context.parameters.get("version") {
            guard text.count <= 10, text.allSatisfy(\.isASCIIDigit), let number = Int(text), (1...Int(Int32.max)).contains(number) else {
                throw notFound
            }
            version = number
        }
        let found = try await DatabaseCall.run("workflow not read", context: context) {
            try await store.find(name: name, version: version)
        }
        guard let found else { throw notFound }
        return try APIResponse.json(.ok, WorkflowVersionDocument(found))
    }

    func validate(_ request: Request) async throws(APIProblem) -> Response {
        _ = try QueryReader(request, allowed: [])
        let buffer = try await RequestBody.collect(request, limit: configuration.maximumBodySize, mediaTypes: Self.mediaTypes)
        guard let text = String(validating: buffer.readableBytesView, as: UTF8.self) else {
            throw .invalidBody("the definition is not UTF-8 text")
        }
        switch WorkflowDefinition.parse(text, file: Self.bodyLabel) {
        case .success(let definition):
            return try APIResponse.json(.ok, WorkflowValidationDocument(definition))
        case .failure(let problems):
            throw Self.invalidDefinition(problems)
        }
    }

    /// A definition with problems (422), each at its place: `steps.<step>.<field>` for a step's
    /// (the format's own mapping form), the field's path otherwise, `""` for the text itself.
    static func invalidDefinition(_ problems: DefinitionProblems) -> APIProblem {
        let errors = problems.map { problem in
            var field = problem.field
            if let step = problem.step { field = field.isEmpty ? "steps.\(step)" : "steps.\(step).\(field)" }
            return ProblemDocument.FieldError(field: field, message: problem.message, code: "mpshook.InvalidDefinition")
        }
        let count = errors.count == 1 ? "1 problem" : "\(errors.count) problems"
        return APIProblem(.unprocessableContent, .invalidWorkflow, "the workflow definition has \(count)", errors: errors)
    }

    /// Whether `name` could be a stored workflow's (the `workflows.name` CHECK): anything else
    /// is not looked up.
    static func isStorableName(_ name: String) -> Bool {
        WorkflowLimits.nameLength.contains(name.count)
            && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }
    }
}

/// A stored workflow in `GET /v1/workflows`: its latest version and how many there are.
public struct WorkflowSummaryDocument: Codable, Sendable, Equatable {
    public var name: String
    public var latestVersion: Int
    /// How many versions are stored.
    public var versions: Int
    /// The latest version's content hash (SHA-256 of its canonical JSON, hex).
    public var contentHash: String
    /// When the first version was stored.
    public var createdAt: Date
    /// When the latest version was stored.
    public var updatedAt: Date

    public init(_ summary: WorkflowSummary) {
        name = summary.name
        latestVersion = summary.latestVersion
        versions = summary.versions
        contentHash = summary.contentHash
        createdAt = summary.createdAt
        updatedAt = summary.updatedAt
    }
}

/// One stored workflow version: the definition as stored. `canonical` is the exact text whose
/// SHA-256 is `contentHash` (what jobs run); `definition` is the same, as JSON; `source` is the
/// file as it was written.
public struct WorkflowVersionDocument: Codable, Sendable, Equatable {
    public var name: String
    public var version: Int
    public var contentHash: String
    public var createdAt: Date
    public var sourceFile: String?
    public var canonical: String
    public var definition: JSONValue
    public var source: String

    public init(_ stored: StoredWorkflow) {
        name = stored.name
        version = stored.version
        contentHash = stored.contentHash
        createdAt = stored.createdAt
        sourceFile = stored.sourceFile
        canonical = stored.canonical
        definition = (try? MPSJSON.decoder.decode(JSONValue.self, from: Data(stored.canonical.utf8))) ?? .object([:])
        source = stored.source
    }
}

/// A valid definition, as `POST /v1/workflows/validate` answers it: what would be stored.
public struct WorkflowValidationDocument: Codable, Sendable, Equatable {
    public var valid: Bool
    public var name: String
    /// The version the definition names; absent: it would be stored as the next free one.
    public var version: Int?
    /// The steps, in order.
    public var steps: [String]
    /// The hash it would be stored under (SHA-256 of `canonical`, hex).
    public var contentHash: String
    public var canonical: String

    public init(_ definition: WorkflowDefinition) {
        valid = true
        name = definition.name
        version = definition.version
        steps = definition.steps.map(\.name)
        contentHash = definition.contentHash
        canonical = definition.canonicalJSON
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
