import Foundation
public import Hummingbird
import NIOCore

/// How a route answers with a document, and reads a JSON body: the same headers and limits
/// everywhere.
public enum APIResponse {
    /// `value` as `application/json` with `status` (and `Location` when given).
    public static func json(_ status: HTTPResponse.Status, _ value: some Encodable, location: String? = nil) throws(APIProblem) -> Response {
        guard let data = try? APIJSON.encoder().encode(value) else { throw .internalError }
        var headers: HTTPFields = [.contentType: "application/json"]
        if let location { headers[.location] = location }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Reading request bodies.
public enum RequestBody {
    /// The body of a request that must be JSON: `415` for another `Content-Type` (parameters such
    /// as `charset` are allowed), `413` beyond `limit` bytes (declared or sent).
    public static func json(_ request: Request, limit: Int) async throws(APIProblem) -> ByteBuffer {
        try await collect(request, limit: limit, mediaTypes: ["application/json"])
    }

    /// The body of a request whose `Content-Type` must be one of `mediaTypes` (lower case; the
    /// header is compared without its parameters, such as `charset`, and in any case): `415`
    /// listing them otherwise, `413` beyond `limit` bytes (declared or sent).
    public static func collect(_ request: Request, limit: Int, mediaTypes: [String]) async throws(APIProblem) -> ByteBuffer {
        let mediaType = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard let mediaType, mediaTypes.contains(mediaType) else { throw .unsupportedMediaType(expected: mediaTypes.joined(separator: ", ")) }
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit {
            throw .tooLarge(limit: limit)
        }
        do {
            return try await request.body.collect(upTo: limit)
        } catch {
            throw .tooLarge(limit: limit)
        }
    }
}
