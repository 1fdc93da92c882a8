import Foundation
import Store

/// What every list route reads the same way: free-text filters, time ranges and cursors.
extension QueryReader {
    /// The parameters every list takes.
    static let paging: Set<String> = ["cursor", "limit"]

    /// A free-text filter (a TaskId, a name, an error code): 1 to `maximumLength` characters,
    /// none of them a control character (a NUL would be cut off by libpq, silently changing the
    /// filter).
    func text(_ name: String, maximumLength: Int = QueryReader.maximumLength) throws(APIProblem) -> String? {
        guard let value = try string(name, maximumLength: maximumLength) else { return nil }
        guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalidParameter(name, "must not contain control characters")
        }
        return value
    }

    /// The times `since` (at or after) and `until` (before); both RFC 3339. A range that ends
    /// before it starts is empty, not an error: it is a well-formed question whose answer is no
    /// rows, and a refusal no JSON Schema can describe would make the spec lie.
    func timeRange(since: String, until: String) throws(APIProblem) -> (since: Date?, until: Date?) {
        (try time(since), try time(until))
    }

    /// The place `cursor` names in `list` (nil when absent), its row id read by `id`: a cursor
    /// of another list, or whose id `id` refuses, is a 400 naming `cursor`.
    func position<ID>(in list: String, id: (Substring) -> ID?) throws(APIProblem) -> ListPosition<ID>? {
        guard let text = try string("cursor") else { return nil }
        let cursor = try PageCursor.parse(text, list: list)
        guard let id = id(Substring(cursor.id)) else { throw .invalidParameter("cursor", "not a cursor this API gave") }
        return ListPosition(time: cursor.time, id: id)
    }
}

/// The lists that page with a ``PageCursor``: each name once, so a cursor of one list is never
/// read as another's.
enum PageList {
    static let jobs = "jobs"
    static let steps = "steps"
    static let outputs = "outputs"
    static let notifications = "notifications"
    static let attempts = "attempts"
    static let deliveries = "deliveries"
    static let keys = "keys"
    static let workflows = "workflows"
}

/// How a cursor's row id is read back, per kind of id.
enum CursorID {
    static func uuid(_ text: Substring) -> UUID? { UUID(uuidString: String(text)) }
    static func number(_ text: Substring) -> Int64? { Int64(text) }
}

extension PageCursor {
    /// The cursor of the page after `position` in `list`.
    static func after(_ position: ListPosition<UUID>, in list: String) -> String {
        PageCursor(list: list, time: position.time, id: APIJSON.id(position.id)).text
    }

    static func after(_ position: ListPosition<Int64>, in list: String) -> String {
        PageCursor(list: list, time: position.time, id: String(position.id)).text
    }

    static func after(_ position: ListPosition<String>, in list: String) -> String {
        PageCursor(list: list, time: position.time, id: position.id).text
    }
}
