import API
import Foundation
import MPS
import Testing

/// What the API shows of stored requests, bodies and headers: no token, key, signature or
/// signed URL query survives, at any depth; everything else is kept as it was.
@Suite struct StoredSecretsTests {
    static func text(_ value: JSONValue?) throws -> String {
        String(decoding: try JSONEncoder().encode(try #require(value)), as: UTF8.self)
    }

    @Test func secretsAreRemovedAtAnyDepthAndTheRestKept() throws {
        let stored = """
            {"TaskNotifyConfig":{"NotifyUrl":"https://u:p@h.example.com/n?token=T0KEN#f","NotifyKey":"K3Y","NotifyMode":"Finish"},
             "InputInfo":[{"UrlInputInfo":{"Url":"https://e.com/a.mp4?sign=S1G"}},{"S3InputInfo":{"S3SecretId":"ID","S3SecretKey":"SK","S3Object":"/o"}}],
             "Deep":[[{"Sign":"MAC","Other":"HTTPS://x.example.com/p?q=QUERY","Plain":"a?b","Empty":""}]],
             "Timestamp":1700000645,"Flag":true,"Nothing":null}
            """
        let redacted = try #require(StoredSecrets.json(stored))
        let text = try Self.text(redacted)
        for secret in ["T0KEN", "K3Y", "S1G", "\"SK\"", "\"ID\"", "MAC", "QUERY", "u:p@"] {
            #expect(!text.contains(secret), "\(secret) survived")
        }
        #expect(redacted["TaskNotifyConfig"]?["NotifyUrl"] == "https://h.example.com/n?<redacted>")
        #expect(redacted["TaskNotifyConfig"]?["NotifyKey"] == "<redacted>")
        #expect(redacted["TaskNotifyConfig"]?["NotifyMode"] == "Finish")
        let deep = redacted["Deep"]?.arrayValue?.first?.arrayValue?.first
        #expect(deep?["Sign"] == "<redacted>")
        #expect(deep?["Other"] == "HTTPS://x.example.com/p?<redacted>")
        // Not a URL: kept as it is.
        #expect(deep?["Plain"] == "a?b")
        #expect(deep?["Empty"] == "")
        #expect(redacted["Timestamp"]?.intValue == 1_700_000_645)
        #expect(redacted["Flag"] == true)
        #expect(redacted["Nothing"] == .null)
    }

    @Test func anEmptySecretStaysEmptyAndNonJSONIsNil() {
        #expect(StoredSecrets.json(#"{"NotifyKey":"","Sign":""}"#) == ["NotifyKey": "", "Sign": ""])
        #expect(StoredSecrets.json("not json") == nil)
        #expect(StoredSecrets.text("see https://h/x?token=T and more") == "see https://h/x?<redacted> and more")
    }

    @Test func headersLoseCredentialsAndURLQueries() {
        let stored = #"{"Authorization":"Bearer X","cookie":"c=1","x-tc-token":"t","x-original-url":"/n?token=T","user-agent":"MPS","n":1}"#
        #expect(StoredSecrets.headers(stored) == ["x-original-url": "/n?<redacted>", "user-agent": "MPS"])
        #expect(StoredSecrets.headers("[]") == [:])
    }

    /// A body that is not JSON (cut short, or written by hand) still loses its secrets (found in review).
    @Test func textThatIsNotJSONLosesSecretMembersAndURLQueries() {
        let cut = #"{"EventType":"BatchTask","Sign":"0a1b2c","TaskNotifyConfig":{"NotifyKey" : "k\"ey","NotifyUrl":"https://h/n?token=T"},"S3SecretKey":"abc"#
        let shown = StoredSecrets.text(cut)
        for secret in ["0a1b2c", #"k\"ey"#, "token=T", "abc"] {
            #expect(!shown.contains(secret), "\(secret) in \(shown)")
        }
        #expect(shown.contains(#""Sign":"<redacted>""#))
        #expect(shown.contains(#""NotifyKey" : "<redacted>""#))
        #expect(shown.contains(#""EventType":"BatchTask""#))
    }
}
