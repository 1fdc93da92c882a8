import API
import Foundation
import Store
import Testing
import Yams

/// The spec's pattern for an event position (`after`, `Last-Event-ID` of `GET /v1/events`)
/// accepts exactly what ``ChangePosition`` reads: a client validating against the spec is
/// never refused, and schemathesis never generates a "valid" position the server refuses.
@Suite struct EventPositionPatternTests {
    static func patterns() throws -> [String] {
        let spec = try #require(try Yams.load(yaml: OpenAPIDocument.yaml) as? [String: Any])
        let paths = try #require(spec["paths"] as? [String: Any])
        let events = try #require((paths["/v1/events"] as? [String: Any])?["get"] as? [String: Any])
        let parameters = try #require(events["parameters"] as? [[String: Any]])
        return parameters.compactMap { parameter in
            guard ["after", "Last-Event-ID"].contains(parameter["name"] as? String) else { return nil }
            return (parameter["schema"] as? [String: Any])?["pattern"] as? String
        }
    }

    static let cases = [
        "0-0", "1-1", "18446744073709551615-9223372036854775807", "18446744073709551616-1", "1-9223372036854775808",
        "99999999999999999999-1", "1-99999999999999999999", "00000000000000000001-1", "000000000000000000001-1",
        "1-09223372036854775807", "1-09223372036854775808", "1-00000000000000000000", "1-10000000000000000000",
        "+1-1", "1--1", "1-", "-1", "1", "1-1-1", " 1-1", "1-1 ", "１-1", "12345678901234567890-0",
    ]

    @Test func theSpecPatternAcceptsExactlyWhatChangePositionReads() throws {
        let patterns = try Self.patterns()
        #expect(patterns.count == 2)
        for pattern in patterns {
            let regex = try NSRegularExpression(pattern: pattern)
            for text in Self.cases {
                let matches = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
                #expect(matches == (ChangePosition(text) != nil), "\(text)")
            }
        }
    }
}
