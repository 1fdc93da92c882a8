import Hashing
@testable import MPS
import Testing

@Suite struct NotificationFingerprintTests {
    static func body(timestamp: String, sign: String, progress: Int = 40, spacing: String = "") -> String {
        #"{"EventType":"BatchTask",\#(spacing)"BatchTaskEvent":{"Timestamp":9,"Sign":"inner","Outputs":[{"Status":"PROCESSING","Progress":\#(progress)}]},"SessionContext":"mh1:ab","Timestamp":\#(timestamp),"Sign":"\#(sign)"}"#
    }

    static func fingerprint(_ text: String) -> [UInt8] {
        NotificationFingerprint.sha256(Array(text.utf8))
    }

    @Test func aResendSignedAgainWithANewExpiryIsTheSameNotification() {
        let first = Self.body(timestamp: "1700000060", sign: "aaaa")
        let resent = Self.body(timestamp: "1700000061", sign: "bbbb")
        #expect(Array(first.utf8) != Array(resent.utf8))
        #expect(Self.fingerprint(first) == Self.fingerprint(resent))
    }

    @Test func anyOtherDifferenceMakesADistinctNotification() {
        let base = Self.fingerprint(Self.body(timestamp: "1", sign: "s"))
        #expect(Self.fingerprint(Self.body(timestamp: "1", sign: "s", progress: 41)) != base)
        #expect(Self.fingerprint(Self.body(timestamp: "1", sign: "s", spacing: " ")) != base)
    }

    @Test func nestedTimestampAndSignStillCount() {
        let one = #"{"EventType":"BatchTask","BatchTaskEvent":{"Sign":"a"},"Timestamp":1,"Sign":"s"}"#
        let two = #"{"EventType":"BatchTask","BatchTaskEvent":{"Sign":"b"},"Timestamp":1,"Sign":"s"}"#
        #expect(Self.fingerprint(one) != Self.fingerprint(two))
    }

    @Test func theResponseWrapperIsUnderstood() {
        let one = #"{"Response":{"EventType":"BatchTask","SessionContext":"x","Timestamp":"100","Sign":"AB"}}"#
        let two = #"{"Response":{"EventType":"BatchTask","SessionContext":"x","Timestamp":"200","Sign":"CD"}}"#
        let other = #"{"Response":{"EventType":"BatchTask","SessionContext":"y","Timestamp":"200","Sign":"CD"}}"#
        #expect(Self.fingerprint(one) == Self.fingerprint(two))
        #expect(Self.fingerprint(one) != Self.fingerprint(other))
    }

    @Test func onlyTheValuesAreBlankedSoAMissingSignDiffersFromAnEmptyOne() {
        let unsigned = #"{"EventType":"BatchTask","SessionContext":"x"}"#
        let signed = #"{"EventType":"BatchTask","SessionContext":"x","Timestamp":1,"Sign":"s"}"#
        #expect(Self.fingerprint(unsigned) != Self.fingerprint(signed))
        #expect(NotificationFingerprint.blankingSignature(Array(signed.utf8)).map { String(decoding: $0, as: UTF8.self) }
            == #"{"EventType":"BatchTask","SessionContext":"x","Timestamp":,"Sign":}"#)
    }

    @Test(arguments: [
        #"{"Timestamp":1,"Sign":"s""#, #"{"Timestamp":1} trailing"#, "[1,2]", #"{"a":"unterminated}"#, "", "   ",
    ])
    func malformedBodiesAreHashedWhole(_ text: String) {
        #expect(Self.fingerprint(text) == SHA256.hash(Array(text.utf8)))
    }

    @Test func stringsWithEscapedQuotesAndBracketsAreSkippedCorrectly() {
        let one = #"{"Note":"a \"}\" ] [ {","List":[{"x":"]"}],"Timestamp":1,"Sign":"s"}"#
        let two = #"{"Note":"a \"}\" ] [ {","List":[{"x":"]"}],"Timestamp":2,"Sign":"t"}"#
        #expect(NotificationFingerprint.blankingSignature(Array(one.utf8)) != nil)
        #expect(Self.fingerprint(one) == Self.fingerprint(two))
    }
}
