import Access
import Foundation
import Testing

@Suite struct APIKeyExpiryTests {
    static let now = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z

    @Test(arguments: [("90d", 90 * 86_400.0), ("12h", 12 * 3_600.0), ("30m", 1_800.0), ("1m", 60.0), ("3650d", 3650 * 86_400.0)])
    func spansCountFromNow(_ text: String, seconds: TimeInterval) throws {
        #expect(try APIKeyExpiry.parse(text, now: Self.now) == Self.now.addingTimeInterval(seconds))
    }

    @Test func datesAreMidnightUTCAndTimesNeedTheirZone() throws {
        #expect(try APIKeyExpiry.parse("2026-03-31", now: Self.now) == Date(timeIntervalSince1970: 1_774_915_200))
        #expect(try APIKeyExpiry.parse("2026-03-31T18:00:00Z", now: Self.now) == Date(timeIntervalSince1970: 1_774_980_000))
        #expect(try APIKeyExpiry.parse("2026-03-31T20:00:00+02:00", now: Self.now) == Date(timeIntervalSince1970: 1_774_980_000))
        #expect(try APIKeyExpiry.parse("2026-03-31T18:00:00.500Z", now: Self.now) == Date(timeIntervalSince1970: 1_774_980_000.5))
    }

    @Test(arguments: [
        "", "0d", "0m", "-5d", "5", "d", "5w", "5D", "1.5d", " 5d", "5d ", "99999999d", "3651d", "87601h",
        "2026-03-31T18:00:00", "2026-3-31", "31/03/2026", "2025-12-31", "2026-01-01", "2040-01-01",
        "2026-02-30", "2026-03-31T25:00:00Z", "2026-03-31T18:60:00Z", "2026-03-31T18:00:00+24:00", "2026-03-31T18:00:00.Z",
        "2026-03-31T18:00:00Zjunk", "2026-03-31T18:00:00+0200", "2026-03-31t18:00:00z", "2026-03-31 18:00:00Z", "２０２６-03-31", "tomorrow", "5d\u{0}",
    ])
    func otherTextsAndPastOrDistantInstantsAreRefused(_ text: String) {
        #expect(throws: APIKeyExpiry.Invalid.self) { try APIKeyExpiry.parse(text, now: Self.now) }
    }

    @Test func aHugeTextIsRefused() {
        #expect(throws: APIKeyExpiry.Invalid.self) { try APIKeyExpiry.parse(String(repeating: "9", count: 1_000_000) + "d", now: Self.now) }
    }
}
