import Foundation
public import Hummingbird
import NIOCore

/// `GET /healthz` (the process is alive) and `GET /readyz` (database reachable, migrations current).
public struct HealthController<Context: RequestContext>: Sendable {
    let readiness: DatabaseReadiness

    public init(readiness: DatabaseReadiness) {
        self.readiness = readiness
    }

    public var endpoints: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.get("healthz") { _, _ in
            Self.json(.ok, ["status": "ok"])
        }
        routes.get("readyz") { _, _ in
            switch readiness.state {
            case .ready:
                Self.json(.ok, ["status": "ready"])
            case .notReady(let reason):
                Self.json(.serviceUnavailable, ["status": "unavailable", "reason": reason])
            }
        }
        return routes
    }

    static func json(_ status: HTTPResponse.Status, _ body: [String: String]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(body)) ?? Data("{}".utf8)
        return Response(
            status: status,
            headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}
