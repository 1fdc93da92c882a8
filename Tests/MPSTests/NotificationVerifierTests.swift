import Testing

@testable import MPS

@Suite struct NotificationVerifierTests {
    static let key = "example-notify-key"

    static func body(timestamp: String = "1700000645", sign: String = "\"07bc9e65362e16c2078bf4b8e93f9a03\"", context: String = "\"job-42\"") -> [UInt8] {
        Array("""
        {"EventType":"BatchTask","BatchTaskEvent":null,"SessionId":"","SessionContext":\(context),"Timestamp":\(timestamp),"Sign":\(sign)}
        """.utf8)
    }

    @Test func signsLikeMPS() {
        #expect(NotificationVerifier.sign(timestamp: 1_700_000_645, notifyKey: Self.key) == "07bc9e65362e16c2078bf4b8e93f9a03")
        #expect(NotificationVerifier.sign(timestamp: 1_700_004_245, notifyKey: Self.key) == "473877e5bc97e1631f3ccde66bb189c7")
    }

    @Test func acceptsAValidNotificationBeforeItsExpiry() throws {
        let verifier = NotificationVerifier(notifyKey: Self.key, allowedSkew: 0)
        let envelope = try verifier.verify(Self.body(), now: 1_700_000_645).get()
        #expect(envelope.sessionContext == "job-42")
        #expect(envelope.eventType == "BatchTask")
        #expect(envelope.timestamp == 1_700_000_645)
    }

    @Test func acceptsUpperCaseSignAndAStringTimestampAndAResponseWrapper() throws {
        let verifier = NotificationVerifier(notifyKey: Self.key, allowedSkew: 0)
        _ = try verifier.verify(Self.body(sign: "\"07BC9E65362E16C2078BF4B8E93F9A03\""), now: 1_700_000_000).get()
        _ = try verifier.verify(Self.body(timestamp: "\"1700000645\""), now: 1_700_000_000).get()
        let wrapped = Array("{\"Response\":".utf8) + Self.body() + Array("}".utf8)
        #expect(try verifier.verify(wrapped, now: 1_700_000_000).get().sessionContext == "job-42")
    }

    @Test func wrongSignIsRejected() {
        let verifier = NotificationVerifier(notifyKey: "another-key")
        #expect(verifier.verify(Self.body(), now: 1_700_000_000) == .failure(.badSignature))
        let tampered = NotificationVerifier(notifyKey: Self.key)
        #expect(tampered.verify(Self.body(timestamp: "1700000646"), now: 1_700_000_000) == .failure(.badSignature))
    }

    @Test func expiredNotificationIsRejectedAfterTheSkew() {
        let verifier = NotificationVerifier(notifyKey: Self.key, allowedSkew: 30)
        #expect((try? verifier.verify(Self.body(), now: 1_700_000_675).get()) != nil)
        #expect(verifier.verify(Self.body(), now: 1_700_000_676) == .failure(.expired(timestamp: 1_700_000_645, now: 1_700_000_676)))
    }

    /// A `Timestamp` with a valid `Sign` near `Int64.max` is refused as too far ahead; adding the
    /// skew to it must not trap (it used to end the process).
    @Test(arguments: [Int64.max, Int64.max - 1, Int64.max - 60])
    func aTimestampNearInt64MaxIsRefusedNotTrapped(timestamp: Int64) {
        let verifier = NotificationVerifier(notifyKey: Self.key)
        let sign = NotificationVerifier.sign(timestamp: timestamp, notifyKey: Self.key)
        let result = verifier.verify(Self.body(timestamp: "\(timestamp)", sign: "\"\(sign)\""), now: 1_700_000_000)
        guard case .failure(let rejection) = result else {
            Issue.record("a Timestamp of \(timestamp) was accepted")
            return
        }
        #expect(rejection.reason == "timestamp_too_far_ahead")
    }

    /// MPS signs with an expiry 600 s ahead; a day more is allowed for clock skew, not beyond.
    @Test func aTimestampMoreThanADayAheadOfMPSExpiryIsRefused() {
        let verifier = NotificationVerifier(notifyKey: Self.key)
        let now: Int64 = 1_700_000_000
        func verify(_ timestamp: Int64) -> Result<NotificationEnvelope, NotificationRejection> {
            let sign = NotificationVerifier.sign(timestamp: timestamp, notifyKey: Self.key)
            return verifier.verify(Self.body(timestamp: "\(timestamp)", sign: "\"\(sign)\""), now: now)
        }
        #expect((try? verify(now + 600 + 86_400).get()) != nil)
        guard case .failure(let rejection) = verify(now + 600 + 86_400 + 1) else {
            Issue.record("a Timestamp a day and a second past MPS's expiry was accepted")
            return
        }
        #expect(rejection.reason == "timestamp_too_far_ahead")
    }

    /// Negative, zero and `Int64.min` timestamps (validly signed) are expired, not a trap.
    @Test(arguments: [Int64.min, Int64.min + 1, -1, 0])
    func anAbsurdlyOldOrNegativeTimestampIsExpired(timestamp: Int64) {
        let verifier = NotificationVerifier(notifyKey: Self.key)
        let sign = NotificationVerifier.sign(timestamp: timestamp, notifyKey: Self.key)
        let result = verifier.verify(Self.body(timestamp: "\(timestamp)", sign: "\"\(sign)\""), now: 1_700_000_000)
        #expect(result == .failure(.expired(timestamp: timestamp, now: 1_700_000_000)))
    }

    /// The expiry check cannot trap for any Timestamp, clock or skew an Int64 holds.
    @Test func theExpiryCheckCannotTrapAtTheExtremes() {
        let extremes: [Int64] = [.min, .min + 1, -1, 0, 1, 1_700_000_000, .max - 1, .max]
        for skew in [Int64.min, -1, 0, 60, .max] {
            var verifier = NotificationVerifier(notifyKey: Self.key, allowedSkew: skew)
            verifier.allowedSkew = skew
            for timestamp in extremes {
                let envelope = NotificationEnvelope(
                    eventType: "BatchTask", sessionContext: "x", timestamp: timestamp,
                    sign: NotificationVerifier.sign(timestamp: timestamp, notifyKey: Self.key)
                )
                for now in extremes {
                    _ = verifier.check(envelope, now: now)
                }
            }
        }
    }

    @Test func missingSignOrTimestampIsRejectedWhenAKeyIsConfigured() {
        let verifier = NotificationVerifier(notifyKey: Self.key)
        let unsigned = Array(#"{"EventType":"BatchTask","SessionContext":"job-42"}"#.utf8)
        #expect(verifier.verify(unsigned, now: 0) == .failure(.unsigned))
        #expect(verifier.verify(Self.body(sign: "null"), now: 0) == .failure(.unsigned))
        // Without a key the same body is accepted: only the URL token protects it then.
        #expect((try? NotificationVerifier(notifyKey: nil).verify(unsigned, now: 0).get()) != nil)
    }

    @Test(arguments: [
        ("", NotificationRejection.notJSON),
        ("not json", .notJSON),
        ("[1,2]", .notJSON),
        ("\"text\"", .notJSON),
        ("{\"EventType\":\"BatchTask\"", .notJSON),
        ("{}", .missingField("EventType")),
        ("{\"EventType\":\"\",\"SessionContext\":\"x\"}", .missingField("EventType")),
        ("{\"EventType\":\"BatchTask\"}", .missingField("SessionContext")),
        ("{\"EventType\":\"BatchTask\",\"SessionContext\":7}", .missingField("SessionContext")),
        ("{\"EventType\":\"BatchTask\",\"SessionContext\":\"x\",\"Timestamp\":\"soon\"}", .missingField("Timestamp")),
    ])
    func malformedBodiesAreTypedRejections(body: String, expected: NotificationRejection) {
        #expect(NotificationVerifier(notifyKey: Self.key).verify(Array(body.utf8), now: 0) == .failure(expected))
    }

    /// Each rejection has its own reason, listed in `reasons` (the door makes a counter for each).
    @Test func everyRejectionHasItsOwnListedReason() {
        let rejections: [NotificationRejection] = [
            .notJSON, .missingField("Sign"), .nulCharacter, .ambiguous, .unsigned, .badSignature,
            .expired(timestamp: 1, now: 2), .timestampTooFarAhead(timestamp: 2, now: 1),
        ]
        #expect(Set(rejections.map(\.reason)) == Set(NotificationRejection.reasons))
        #expect(NotificationRejection.reasons.count == rejections.count)
    }

    @Test func rejectionDescriptionsNeverContainTheKeyOrSign() {
        let rejections: [NotificationRejection] = [
            .notJSON, .missingField("Sign"), .unsigned, .badSignature, .expired(timestamp: 1, now: 2), .ambiguous,
            .timestampTooFarAhead(timestamp: 2, now: 1),
        ]
        for rejection in rejections {
            #expect(!rejection.description.contains(Self.key))
            #expect(!rejection.description.contains("07bc9e65"))
            #expect(!rejection.reason.isEmpty)
        }
    }
}
