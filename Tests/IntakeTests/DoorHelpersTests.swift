import Foundation
import Hummingbird
import HTTPTypes
@testable import Intake
import Testing

@Suite struct DoorHelpersTests {
    typealias Door = IntakeController<BasicRequestContext>

    @Test func safeHeadersAreValidJSONWithoutSecretsOrTheToken() throws {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.authorization] = "Bearer secret"
        headers[.cookie] = "session=1"
        headers[HTTPField.Name("X-Original-URI")!] = "/mps/notify?token=tok-123"
        headers[HTTPField.Name("X-Note")!] = "quote \" backslash \\ tab \t ünïcode"
        headers.append(HTTPField(name: HTTPField.Name("X-Forwarded-For")!, value: "203.0.113.9"))
        headers.append(HTTPField(name: HTTPField.Name("X-Forwarded-For")!, value: "10.0.0.2"))
        let json = Door.safeHeaders(headers, token: "tok-123")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String])
        #expect(object["content-type"] == "application/json")
        #expect(object["x-note"] == "quote \" backslash \\ tab \t ünïcode")
        #expect(object["x-forwarded-for"] == "203.0.113.9, 10.0.0.2")
        #expect(object["authorization"] == nil)
        #expect(object["cookie"] == nil)
        #expect(object["x-original-uri"] == nil)
        #expect(!json.contains("tok-123"))
    }

    @Test func controlCharactersAreEscapedAsJSON() throws {
        var json = ""
        Door.appendJSONString("a\u{7}b\nc\u{1F}", to: &json)
        #expect(json == #""a\u0007b\nc\u001f""#)
        #expect(try JSONSerialization.jsonObject(with: Data(json.utf8), options: .fragmentsAllowed) as? String == "a\u{7}b\nc\u{1F}")
    }
}
