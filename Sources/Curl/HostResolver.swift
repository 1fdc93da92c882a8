import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A host name resolved to addresses with the system resolver (`getaddrinfo`), so a caller can
/// check where a URL leads before connecting, then pin the connection to what it checked
/// (``CurlConfiguration/pinnedAddresses``). The blocking call runs on the client's thread pool.
enum HostResolver {
    /// Every IPv4 (4 bytes) and IPv6 (16 bytes) address of `host` for TCP, in the resolver's
    /// order, without duplicates. A literal address comes back as itself without DNS.
    static func resolve(_ host: String) -> Result<[[UInt8]], CurlError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Darwin)
        hints.ai_socktype = SOCK_STREAM
        #else
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        defer { if let list { freeaddrinfo(list) } }
        guard status == 0 else {
            let reason = String(cString: gai_strerror(status))
            return .failure(CurlError(
                code: .couldNotResolveHost, delivery: .notSent, message: "could not resolve \(host): \(reason)", url: host
            ))
        }
        var addresses: [[UInt8]] = []
        var entry = list
        while let current = entry {
            defer { entry = current.pointee.ai_next }
            guard let socketAddress = current.pointee.ai_addr else { continue }
            var bytes: [UInt8]?
            switch Int32(current.pointee.ai_family) {
            case AF_INET:
                bytes = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                    withUnsafeBytes(of: pointer.pointee.sin_addr) { Array($0) }
                }
            case AF_INET6:
                bytes = socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                    withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }
                }
            default:
                break
            }
            if let bytes, !addresses.contains(bytes) { addresses.append(bytes) }
        }
        guard !addresses.isEmpty else {
            return .failure(CurlError(code: .couldNotResolveHost, delivery: .notSent, message: "\(host) has no address", url: host))
        }
        return .success(addresses)
    }
}

extension CurlClient {
    /// The addresses `host` resolves to (4 bytes for IPv4, 16 for IPv6), resolved on this
    /// client's thread pool. Throws `.couldNotResolveHost` when it has none.
    public func resolve(host: String) async throws(CurlError) -> [[UInt8]] {
        let outcome: Result<[[UInt8]], CurlError>
        do {
            outcome = try await threadPool.runIfActive { HostResolver.resolve(host) }
        } catch {
            throw CurlError(code: .other, delivery: .notSent, message: "the thread pool is not running", url: host)
        }
        return try outcome.get()
    }
}
