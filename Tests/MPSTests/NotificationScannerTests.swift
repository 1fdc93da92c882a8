import Foundation
@testable import MPS
import Testing

@Suite struct NotificationScannerTests {
    static func accepts(_ text: String) -> Bool {
        Array(text.utf8).withUnsafeBufferPointer { NotificationScanner.scan($0) != nil }
    }

    static func foundationAcceptsAsObject(_ text: String) -> Bool {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) is [String: Any]
    }

    /// The scanner agrees with Foundation's JSON parser on what is a well-formed JSON object.
    @Test(arguments: [
        #"{}"#, #" { } "#, #"{"a":1}"#, #"{"a":-0.5e+10,"b":[1,2,{"c":null}],"d":true,"e":false}"#,
        #"{"a":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"}"#, #"{"a":[]}"#, #"{"a":{}}"#, #"{"a":"ü"}"#,
        #"{,}"#, #"{"a"}"#, #"{"a":}"#, #"{"a":01}"#, #"{"a":1.}"#, #"{"a":.5}"#, #"{"a":-}"#,
        #"{"a":1e}"#, #"{"a":tru}"#, #"{"a":nul}"#, #"{"a":"\x"}"#, #"{"a":"\u12"}"#, "{\"a\":\"tab\there\"}",
        #"{"a":[,1]}"#, #"{"a":1}{"#, #"{"a":1} x"#, #"[1]"#, #""text""#, "", "  ", #"{'a':1}"#,
        #"{"a":1 "b":2}"#, #"{"a" 1}"#, #"{"a":[1 2]}"#, #"{"a":NaN}"#, #"{"a":+1}"#, #"{"a":"unterminated}"#,
    ])
    func agreesWithFoundationOnWellFormedness(_ text: String) {
        #expect(Self.accepts(text) == Self.foundationAcceptsAsObject(text), "\(text)")
    }

    /// Stricter than Foundation, as RFC 8259 is: a trailing comma is not JSON.
    @Test func trailingCommasAreRefused() {
        #expect(!Self.accepts(#"{"a":1,}"#))
        #expect(!Self.accepts(#"{"a":[1,]}"#))
    }

    @Test func deepNestingIsRefusedNotACrash() {
        let deep = "{\"a\":" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        #expect(!Self.accepts(deep))
    }

    @Test func envelopeFieldsAreReadWithEscapesAndTheWrapper() throws {
        let body = #"{"EventType":"BatchTask","SessionContext":"mh1:\u0061b\/c","Timestamp":"1700000000","Sign":"AB"}"#
        let envelope = try NotificationVerifier.parse(Array(body.utf8)).get()
        #expect(envelope.eventType == "BatchTask")
        #expect(envelope.sessionContext == "mh1:ab/c")
        #expect(envelope.timestamp == 1_700_000_000)
        #expect(envelope.sign == "AB")
        let wrapped = #"{"Response":{"EventType":"BatchTask","SessionContext":"x","Timestamp":5},"EventType":"Other"}"#
        let inner = try NotificationVerifier.parse(Array(wrapped.utf8)).get()
        #expect(inner.eventType == "BatchTask")
        #expect(inner.timestamp == 5)
    }

    @Test func envelopeRejectionsNameTheField() {
        func rejection(_ text: String) -> NotificationRejection? {
            if case .failure(let rejection) = NotificationVerifier.parse(Array(text.utf8)) { return rejection }
            return nil
        }
        #expect(rejection(#"{"SessionContext":"x"}"#) == .missingField("EventType"))
        #expect(rejection(#"{"EventType":"","SessionContext":"x"}"#) == .missingField("EventType"))
        #expect(rejection(#"{"EventType":"BatchTask","SessionContext":7}"#) == .missingField("SessionContext"))
        #expect(rejection(#"{"EventType":"BatchTask","SessionContext":"x","Timestamp":1.5}"#) == .missingField("Timestamp"))
        #expect(rejection(#"{"EventType":"BatchTask","SessionContext":"x","Timestamp":true}"#) == .missingField("Timestamp"))
        #expect(rejection(#"{"EventType":"BatchTask","SessionContext":"x","Timestamp":null}"#) == nil)
        #expect(rejection(#"{"EventType":"BatchTask","SessionContext":"\ud800"}"#) == .missingField("SessionContext"))
        #expect(rejection("[]") == .notJSON)
    }

    /// `\u0000` is refused (no text store takes it); an escaped backslash before `u0000` is text.
    @Test(arguments: [
        (#"{"EventType":"BatchTask","SessionContext":"x","Note":"\u0000"}"#, true),
        (#"{"EventType":"BatchTask","SessionContext":"x","Note":"x\\\u0000"}"#, true),
        (#"{"EventType":"BatchTask","SessionContext":"x","Note":"\\u0000"}"#, false),
        (#"{"EventType":"BatchTask","SessionContext":"x","Note":"\u0001"}"#, false),
        (#"{"EventType":"BatchTask","SessionContext":"x","Note":"u0000"}"#, false),
    ])
    func anEscapedNULIsRefusedButAnEscapedBackslashIsNot(_ text: String, _ refused: Bool) {
        let result = NotificationVerifier.parse(Array(text.utf8))
        if case .failure(.nulCharacter) = result { #expect(refused, "\(text)") } else { #expect(!refused, "\(text)") }
    }

    @Test func aRawNULOrAByteOrderMarkIsNotJSON() {
        let valid = #"{"EventType":"BatchTask","SessionContext":"x"}"#
        #expect(NotificationVerifier.parse(Array("\u{FEFF}".utf8) + Array(valid.utf8)) == .failure(.notJSON))
        #expect(NotificationVerifier.parse(Array(#"{"EventType":"Batch"#.utf8) + [0] + Array(#"Task","SessionContext":"x"}"#.utf8)) == .failure(.notJSON))
    }

    @Test func theLastOfARepeatedMemberWins() throws {
        let body = #"{"EventType":"A","EventType":"BatchTask","SessionContext":"x"}"#
        #expect(try NotificationVerifier.parse(Array(body.utf8)).get().eventType == "BatchTask")
    }
}
