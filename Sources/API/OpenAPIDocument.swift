public import Hummingbird
import NIOCore

/// The API's contract, `Sources/API/openapi.yaml` (OpenAPI 3.1), compiled into the binary and
/// served at `GET /openapi.yaml`. Tests hold the server to it (schemathesis against a running
/// server, and a comparison of the router's routes with the spec's operations).
public enum OpenAPIDocument {
    /// The spec as served.
    public static var response: Response {
        Response(
            status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text))
        )
    }

    /// The spec's text.
    public static var yaml: String { text }
}
