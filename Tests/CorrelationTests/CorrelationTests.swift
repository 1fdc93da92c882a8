import Foundation
import Hashing
import Testing

@testable import Correlation

@Suite struct CorrelationIdTests {
    @Test func sessionContextRoundTrips() throws {
        let id = CorrelationId()
        let context = id.sessionContext
        #expect(context.hasPrefix("mh1:"))
        #expect(context.count == 36)
        #expect(CorrelationId(sessionContext: context) == id)
    }

    @Test func knownValueEncodesAsLowerCaseHex() throws {
        let uuid = try #require(UUID(uuidString: "6F1E3C2A-9D7B-4E0A-8C31-2B5D4A6E7F80"))
        #expect(CorrelationId(uuid).sessionContext == "mh1:6f1e3c2a9d7b4e0a8c312b5d4a6e7f80")
    }

    @Test(arguments: [
        "", "mh1:", "job-42", "mh1:6F1E3C2A9D7B4E0A8C312B5D4A6E7F80", "mh2:6f1e3c2a9d7b4e0a8c312b5d4a6e7f80",
        "mh1:6f1e3c2a9d7b4e0a8c312b5d4a6e7f8", "mh1:6f1e3c2a9d7b4e0a8c312b5d4a6e7f800", "mh1:6f1e3c2a-d7b4e0a8c312b5d4a6e7f80",
        " mh1:6f1e3c2a9d7b4e0a8c312b5d4a6e7f80", "mh1:6f1e3c2a9d7b4e0a8c312b5d4a6e7fé0",
    ])
    func foreignContextsAreNotOurs(context: String) {
        #expect(CorrelationId(sessionContext: context) == nil)
    }
}

@Suite struct CallbackTokensTests {
    static let keyA = Array(repeating: UInt8(0xA1), count: 32)
    static let keyB = Array(repeating: UInt8(0xB2), count: 32)
    static let a = CallbackTokens.KeyId("k2026a")!
    static let b = CallbackTokens.KeyId("k2026b")!

    @Test func tokenIsKeyIdAndHMACOfTheCorrelationId() throws {
        let tokens = try CallbackTokens(keys: [Self.a: Self.keyA], current: Self.a)
        let correlation = CorrelationId()
        let token = tokens.token(for: correlation)
        let expected = "k2026a." + Base64URL.encode(HMACSHA256.authenticationCode(for: correlation.bytes, key: Self.keyA))
        #expect(token == expected)
        #expect(tokens.verify(token, for: correlation))
    }

    @Test func aTokenOfAnotherStepOrAWrongTokenIsRefused() throws {
        let tokens = try CallbackTokens(keys: [Self.a: Self.keyA], current: Self.a)
        let mine = CorrelationId()
        let other = CorrelationId()
        #expect(!tokens.verify(tokens.token(for: other), for: mine))
        #expect(!tokens.verify("", for: mine))
        #expect(!tokens.verify("k2026a.", for: mine))
        #expect(!tokens.verify("unknown." + tokens.token(for: mine).split(separator: ".")[1], for: mine))
        #expect(!tokens.verify(tokens.token(for: mine), for: nil))
    }

    @Test func rotationKeepsOldTokensValidWhileTheirKeyIsLive() throws {
        let before = try CallbackTokens(keys: [Self.a: Self.keyA], current: Self.a)
        let during = try CallbackTokens(keys: [Self.a: Self.keyA, Self.b: Self.keyB], current: Self.b)
        let after = try CallbackTokens(keys: [Self.b: Self.keyB], current: Self.b)
        let correlation = CorrelationId()
        let old = before.token(for: correlation)
        let new = during.token(for: correlation)
        #expect(new.hasPrefix("k2026b."))
        #expect(during.verify(old, for: correlation))
        #expect(during.verify(new, for: correlation))
        #expect(!after.verify(old, for: correlation))
        #expect(after.verify(new, for: correlation))
    }

    /// A static token is for tasks created outside mpshook: it verifies a notification whose
    /// SessionContext is not one of our correlation ids, never one of a step's.
    @Test func aStaticTokenVerifiesOnlyForeignSessionContexts() throws {
        let staticToken = String(repeating: "s", count: 40)
        let tokens = try CallbackTokens(keys: [Self.a: Self.keyA], current: Self.a, staticTokens: [staticToken])
        #expect(tokens.verify(staticToken, for: nil))
        #expect(!tokens.verify(String(repeating: "s", count: 39), for: nil))
        let step = CorrelationId()
        #expect(!tokens.verify(staticToken, for: step))
        #expect(!tokens.verify(staticToken, for: CorrelationId(sessionContext: step.sessionContext)))
        // The step's own token still verifies beside a configured static token.
        #expect(tokens.verify(tokens.token(for: step), for: step))
    }

    @Test func weakConfigurationIsRefusedAndNothingSecretIsPrinted() throws {
        #expect(throws: CallbackTokens.ConfigurationError.self) {
            try CallbackTokens(keys: [Self.a: Array(repeating: 1, count: 31)], current: Self.a)
        }
        #expect(throws: CallbackTokens.ConfigurationError.self) {
            try CallbackTokens(keys: [Self.a: Self.keyA], current: Self.b)
        }
        #expect(throws: CallbackTokens.ConfigurationError.self) {
            try CallbackTokens(keys: [Self.a: Self.keyA], current: Self.a, staticTokens: ["short"])
        }
        #expect(CallbackTokens.KeyId("Upper") == nil)
        #expect(CallbackTokens.KeyId("") == nil)
        #expect(CallbackTokens.KeyId("seventeen-chars-x") == nil)
        let tokens = try CallbackTokens(keys: [Self.a: Self.keyA], current: Self.a, staticTokens: [String(repeating: "z", count: 32)])
        #expect(!tokens.description.contains("zzzz"))
        #expect(!tokens.description.contains(Base64URL.encode(Self.keyA)))
    }
}
