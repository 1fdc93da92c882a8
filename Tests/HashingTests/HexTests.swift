import Hashing
import Testing

@Suite struct HexTests {
    @Test func encodesLowerCase() {
        #expect(Hex.encode([0x00, 0x01, 0x7F, 0x80, 0xAB, 0xFF]) == "00017f80abff")
        #expect(Hex.encode([UInt8]()) == "")
    }

    @Test func decodesUpperAndLowerCase() {
        #expect(Hex.decode("00017f80abff") == [0x00, 0x01, 0x7F, 0x80, 0xAB, 0xFF])
        #expect(Hex.decode("00017F80ABFF") == [0x00, 0x01, 0x7F, 0x80, 0xAB, 0xFF])
        #expect(Hex.decode("aBcD") == [0xAB, 0xCD])
        #expect(Hex.decode("") == [])
        #expect(Hex.decode("xx0aff".dropFirst(2)) == [0x0A, 0xFF])
    }

    @Test(arguments: ["abc", "0", "zz", "0g", "g0", " 0", "0 ", "0x00", "ü", "-1", "+1"])
    func rejects(_ input: String) {
        #expect(Hex.decode(input) == nil)
    }

    @Test func roundTripsEveryByteValue() {
        let bytes = (0...255).map { UInt8($0) }
        let encoded = Hex.encode(bytes)
        #expect(encoded.utf8.count == 512)
        #expect(Hex.decode(encoded) == bytes)
        #expect(Hex.decode(encoded.uppercased()) == bytes)
    }
}
