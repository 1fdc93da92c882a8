import API
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Postgres
import Testing
import Yams

/// The spec is the contract: the binary serves exactly the file, and the routes mounted are
/// exactly the operations it documents.
@Suite struct OpenAPIDocumentTests {
    static let specURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/API/openapi.yaml")

    static func spec() throws -> [String: Any] {
        try #require(try Yams.load(yaml: OpenAPIDocument.yaml) as? [String: Any])
    }

    @Test func theServedTextIsTheFile() throws {
        let file = try String(contentsOf: Self.specURL, encoding: .utf8)
        #expect(OpenAPIDocument.yaml == file, "run scripts/embed-openapi.sh after editing openapi.yaml")
    }

    @Test func itIsOpenAPI31() throws {
        #expect(try Self.spec()["openapi"] as? String == "3.1.0")
    }

    @Test func theMountedRoutesAreExactlyTheDocumentedOperations() async throws {
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let client = PostgresClient(configuration: PostgresConfiguration(url: "postgresql://postgres@127.0.0.1:1/none"), logger: quiet)
        // As `serve` mounts it: with the event stream (nothing here runs; no database is reached).
        let events = EventBroadcaster(client: client, listener: PostgresListener(client: client, logger: quiet), logger: quiet)
        let mounted = RESTAPI(client: client, events: events).mount(on: Router(context: APIRequestContext.self))
        await client.shutdown()
        let paths = try #require(try Self.spec()["paths"] as? [String: Any])
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]
        var documented: Set<String> = []
        for (path, item) in paths {
            for method in (item as? [String: Any] ?? [:]).keys where methods.contains(method) {
                documented.insert("\(method.uppercased()) \(path)")
            }
        }
        let routes = Set(mounted.map(\.description))
        #expect(routes.subtracting(documented).isEmpty, "mounted, not documented: \(routes.subtracting(documented).sorted())")
        #expect(documented.subtracting(routes).isEmpty, "documented, not mounted: \(documented.subtracting(routes).sorted())")
        #expect(mounted.count == routes.count, "a route mounted twice")
    }

    @Test func everyV1OperationNeedsAKeyAndTheSpecItselfDoesNot() throws {
        let spec = try Self.spec()
        let global = spec["security"] as? [[String: Any]]
        #expect(global?.first?["bearerAuth"] != nil)
        let paths = try #require(spec["paths"] as? [String: Any])
        for (path, item) in paths {
            for (method, operation) in item as? [String: Any] ?? [:] {
                let security = (operation as? [String: Any])?["security"] as? [Any]
                if path.hasPrefix("/v1/") {
                    #expect(security == nil, "\(method) \(path) overrides the API key requirement")
                } else {
                    #expect(security?.isEmpty == true, "\(method) \(path) is open and must say so")
                }
            }
        }
    }
}
