import Access
import Foundation
import Testing

@Suite struct APIKeyNameTests {
    @Test(arguments: ["a", "grafana", "on-call.cli_2", "A.B-C_D", String(repeating: "x", count: 64), "0123456789abc", "0123456789AB", "g123456789ab"])
    func namesOfAllowedCharactersUpTo64AreAccepted(_ text: String) throws {
        #expect(try APIKeyName(text).rawValue == text)
    }

    @Test(arguments: [
        ("", APIKeyName.Invalid.Code.empty),
        (String(repeating: "x", count: 65), .tooLong),
        ("has space", .character), ("slash/", .character), ("tab\t", .character), ("é", .character), ("nul\u{0}", .character),
        ("semi;colon", .character), ("key:name", .character),
        ("0123456789ab", .looksLikeId),
    ])
    func otherNamesAreRefusedSayingWhy(_ text: String, code: APIKeyName.Invalid.Code) {
        #expect(throws: APIKeyName.Invalid.self) { try APIKeyName(text) }
        do {
            _ = try APIKeyName(text)
        } catch {
            #expect(error.code == code)
            #expect(error.description.count < 200)
        }
    }

    @Test func aHugeNameIsRefusedAsTooLong() {
        #expect {
            try APIKeyName(String(repeating: "x", count: 5_000_000))
        } throws: { error in
            (error as? APIKeyName.Invalid)?.code == .tooLong
        }
    }

    @Test func aNameDecodesOnlyWhenValid() throws {
        let decoder = JSONDecoder()
        #expect(try decoder.decode(APIKeyName.self, from: Data(#""grafana""#.utf8)).rawValue == "grafana")
        #expect(throws: DecodingError.self) { try decoder.decode(APIKeyName.self, from: Data(#""two words""#.utf8)) }
        #expect(String(decoding: try JSONEncoder().encode(try APIKeyName("grafana")), as: UTF8.self) == #""grafana""#)
    }
}
