public import Curl
public import Workflows

/// Where one attempt may go: the URL and the addresses the connection is pinned to.
public struct DeliveryTarget: Sendable, Equatable {
    public var url: CallbackURL
    /// The checked addresses of the URL's host (empty for a literal address: nothing to resolve).
    public var pinned: [PinnedAddress]
}

/// Why an attempt does not go out.
public enum DeliveryRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// The URL is not acceptable, or leads to an address that is not allowed: no retry helps
    /// until the configuration changes (then a person redelivers).
    case refused(String)
    /// The host did not resolve now; a later attempt may succeed.
    case unresolved(String)

    public var description: String {
        switch self {
        case .refused(let why): why
        case .unresolved(let why): why
        }
    }
}

/// The SSRF guard: before each attempt, the callback URL's host is resolved and every address
/// it has must be public (``IPAddress/Scope/global``) or allowed by the allow list; the attempt
/// then connects only to those addresses (``CurlConfiguration/pinnedAddresses``), so a DNS answer
/// that changes between the check and the connection (rebinding) cannot redirect it.
public struct AddressGuard: Sendable {
    /// Resolves a host name to 4- or 16-byte addresses.
    public typealias Resolver = @Sendable (String) async throws -> [[UInt8]]

    let allowList: NetworkAllowList
    let resolve: Resolver

    public init(allowList: NetworkAllowList, resolve: @escaping Resolver) {
        self.allowList = allowList
        self.resolve = resolve
    }

    /// The target for `text`, or why no attempt may go there.
    public func check(_ text: String) async -> Result<DeliveryTarget, DeliveryRefusal> {
        let url: CallbackURL
        switch CallbackURL.parse(text) {
        case .success(let parsed): url = parsed
        case .failure(let problem): return .failure(.refused("the callback URL \(problem)"))
        }
        if url.address != nil {
            if let refusal = url.literalRefusal(allowList: allowList) { return .failure(.refused("the callback URL \(refusal)")) }
            return .success(DeliveryTarget(url: url, pinned: []))
        }
        let resolved: [[UInt8]]
        do {
            resolved = try await resolve(url.host)
        } catch {
            let reason = (error as? CurlError)?.message ?? "\(error)"
            return .failure(.unresolved("\(url.host) did not resolve: \(reason)"))
        }
        let addresses = resolved.compactMap(IPAddress.init(bytes:))
        guard !addresses.isEmpty else { return .failure(.unresolved("\(url.host) has no address")) }
        // Every address, not just one: libcurl may try any of them, and a name that mixes public
        // and internal addresses is one to refuse.
        for address in addresses where address.scope != .global && !allowList.allows(host: url.host, address: address) {
            return .failure(.refused(
                "\(url.host) resolves to a \(address.scope.words) address (\(address)); callbacks go to public addresses only unless MPSHOOK_WEBHOOK_ALLOW allows it"
            ))
        }
        return .success(DeliveryTarget(
            url: url, pinned: addresses.map { PinnedAddress(host: url.host, port: url.port, address: $0.description) }
        ))
    }
}
