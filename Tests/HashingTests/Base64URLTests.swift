import Hashing
import Testing

@Suite struct Base64URLTests {
    /// RFC 4648 section 10, with the padding removed.
    @Test(arguments: [
        ("", ""),
        ("f", "Zg"),
        ("fo", "Zm8"),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg"),
        ("fooba", "Zm9vYmE"),
        ("foobar", "Zm9vYmFy"),
    ])
    func rfc4648Vectors(plain: String, encoded: String) {
        #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
        #expect(Base64URL.decode(encoded) == Array(plain.utf8))
    }

    @Test(arguments: [
        ("Zg==", "f"),
        ("Zm8=", "fo"),
        ("Zm9v", "foo"),
        ("Zm9vYg==", "foob"),
        ("Zm9vYmE=", "fooba"),
    ])
    func acceptsPadding(encoded: String, plain: String) {
        #expect(Base64URL.decode(encoded) == Array(plain.utf8))
    }

    @Test func usesURLSafeAlphabet() {
        // 0xFB 0xFF 0xFE is "+//+" in standard base64.
        #expect(Base64URL.encode([0xFB, 0xFF, 0xFE]) == "-__-")
        #expect(Base64URL.encode([0xFB, 0xEF, 0xFF]) == "--__")
        #expect(Base64URL.decode("-__-") == [0xFB, 0xFF, 0xFE])
        #expect(Base64URL.decode("--__") == [0xFB, 0xEF, 0xFF])
        #expect(Base64URL.encode([0xFF]) == "_w")
        #expect(Base64URL.decode("_w") == [0xFF])
    }

    @Test(arguments: [
        "+//+",  // standard alphabet
        "Zm9v/w",
        "Zm+v",
        "Z",  // impossible length
        "Zm9vY",
        "Zg=",  // partial padding
        "Zg===",
        "Zm9v=",
        "Zm9v====",
        "Zm9vYmFy==",
        "Z=g=",  // padding in the middle
        "=",
        "==",
        "Zm9v YmFy",  // whitespace
        "Zm9v\nYmFy",
        "Zh",  // non-zero unused bits
        "Zm9",
        "Zm9vYmE*",
        "Zm9vYmü",
    ])
    func rejects(_ input: String) {
        #expect(Base64URL.decode(input) == nil)
    }

    @Test func roundTripsAllLengthsAndByteValues() throws {
        let bytes = (0...255).map { UInt8($0) } + (0...255).reversed().map { UInt8($0) }
        for length in 0...bytes.count {
            let slice = bytes[..<length]
            let encoded = Base64URL.encode(slice)
            #expect(!encoded.contains("="))
            #expect(!encoded.contains("+"))
            #expect(!encoded.contains("/"))
            let decoded = try #require(Base64URL.decode(encoded))
            #expect(decoded == Array(slice))
        }
    }
}
