import Hashing
import Testing
import Webhooks

@Suite struct WebhookSignerTests {
    /// The Standard Webhooks specification's published example (the reference libraries' tests
    /// use it): reproducing it is what says a receiver's library accepts ours.
    static let vectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    @Test func reproducesTheSpecificationsTestVector() throws {
        let secret = try #require(WebhookSecret(id: "k1", secret: Self.vectorSecret))
        let signer = WebhookSigner(secrets: [secret])
        let signature = signer.signature(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Array(#"{"test": 2432232314}"#.utf8))
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    /// Every active key signs, separated by a space (the spec's form for rotation), in list order.
    @Test func signsWithEveryKeyForRotation() throws {
        let other = "whsec_" + Base64.encode(Array(repeating: UInt8(7), count: 32))
        let secrets = try WebhookSecret.parseList("old:\(Self.vectorSecret), new:\(other)").get()
        #expect(secrets.map(\.id) == ["old", "new"])
        let headers = WebhookSigner(secrets: secrets).headers(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Array(#"{"test": 2432232314}"#.utf8))
        #expect(headers.map(\.name) == ["webhook-id", "webhook-timestamp", "webhook-signature"])
        #expect(headers[1].value == "1614265330")
        let parts = headers[2].value.split(separator: " ")
        #expect(parts.count == 2)
        #expect(parts[0] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        // The second computed independently: HMAC-SHA256 over "{id}.{timestamp}.{body}", base64.
        let expected = Base64.encode(HMACSHA256.authenticationCode(
            for: Array(#"msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}"#.utf8), key: Array(repeating: UInt8(7), count: 32)
        ))
        #expect(parts[1] == "v1," + Substring(expected))
    }

    @Test(arguments: [
        "", "k1", "k1:MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "k1:whsec_c2hvcnQ=", "K1:whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "k1:whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw,k1:whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "k1:whsec_not base64!!",
    ])
    func refusesBadKeyLists(text: String) {
        guard case .failure(let error) = WebhookSecret.parseList(text) else {
            Issue.record("accepted \(text)")
            return
        }
        // The error never repeats a secret.
        #expect(!error.description.contains("MfKQ9r8"))
    }

    @Test func secretsAreNeverPrinted() throws {
        let secret = try #require(WebhookSecret(id: "k1", secret: Self.vectorSecret))
        #expect("\(secret)" == "WebhookSecret(k1)")
        #expect(!String(reflecting: WebhookSigner(secrets: [secret])).contains("MfKQ9r8"))
    }
}
