@testable import MPSTransport
import Testing

/// The bytes of `Response.BatchTaskResult` are found as sent, whatever surrounds them.
struct RawJSONMemberTests {
    static func find(_ text: String) -> String? {
        RawJSONMember.value(at: ["Response", "BatchTaskResult"], in: Array(text.utf8)).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func theValueIsReturnedByteForByte() {
        let result = #"{"Outputs": [ {"Status":"SUCCESS","Message":"a \"quoted\" } ] { text\\"} ], "N": -1.5e3, "T": true}"#
        let body = #"{"Response": {"Status":"FINISH","X":{"BatchTaskResult":1},"List":[1,{"a":"]"}],"BatchTaskResult":"# + result + #", "RequestId":"r"}}"#
        #expect(Self.find(body) == result)
        // Whitespace anywhere, and the member last.
        #expect(Self.find("{ \"Response\" :\n{ \"RequestId\" : \"r\" ,\t\"BatchTaskResult\" : " + result + " } }") == result)
    }

    @Test func theFirstOfTwoEqualMembersCounts() {
        #expect(Self.find(#"{"Response":{"BatchTaskResult":{"a":1},"BatchTaskResult":{"b":2}}}"#) == #"{"a":1}"#)
    }

    @Test func missingNullOrBrokenAnswersNil() {
        #expect(Self.find(#"{"Response":{"RequestId":"r"}}"#) == nil)
        #expect(Self.find(#"{"Response":{"BatchTaskResult":null}}"#) == nil)
        #expect(Self.find(#"{"Response":[{"BatchTaskResult":{}}]}"#) == nil)
        #expect(Self.find(#"{"Response":{"BatchTaskResult":{"a":"#) == nil)
        #expect(Self.find(#"{"Response":{"BatchTaskResult""#) == nil)
        #expect(Self.find(#"{"Response":{"A":"unterminated}}"#) == nil)
        #expect(Self.find("") == nil)
        #expect(Self.find("[]") == nil)
        // Every prefix of a real answer ends without trapping.
        let body = #"{"Response":{"Status":"FINISH","BatchTaskResult":{"Outputs":[{"Status":"SUCCESS"}]},"RequestId":"r"}}"#
        for length in 0..<body.utf8.count {
            _ = RawJSONMember.value(at: ["Response", "BatchTaskResult"], in: Array(body.utf8.prefix(length)))
        }
        #expect(Self.find(body) == #"{"Outputs":[{"Status":"SUCCESS"}]}"#)
    }
}
