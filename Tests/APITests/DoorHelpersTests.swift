import Foundation
import Hummingbird
import HTTPTypes
@testable import API
import MPS
import Testing

@Suite struct DoorHelpersTests {
    typealias Door = IntakeController<APIRequestContext>

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

    static let mac = "--__ECD-KCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4_QEE"
    static let token = "k1." + mac
    /// The same MAC in the standard base64 alphabet, with its padding.
    static let standardMAC = "++//ECD+KCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/QEE="

    static func percentEncoded(_ text: String, lowerCase: Bool = false) -> String {
        text.utf8.map { String(format: lowerCase ? "%%%02x" : "%%%02X", $0) }.joined()
    }

    /// A proxy may copy the URL into a header in any encoding, or a header may hold only the
    /// MAC: no such value is stored.
    @Test(arguments: [
        "/mps/notify?token=" + token,
        "/mps/notify?token=k1%2E" + mac,
        "/mps/notify?token=k1%2e" + mac,
        "/mps/notify?token=" + percentEncoded(token),
        "/mps/notify?token=" + percentEncoded(token, lowerCase: true),
        "/mps/notify?token=k1.%2D%2d__ECD-KCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4%5fQEE",
        "/mps/notify?token=k1%252E" + mac,
        "/mps/notify?token=" + percentEncoded(percentEncoded(token)),
        "/mps/notify?token=" + percentEncoded(percentEncoded(percentEncoded(token, lowerCase: true))),
        mac,
        "sig=" + mac + "==",
        "sig=" + standardMAC,
        "sig=" + String(standardMAC.dropLast()),
        "sig=" + percentEncoded(standardMAC),
        "sig=" + percentEncoded(standardMAC, lowerCase: true),
        "/mps/notify?token=k1." + standardMAC.replacingOccurrences(of: "+", with: "%2b").replacingOccurrences(of: "/", with: "%2F"),
        #"{"token":"k1.++\/\/ECD+KCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4\/QEE="}"#,
    ])
    func aHeaderHoldingTheTokenOrItsMACInAnyEncodingIsNotStored(value: String) throws {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[HTTPField.Name("X-Original-URI")!] = value
        let json = Door.safeHeaders(headers, token: Self.token)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String])
        #expect(object["x-original-uri"] == nil, "\(value)")
        #expect(object["content-type"] == "application/json")
    }

    /// Values that do not hold the token or its MAC are kept, slashes and percent signs included.
    @Test(arguments: [
        "/mps/notify?token=k1.", "Mozilla/5.0 (X11; Linux x86_64)", "100%", "%zz%2", String(mac.prefix(30)),
        "k1.AAAA" + String(mac.dropFirst(4)),
    ])
    func aHeaderWithoutTheTokenIsKept(value: String) throws {
        var headers = HTTPFields()
        headers[HTTPField.Name("X-Note")!] = value
        let object = try #require(try JSONSerialization.jsonObject(with: Data(Door.safeHeaders(headers, token: Self.token).utf8)) as? [String: String])
        #expect(object["x-note"] == value)
    }

    /// A static token is searched for whole, and by the part after its dot when that part is long
    /// enough to be a secret on its own.
    @Test func aStaticTokenIsScrubbedWholeOrByItsLongSecretPart() throws {
        func stored(_ value: String, token: String) throws -> Bool {
            var headers = HTTPFields()
            headers[HTTPField.Name("X-Note")!] = value
            let object = try #require(try JSONSerialization.jsonObject(with: Data(Door.safeHeaders(headers, token: token).utf8)) as? [String: String])
            return object["x-note"] != nil
        }
        let dotted = "team.0123456789abcdef0123456789abcdef"
        #expect(try !stored("t=" + Self.percentEncoded(dotted), token: dotted))
        #expect(try !stored("0123456789abcdef0123456789abcdef", token: dotted))
        let shortTail = "0123456789abcdef0123456789abcdef.x"
        #expect(try !stored(shortTail, token: shortTail))
        #expect(try stored("x marks the spot", token: shortTail))
    }

    /// Every reason the door refuses for (a failed token, each rejection) is counted on its own;
    /// a reason without a counter would go uncounted.
    @Test func everyRejectionReasonHasItsOwnCounter() {
        for reason in ["token"] + NotificationRejection.reasons {
            #expect(IntakeMetrics.rejections[reason] != nil, "\(reason)")
        }
        #expect(IntakeMetrics.rejections[NotificationRejection.timestampTooFarAhead(timestamp: 2, now: 1).reason] != nil)
        #expect(IntakeMetrics.rejections[NotificationRejection.ambiguous.reason] != nil)
    }

    @Test func controlCharactersAreEscapedAsJSON() throws {
        var json = ""
        Door.appendJSONString("a\u{7}b\nc\u{1F}", to: &json)
        #expect(json == #""a\u0007b\nc\u001f""#)
        #expect(try JSONSerialization.jsonObject(with: Data(json.utf8), options: .fragmentsAllowed) as? String == "a\u{7}b\nc\u{1F}")
    }
}
