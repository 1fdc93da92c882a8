import Curl
import Testing

/// Pure tests: error classification, redaction, header collection. No sockets.
@Suite struct CurlErrorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var facts: TransferFacts
        var code: CurlError.Code
        var delivery: CurlError.Delivery
        var testDescription: String { self.name }
    }

    /// libcurl `CURLcode` values: 1 unsupported protocol, 3 malformed URL, 6 resolve, 7 connect,
    /// 23 write error, 28 timeout, 35 TLS connect, 42 aborted by callback, 47 too many redirects,
    /// 52 got nothing, 56 receive error, 60 peer verification, 63 file size exceeded.
    static let cases: [Case] = [
        Case(name: "DNS failure", facts: .init(curlCode: 6), code: .couldNotResolveHost, delivery: .notSent),
        Case(name: "connection refused", facts: .init(curlCode: 7), code: .couldNotConnect, delivery: .notSent),
        Case(name: "malformed URL", facts: .init(curlCode: 3), code: .malformedURL, delivery: .notSent),
        Case(name: "unsupported protocol", facts: .init(curlCode: 1), code: .unsupportedProtocol, delivery: .notSent),
        Case(name: "TLS handshake", facts: .init(curlCode: 35), code: .tls, delivery: .notSent),
        Case(name: "untrusted certificate", facts: .init(curlCode: 60), code: .tls, delivery: .notSent),
        Case(name: "timeout while connecting", facts: .init(curlCode: 28), code: .connectTimeout, delivery: .notSent),
        Case(
            name: "timeout, connected but nothing counted as written",
            facts: .init(curlCode: 28, pretransferMicroseconds: 900),
            code: .timeout,
            delivery: .maybeSent
        ),
        Case(
            name: "timeout after sending",
            facts: .init(curlCode: 28, requestBytesSent: 120, pretransferMicroseconds: 900),
            code: .timeout,
            delivery: .maybeSent
        ),
        Case(
            name: "connect failure on a redirect hop",
            facts: .init(curlCode: 7, redirectCount: 1),
            code: .couldNotConnect,
            delivery: .maybeSent
        ),
        Case(
            name: "redirect to a refused protocol",
            facts: .init(curlCode: 1, requestBytesSent: 80, pretransferMicroseconds: 500, redirectCount: 1),
            code: .unsupportedProtocol,
            delivery: .maybeSent
        ),
        Case(
            name: "empty reply",
            facts: .init(curlCode: 52, requestBytesSent: 80, pretransferMicroseconds: 500),
            code: .connectionLost,
            delivery: .maybeSent
        ),
        Case(name: "reset during the handshake", facts: .init(curlCode: 56), code: .connectionLost, delivery: .notSent),
        Case(
            name: "body over the limit",
            facts: .init(curlCode: 23, requestBytesSent: 80, pretransferMicroseconds: 500, exceededLimit: true),
            code: .responseTooLarge,
            delivery: .maybeSent
        ),
        Case(name: "Content-Length over the limit", facts: .init(curlCode: 63), code: .responseTooLarge, delivery: .maybeSent),
        Case(name: "write error not ours", facts: .init(curlCode: 23), code: .other, delivery: .maybeSent),
        Case(name: "cancelled before connecting", facts: .init(curlCode: 42, cancelled: true), code: .cancelled, delivery: .notSent),
        Case(
            name: "cancelled after sending",
            facts: .init(curlCode: 42, requestBytesSent: 80, pretransferMicroseconds: 500, cancelled: true),
            code: .cancelled,
            delivery: .maybeSent
        ),
        Case(name: "too many redirects", facts: .init(curlCode: 47, redirectCount: 5), code: .other, delivery: .maybeSent),
        Case(name: "unknown code", facts: .init(curlCode: 9999), code: .other, delivery: .maybeSent),
    ]

    @Test(arguments: cases)
    func classification(_ testCase: Case) {
        let (code, delivery) = CurlError.classify(testCase.facts)
        #expect(code == testCase.code)
        #expect(delivery == testCase.delivery)
    }

    @Test func descriptionNamesCodeDeliveryAndRedactedURL() {
        let error = CurlError(
            code: .timeout,
            delivery: .maybeSent,
            curlCode: 28,
            message: "Operation timed out for http://h/x?token=secret",
            url: "http://h/x?token=secret"
        )
        #expect(error.description == "CurlError(timeout, maybeSent, curl 28, http://h/x?<redacted>): Operation timed out for http://h/x?<redacted>")
    }

    @Test func headerCollectorKeepsOnlyTheFinalResponse() {
        var collector = ResponseHeaderCollector()
        let lines = [
            "HTTP/1.1 100 Continue\r\n", "\r\n",
            "HTTP/1.1 302 Found\r\n", "Location: /next\r\n", "\r\n",
            "HTTP/1.1 200 OK\r\n", "Content-Type:  text/plain \r\n", "X-Folded: a\r\n", "\t b\r\n", "X-Empty:\r\n",
            "not a header\r\n", "\r\n",
        ]
        for line in lines {
            collector.consume(line: Array(line.utf8))
        }
        let headers = collector.headers.map { "\($0.name)=\($0.value)" }
        #expect(headers == ["Content-Type=text/plain", "X-Folded=a b", "X-Empty="])
    }

    @Test(arguments: [
        (Duration.zero, 1),
        (.nanoseconds(1), 1),
        (.milliseconds(500), 500),
        (.seconds(30), 30_000),
        (.seconds(-1), 1),
        (.seconds(Int64.max), Int.max / 1000),
    ])
    func timeoutsBecomeWholeMillisecondsNeverZero(duration: Duration, milliseconds: Int) {
        #expect(duration.curlMilliseconds == milliseconds)
    }
}
