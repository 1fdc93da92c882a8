import Access
public import Foundation
import Hummingbird
import Store
public import Workflows

/// `GET /v1/outputs`: outputs (one per step and input), newest step first, filtered by `jobId`,
/// `stepId`, `input` (the job input's index), `language` (a subtitle file in it) and `status`
/// (any of); each with its subtitle path and URL and every file per language.
struct OutputListController: Sendable {
    static let list = PageList.outputs
    static let parameters: Set<String> = QueryReader.paging.union(["jobId", "stepId", "input", "language", "status"])
    /// The longest language code accepted (`zh-TW`, `en`, …).
    static let maximumLanguageLength = 20

    let listing: ListingStore

    func register(on routes: APIRoutes) {
        routes.on(.get, "outputs", scope: .read) { request, context in try await self.list(request, context: context) }
    }

    func list(_ request: Request, context: APIRequestContext) async throws(APIProblem) -> Response {
        let query = try QueryReader(request, allowed: Self.parameters)
        let filter = OutputFilter(
            jobId: try query.uuid("jobId"), stepId: try query.uuid("stepId"), input: try query.integer("input", in: 0...Int(Int32.max)),
            language: try query.text("language", maximumLength: Self.maximumLanguageLength),
            statuses: try query.values("status", as: OutputState.self)
        )
        let after = try Self.position(query)
        let limit = try query.limit()
        let page = try await DatabaseCall.run("outputs not read", context: context) {
            try await listing.outputs(filter, after: after, limit: limit)
        }
        return try APIResponse.json(.ok, Page(
            items: page.items.map(OutputListItemDocument.init), nextCursor: page.next.map(Self.cursor)
        ))
    }

    /// A cursor holds the output's creation time (its step's), and the
    /// step's id and the input's index as its id (`<step id>.<input index>`).
    static func cursor(_ position: OutputPosition) -> String {
        PageCursor(list: list, time: position.createdAt, id: "\(APIJSON.id(position.stepId)).\(position.inputIndex)").text
    }

    static func position(_ query: QueryReader) throws(APIProblem) -> OutputPosition? {
        try query.position(in: list, id: outputKey).map {
            OutputPosition(createdAt: $0.time, stepId: $0.id.stepId, inputIndex: $0.id.inputIndex)
        }
    }

    /// An output's cursor id: `<step id>.<input index>`.
    struct OutputKey: Hashable, Sendable {
        var stepId: UUID
        var inputIndex: Int
    }

    static func outputKey(_ text: Substring) -> OutputKey? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let stepId = CursorID.uuid(parts[0]), let index = Int32(parts[1]), index >= 0 else { return nil }
        return OutputKey(stepId: stepId, inputIndex: Int(index))
    }
}

/// One output in `GET /v1/outputs`: its step and job, and what the job document shows of it
/// (the input URL without its query string).
public struct OutputListItemDocument: Codable, Sendable, Equatable {
    public var jobId: String
    public var stepId: String
    /// The step's name in the workflow.
    public var step: String
    /// The input's place in the step's `InputInfo`.
    public var inputIndex: Int
    /// The input's place among the job's inputs.
    public var jobInputIndex: Int
    public var inputUrl: String
    public var status: OutputState
    public var progress: Int
    public var subtitlePath: String?
    public var subtitleUrl: String?
    public var errorCode: String?
    public var errorMessage: String?
    public var files: [JobDocument.File]
    public var updatedAt: Date

    init(_ item: OutputListItem) {
        let output = JobDocument.Output(redacting: item.output)
        jobId = APIJSON.id(item.jobId)
        stepId = APIJSON.id(item.stepId)
        step = item.stepName
        inputIndex = output.inputIndex
        jobInputIndex = output.jobInputIndex
        inputUrl = output.inputUrl
        status = output.status
        progress = output.progress
        subtitlePath = output.subtitlePath
        subtitleUrl = output.subtitleUrl
        errorCode = output.errorCode
        errorMessage = output.errorMessage
        files = output.files
        updatedAt = output.updatedAt
    }
}
