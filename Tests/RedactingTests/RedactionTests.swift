import Redacting
import Testing

@Suite struct RedactionTests {
    @Test(arguments: [
        ("https://host/cb?token=secret", "https://host/cb?<redacted>"),
        ("https://user:pw@host:8080/cb?token=secret#frag", "https://host:8080/cb?<redacted>"),
        ("https://host/cb#access_token=secret", "https://host/cb?<redacted>"),
        ("https://user@host", "https://host"),
        ("http://127.0.0.1:9/plain", "http://127.0.0.1:9/plain"),
        ("https://host/a@b", "https://host/a@b"),
    ])
    func urlRedaction(url: String, expected: String) {
        #expect(Redaction.url(url) == expected)
    }

    @Test func textRedactionRemovesEmbeddedQueriesAndUserinfo() {
        let text = "Could not fetch 'https://u:pw@h/cb?token=secret&x=1' (after 3 ms)"
        let redacted = Redaction.text(text)
        #expect(redacted == "Could not fetch 'https://h/cb?<redacted>' (after 3 ms)")
    }
}
