#if canImport(Glibc)
import Glibc
#endif

/// A loopback port that is bound but never listened on, so connecting to it is refused; it
/// stays reserved (no other test's server can take it) until this value is released.
public final class ReservedPort: Sendable {
    public let port: Int
    private let descriptor: Int32

    public init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw ReservedPortError() }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(descriptor, raw, length) == 0 && getsockname(descriptor, raw, &length) == 0
            }
        }
        guard bound else {
            close(descriptor)
            throw ReservedPortError()
        }
        self.descriptor = descriptor
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit {
        close(descriptor)
    }
}

/// The socket calls behind ``ReservedPort`` failed.
public struct ReservedPortError: Error {}

/// A loopback TCP port that was free a moment ago (reserved, then released), for a server whose
/// own address must be known before it starts (e.g. its public callback URL).
public func freeLoopbackPort() -> Int? {
    (try? ReservedPort())?.port
}
