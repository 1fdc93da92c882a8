import Hashing
import Testing

/// RFC 4231 section 4 test cases, plus the widely published "quick brown fox" vector.
@Suite struct HMACSHA256Tests {
    struct Vector: Sendable, CustomTestStringConvertible {
        var name: String
        var key: [UInt8]
        var data: [UInt8]
        /// The expected code in hex; shorter than 64 characters when the RFC truncates it.
        var code: String
        var testDescription: String { name }
    }

    static let largeKey = [UInt8](repeating: 0xAA, count: 131)

    static let rfc4231: [Vector] = [
        Vector(
            name: "RFC 4231 case 1",
            key: [UInt8](repeating: 0x0B, count: 20),
            data: Array("Hi There".utf8),
            code: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        ),
        Vector(
            name: "RFC 4231 case 2",
            key: Array("Jefe".utf8),
            data: Array("what do ya want for nothing?".utf8),
            code: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        ),
        Vector(
            name: "RFC 4231 case 3",
            key: [UInt8](repeating: 0xAA, count: 20),
            data: [UInt8](repeating: 0xDD, count: 50),
            code: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"
        ),
        Vector(
            name: "RFC 4231 case 4",
            key: Array(0x01...0x19),
            data: [UInt8](repeating: 0xCD, count: 50),
            code: "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"
        ),
        Vector(
            name: "RFC 4231 case 5 (truncated to 128 bits)",
            key: [UInt8](repeating: 0x0C, count: 20),
            data: Array("Test With Truncation".utf8),
            code: "a3b6167473100ee06e0c796c2955552b"
        ),
        Vector(
            name: "RFC 4231 case 6",
            key: largeKey,
            data: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
            code: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        ),
        Vector(
            name: "RFC 4231 case 7",
            key: largeKey,
            data: Array(
                ("This is a test using a larger than block-size key and a larger than block-size data. "
                    + "The key needs to be hashed before being used by the HMAC algorithm.").utf8
            ),
            code: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
        ),
        Vector(
            name: "quick brown fox",
            key: Array("key".utf8),
            data: Array("The quick brown fox jumps over the lazy dog".utf8),
            code: "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        ),
    ]

    @Test(arguments: rfc4231)
    func publishedVectors(_ vector: Vector) throws {
        let code = HMACSHA256.authenticationCode(for: vector.data, key: vector.key)
        #expect(code.count == 32)
        let expected = try #require(Hex.decode(vector.code))
        #expect(Array(code.prefix(expected.count)) == expected)
    }

    @Test func emptyKeyAndMessageMatchKnownValue() {
        // HMAC-SHA256("", "") as published by many implementations' test suites.
        #expect(
            Hex.encode(HMACSHA256.authenticationCode(for: [UInt8](), key: [UInt8]()))
                == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"
        )
    }

    @Test func nonContiguousInputsGiveTheSameCode() {
        let code = HMACSHA256.authenticationCode(
            for: "The quick brown fox jumps over the lazy dog".utf8.lazy.map { $0 },
            key: "key".utf8
        )
        #expect(Hex.encode(code) == "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8")
    }

    @Test func keyChangesTheCode() {
        let message = Array("payload".utf8)
        #expect(
            HMACSHA256.authenticationCode(for: message, key: Array("k1".utf8))
                != HMACSHA256.authenticationCode(for: message, key: Array("k2".utf8))
        )
    }
}
