import Foundation
import Hashing
import HTTPTypes
import HummingbirdTesting
import Testing

/// A cursor is client input: one forged with a time PostgreSQL cannot hold is a 400, never a
/// failed query answered 503 (found in review).
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct CursorForgeryTests {
    @Test func aForgedOutOfRangeCursorIsA400OnEveryTimeKeyedList() async throws {
        try await JobsAPIIntegrationTests.withAPI { _, _, http in
            for (list, id) in [("jobs", "00000000-0000-0000-0000-000000000000"), ("steps", "00000000-0000-0000-0000-000000000000"),
                               ("notifications", "1"), ("attempts", "1")] {
                let cursor = Base64URL.encode(Array("1|\(list)|-9223372036854775808|\(id)".utf8))
                let response = try await http.execute(uri: "/v1/\(list)?cursor=\(cursor)", method: .get)
                #expect(response.status == .badRequest, "\(list): \(response.status)")
            }
        }
    }
}
