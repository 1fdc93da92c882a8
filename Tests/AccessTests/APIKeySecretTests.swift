import Access
import Foundation
import Hashing
import Testing

@Suite struct APIKeySecretTests {
    @Test func aNewKeyHasTheDocumentedShapeAndParsesBackToItself() throws {
        let key = APIKeySecret.generate()
        #expect(key.text.utf8.count == APIKeySecret.length)
        #expect(key.text.hasPrefix("mpsk_" + key.id + "_"))
        #expect(APIKeySecret.isKeyId(key.id))
        let parsed = try #require(APIKeySecret(parsing: key.text))
        #expect(parsed.id == key.id)
        #expect(parsed.text == key.text)
        #expect(parsed.hash == key.hash)
        #expect(parsed.matches(storedHash: key.hash))
        // From a substring too (a header value sliced after "Bearer ").
        let header = "Bearer " + key.text
        #expect(APIKeySecret(parsing: header.dropFirst(7))?.id == key.id)
    }

    @Test func theHashIsTheSHA256OfTheWholeKeyAndNeverTheSecret() {
        let key = APIKeySecret.generate()
        #expect(key.hash == SHA256.hash(key.text))
        #expect(key.hash.count == 32)
        let secretPart = Array(key.text.utf8.suffix(43))
        #expect(key.hash != secretPart)
        #expect(key.hash != Base64URL.decode(String(decoding: secretPart, as: UTF8.self)))
        #expect(!Hex.encode(key.hash).contains(key.text))
        #expect(!Base64URL.encode(key.hash).contains(String(decoding: secretPart, as: UTF8.self)))
    }

    @Test func keysAndIdsDoNotRepeat() {
        let keys = (0..<1000).map { _ in APIKeySecret.generate() }
        #expect(Set(keys.map(\.id)).count == 1000)
        #expect(Set(keys.map(\.text)).count == 1000)
    }

    @Test func aKeyIsNeverPrintedWhole() {
        let key = APIKeySecret.generate()
        let secret = String(key.text.suffix(43))
        #expect(key.description == "mpsk_\(key.id)_…")
        #expect(!"\(key)".contains(secret))
        #expect(!String(reflecting: key).contains(secret))
        var dumped = ""
        dump(key, to: &dumped)
        #expect(!dumped.contains(secret))
        #expect(dumped.contains(key.id))
    }

    /// A wrong secret, a wrong hash of any length, or one byte off: no match.
    @Test func onlyTheStoredHashOfThisKeyMatches() {
        let key = APIKeySecret.generate()
        let other = APIKeySecret.generate()
        #expect(!key.matches(storedHash: other.hash))
        #expect(!key.matches(storedHash: []))
        #expect(!key.matches(storedHash: key.hash.dropLast()))
        #expect(!key.matches(storedHash: key.hash + [0]))
        for index in [0, 15, 31] {
            var flipped = key.hash
            flipped[index] ^= 0x01
            #expect(!key.matches(storedHash: flipped))
        }
        // The same id with another secret (what a guesser who saw the id would send).
        let forged = "mpsk_\(key.id)_" + Base64URL.encode([UInt8](repeating: 7, count: 32))
        let parsed = APIKeySecret(parsing: forged)
        #expect(parsed?.id == key.id)
        #expect(parsed?.matches(storedHash: key.hash) == false)
    }

    static let valid: String = "mpsk_0123456789ab_" + Base64URL.encode([UInt8](repeating: 0xAB, count: 32))

    static var malformed: [String] {
        let valid = Self.valid
        let afterPrefix = String(valid.dropFirst(5))
        let secret = String(valid.dropFirst(18))
        let allButLast = String(valid.dropLast())
        var texts: [String] = ["", "mpsk_", "Bearer " + valid, " " + valid, valid + " ", valid + "\n", valid + "="]
        texts += ["MPSK_" + afterPrefix, "mpsk-" + afterPrefix, "mpsx_" + afterPrefix]
        // The id: upper case, not hex, too short, too long.
        texts += ["mpsk_0123456789AB_" + secret, "mpsk_0123456789ag_" + secret]
        texts += ["mpsk_0123456789a_" + secret + "A", "mpsk_0123456789abc" + String(secret.dropLast())]
        // The separator.
        texts += ["mpsk_0123456789ab-" + secret, "mpsk_0123456789ab." + secret]
        // The secret: a character outside base64url, standard base64, padding, non-zero unused
        // bits, too short, too long.
        texts += [allButLast + "+", allButLast + "/", allButLast + "=", allButLast + "9", allButLast, valid + "A"]
        // Non-ASCII of the right byte count and of the right character count; a NUL.
        texts += [String(valid.dropLast(2)) + "é", allButLast + "é", allButLast + "\u{0}"]
        return texts
    }

    /// Everything that is not exactly the canonical spelling is refused before any look-up.
    @Test(arguments: Self.malformed)
    func malformedKeysAreRefused(_ text: String) {
        #expect(APIKeySecret(parsing: Self.valid) != nil, "the base case is valid")
        #expect(APIKeySecret(parsing: text) == nil)
    }

    /// Hostile sizes and contents: refused, without reading past the fixed length.
    @Test func hugeAndOddInputsAreRefusedQuickly() {
        let huge = Self.valid + String(repeating: "A", count: 10_000_000)
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            #expect(APIKeySecret(parsing: huge) == nil)
            #expect(APIKeySecret(parsing: String(repeating: "\u{1F600}", count: 1_000_000)) == nil)
            #expect(APIKeySecret(parsing: huge.utf8.count.description) == nil)
        }
        // Reading all 10 MB would still be fast; the bound is loose and says "not quadratic".
        #expect(elapsed < .seconds(1))
        let randomBytes = (0..<2000).map { _ in SecureRandom.bytes(count: Int.random(in: 0...80)) }
        for bytes in randomBytes {
            #expect(APIKeySecret(parsing: String(decoding: bytes, as: UTF8.self)) == nil)
        }
        #expect(APIKeySecret(parsing: "mpsk_" + String(repeating: "0", count: 56)) == nil)
    }

    @Test func keyIdsAreTwelveLowerCaseHexDigits() {
        #expect(APIKeySecret.isKeyId("0123456789ab"))
        #expect(!APIKeySecret.isKeyId("0123456789AB"))
        #expect(!APIKeySecret.isKeyId("0123456789a"))
        #expect(!APIKeySecret.isKeyId("0123456789abc"))
        #expect(!APIKeySecret.isKeyId("0123456789ag"))
        #expect(!APIKeySecret.isKeyId(""))
    }
}
