import API
import Foundation
import Hashing
import HTTPTypes
import Testing

@Suite struct PageCursorTests {
    static func forged(_ plain: String) -> String { Base64URL.encode(Array(plain.utf8)) }

    @Test func aCursorReadsBackAsItWasMade() throws {
        let made = PageCursor(list: "steps", time: Date(timeIntervalSince1970: 1_764_650_000.123456), id: "b0c1")
        let read = try PageCursor.parse(made.text, list: "steps")
        #expect(read == made)
        #expect(read.microseconds == 1_764_650_000_123_456)
    }

    @Test func aCursorOfAnotherListIsRefusedNamingCursor() {
        let jobs = PageCursor(list: "jobs", microseconds: 1, id: "x").text
        #expect(throws: APIProblem.invalidParameter("cursor", "a cursor of another list (jobs)")) {
            try PageCursor.parse(jobs, list: "steps")
        }
    }

    /// A time PostgreSQL's timestamptz cannot hold would fail the query (a 503): it is a bad cursor.
    @Test(arguments: ["-9223372036854775808", "-62135596800000001", "253402300800000000", "9223372036854775807"])
    func aForgedTimeOutsideYears1To9999IsA400(_ microseconds: String) {
        let text = Self.forged("1|jobs|\(microseconds)|00000000-0000-0000-0000-000000000000")
        #expect(throws: APIProblem.self) { try PageCursor.parse(text, list: "jobs") }
    }

    @Test func theEdgesOfYears1And9999AreAccepted() throws {
        for microseconds in ["-62135596800000000", "253402300799999999"] {
            _ = try PageCursor.parse(Self.forged("1|jobs|\(microseconds)|a"), list: "jobs")
        }
    }

    @Test(arguments: ["", "!!!", "MXw", Self.forged("2|jobs|1|a"), Self.forged("1|jobs|x|a"), Self.forged("1|jobs|1|"),
                      Self.forged("1|jobs|1|a|b"), String(repeating: "A", count: 201)])
    func anythingElseIsA400NamingCursor(_ text: String) {
        do {
            _ = try PageCursor.parse(text, list: "jobs")
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.status == .badRequest)
            #expect(error.errors?.first?.field == "cursor")
        }
    }
}
