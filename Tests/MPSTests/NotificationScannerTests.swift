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
        let wrapped = #"{"Response":{"EventType":"BatchTask","SessionContext":"x","Timestamp":5},"RequestId":"r"}"#
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
        #expect(rejection(#"{"EventType":"BatchTask","SessionContext":"\ud800"}"#) == .notJSON)
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

    static func rejectionReason(_ text: String) -> String? {
        if case .failure(let rejection) = NotificationVerifier.parse(Array(text.utf8)) { return rejection.reason }
        return nil
    }

    /// Envelope keys written with escapes: JSONDecoder unescapes keys, the door's byte compare
    /// does not, so two readings could pick different members. Refused, top level or wrapped.
    @Test(arguments: [
        #"{"EventType":"BatchTask","SessionContext":"a","Respons\u0065":{"EventType":"BatchTask","SessionContext":"b"}}"#,
        #"{"Respons\u0065":{"EventType":"BatchTask","SessionContext":"b"}}"#,
        #"{"EventType":"BatchTask","SessionContext":"a","SessionContex\u0074":"b"}"#,
        #"{"EventType":"BatchTask","SessionContex\u0074":"b"}"#,
        #"{"EventType":"BatchTask","\u0045ventType":"Other","SessionContext":"a"}"#,
        #"{"EventType":"BatchTask","SessionContext":"a","Timestam\u0070":1}"#,
        #"{"EventType":"BatchTask","SessionContext":"a","\u0053ign":"x"}"#,
        #"{"EventType":"BatchTask","SessionContext":"a","BatchTaskEven\u0074":{}}"#,
        #"{"Response":{"EventType":"BatchTask","SessionContext":"a","SessionContex\u0074":"b"}}"#,
    ])
    func anEscapedEnvelopeKeyIsAmbiguous(_ text: String) {
        #expect(Self.rejectionReason(text) == "ambiguous", "\(text)")
    }

    /// A repeated envelope member: the scanner kept the last, JSONDecoder keeps the first.
    @Test(arguments: [
        #"{"EventType":"BatchTask","SessionContext":"a","SessionContext":"b"}"#,
        #"{"EventType":"A","EventType":"BatchTask","SessionContext":"x"}"#,
        #"{"EventType":"BatchTask","SessionContext":"a","Timestamp":1,"Timestamp":2}"#,
        #"{"EventType":"BatchTask","SessionContext":"a","Sign":"x","Sign":"y"}"#,
        #"{"EventType":"BatchTask","SessionContext":"a","BatchTaskEvent":null,"BatchTaskEvent":{}}"#,
        #"{"Response":{"EventType":"BatchTask","SessionContext":"a"},"Response":{"EventType":"BatchTask","SessionContext":"b"}}"#,
        #"{"Response":{"EventType":"BatchTask","SessionContext":"a","SessionContext":"b"}}"#,
    ])
    func aDuplicateEnvelopeKeyIsAmbiguous(_ text: String) {
        #expect(Self.rejectionReason(text) == "ambiguous", "\(text)")
    }

    /// Which object holds the envelope must be unmistakable: a `Response` wrapper beside
    /// top-level envelope members, or a `Response` that is not an object, is refused.
    @Test(arguments: [
        #"{"EventType":"BatchTask","SessionContext":"a","Response":{"EventType":"BatchTask","SessionContext":"b"}}"#,
        #"{"Response":{"EventType":"BatchTask","SessionContext":"b"},"SessionContext":"a"}"#,
        #"{"Response":{"EventType":"BatchTask","SessionContext":"b"},"BatchTaskEvent":{}}"#,
        #"{"Response":{"EventType":"BatchTask","SessionContext":"b"},"Timestamp":1}"#,
        #"{"EventType":"BatchTask","SessionContext":"a","Response":null}"#,
        #"{"EventType":"BatchTask","SessionContext":"a","Response":"x"}"#,
        #"{"EventType":"BatchTask","SessionContext":"a","Response":[{"SessionContext":"b"}]}"#,
    ])
    func aTopLevelEnvelopeBesideAWrapperOrANonObjectResponseIsAmbiguous(_ text: String) {
        #expect(Self.rejectionReason(text) == "ambiguous", "\(text)")
    }

    /// Only envelope members at the envelope's own level count: other escaped or repeated keys,
    /// envelope names nested deeper, and other top-level members beside the wrapper are fine.
    @Test(arguments: [
        #"{"EventType":"BatchTask","SessionContext":"a","Not\u0065":1,"SessionId":"","SessionId":""}"#,
        #"{"EventType":"BatchTask","SessionContext":"a","BatchTaskEvent":{"SessionContext":"b","Response":{},"Sign":"x","Sign":"y"}}"#,
        #"{"Response":{"EventType":"BatchTask","SessionContext":"a","Response":"inner"},"RequestId":"r-1"}"#,
    ])
    func otherKeysMayBeEscapedOrRepeated(_ text: String) {
        #expect(Self.rejectionReason(text) == nil, "\(text)")
    }

    /// An unpaired surrogate escape is refused as Foundation's parsers do (JSONDecoder fails on
    /// it), so nothing the door accepts is unreadable behind it.
    @Test(arguments: [#"{"a":"\ud800"}"#, #"{"a":"\udc00"}"#, #"{"a":"\ud800\u0041"}"#, #"{"a":"\ud800\n"}"#, #"{"\udfff":1}"#])
    func anUnpairedSurrogateIsNotJSON(_ text: String) {
        #expect(!Self.accepts(text), "\(text)")
        #expect(!Self.foundationAcceptsAsObject(text), "\(text)")
    }
}
