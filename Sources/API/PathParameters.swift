import Foundation
import Hummingbird

/// The ids a route's path names, read one way everywhere. A path parameter that could not be
/// such an id names nothing: it is the route's `404`, never a `400` (the path is the resource).
extension APIRequestContext {
    /// The UUID path parameter `name` (any case); `notFound` when it is absent or not a UUID.
    func uuid(_ name: String = "id", notFound: APIProblem) throws(APIProblem) -> UUID {
        guard let text = parameters.get(name), text.utf8.count == 36, let id = UUID(uuidString: text) else { throw notFound }
        return id
    }

    /// The notification id the path names: a stored notification's id is a positive bigint
    /// (a bigserial), written in ASCII digits only (no sign, at most 19); anything else is a 404.
    func notificationId(_ name: String = "id") throws(APIProblem) -> Int64 {
        guard let text = parameters.get(name), (1...19).contains(text.utf8.count), text.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            let id = Int64(text), id > 0
        else { throw APIProblem.notificationNotFound }
        return id
    }
}
