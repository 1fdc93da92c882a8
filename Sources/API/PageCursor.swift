public import Foundation
import Hashing

/// Where the next page of a list starts: the last row's sort key (a time, in microseconds since
/// 1970, and its id), opaque to clients (base64url) and tied to the list it came from, so a
/// cursor of `/v1/steps` given to `/v1/jobs` is refused rather than misread. Stable under
/// inserts: rows are ordered by (time, id) descending and the next page is strictly below.
public struct PageCursor: Sendable, Equatable {
    /// The list it belongs to (`jobs`, `steps`, …).
    public var list: String
    public var microseconds: Int64
    public var id: String

    public init(list: String, microseconds: Int64, id: String) {
        self.list = list
        self.microseconds = microseconds
        self.id = id
    }

    public init(list: String, time: Date, id: String) {
        self.init(list: list, microseconds: Int64((time.timeIntervalSince1970 * 1_000_000).rounded()), id: id)
    }

    /// The time, to the microsecond (PostgreSQL's resolution).
    public var time: Date { Date(timeIntervalSince1970: Double(microseconds) / 1_000_000) }

    /// The opaque text clients send back as `cursor`.
    public var text: String {
        Base64URL.encode(Array("1|\(list)|\(microseconds)|\(id)".utf8))
    }

    /// The times a cursor may hold: years 1 to 9999, which PostgreSQL's `timestamptz` takes (a
    /// forged time outside them would fail the query, a 503, instead of the 400 it is).
    static let validTimes: ClosedRange<Int64> = -62_135_596_800_000_000...253_402_300_799_999_999

    /// Reads `text` as a cursor of `list`; a 400 naming `cursor` for anything else.
    public static func parse(_ text: String, list: String) throws(APIProblem) -> PageCursor {
        guard text.count <= 200, let bytes = Base64URL.decode(text), let plain = String(validating: bytes, as: UTF8.self) else {
            throw .invalidParameter("cursor", "not a cursor this API gave")
        }
        let parts = plain.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "1", let microseconds = Int64(parts[2]), validTimes.contains(microseconds),
            !parts[3].isEmpty, parts[3].count <= 64
        else {
            throw .invalidParameter("cursor", "not a cursor this API gave")
        }
        guard parts[1] == list else { throw .invalidParameter("cursor", "a cursor of another list (\(parts[1].prefix(20)))") }
        return PageCursor(list: list, microseconds: microseconds, id: String(parts[3]))
    }
}

/// A page of a list, as every list route answers: `items`, and `nextCursor` when there is more.
public struct Page<Item: Encodable & Sendable>: Encodable, Sendable {
    public var items: [Item]
    public var nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}
