import Foundation
import Testing

@testable import Postgres

@Suite struct PostgresUUIDTextTests {
    @Test func formatIsFoundationsTextInLowerCase() {
        for _ in 0..<1_000 {
            let uuid = UUID()
            #expect(PostgresUUIDText.format(uuid) == uuid.uuidString.lowercased())
        }
    }

    @Test func parseReadsEitherCaseAndRoundTrips() {
        for _ in 0..<1_000 {
            let uuid = UUID()
            #expect(PostgresUUIDText.parse(Array(uuid.uuidString.utf8)) == uuid)
            #expect(PostgresUUIDText.parse(Array(PostgresUUIDText.format(uuid).utf8)) == uuid)
        }
        let fixed = "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"
        #expect(PostgresUUIDText.parse(Array(fixed.utf8)) == UUID(uuidString: fixed))
    }

    @Test(arguments: [
        "",
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1",
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111",
        "a0eebc999c0b-4ef8-bb6d-6bb9bd380a11-",
        "a0eebc99-9c0b-4ef8-bb6d_6bb9bd380a11",
        "g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        "{0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1}",
    ])
    func parseRefusesAnythingElse(text: String) {
        #expect(PostgresUUIDText.parse(Array(text.utf8)) == nil)
    }
}
