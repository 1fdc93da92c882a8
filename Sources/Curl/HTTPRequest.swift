/// One HTTP request: method, absolute http(s) URL, header fields and body bytes.
///
/// Header names and values are sent as given; a request whose method or headers could
/// split the request line (CR, LF, NUL, non-token characters) is refused before anything is sent.
public struct HTTPRequest: Sendable {
    /// The request method, sent verbatim (methods are case-sensitive).
    public var method: String
    /// An absolute `http://` or `https://` URL. It may carry secrets in its query; errors redact it.
    public var url: String
    /// Header fields in order. An empty value is sent as an empty header, not dropped.
    public var headers: [(name: String, value: String)]
    /// The request body. A non-empty body is sent with a `Content-Length`.
    public var body: [UInt8]

    /// Creates a request; nothing is validated until it is executed.
    public init(method: String = "GET", url: String, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}
