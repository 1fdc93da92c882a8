/// The final HTTP response to a request. Any status, 4xx and 5xx included, is a response, not an error.
public struct HTTPResponse: Sendable {
    /// The status code of the final response.
    public var status: Int
    /// The header fields of the final response only: interim (`100 Continue`) and redirect
    /// responses are not included. Names keep the case the server sent.
    public var headers: [(name: String, value: String)]
    /// The response body, at most `CurlConfiguration.maxResponseBytes` long.
    public var body: [UInt8]

    /// Creates a response; used by the client and by test doubles.
    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The value of the first header field called `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        self.headers.first { ASCII.equalsIgnoringCase($0.name, name) }?.value
    }
}
