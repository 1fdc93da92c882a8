#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's open-descriptor limit (`RLIMIT_NOFILE`): every HTTP connection, database
/// connection, MPS call and file takes one, and running out must not stop the service.
public struct DescriptorLimit: Sendable, Equatable, CustomStringConvertible {
    public var soft: Int
    public var hard: Int

    public var description: String { "soft \(soft), hard \(hard)" }

    /// The current limits, or nil when they cannot be read.
    public static func current() -> DescriptorLimit? {
        var limit = rlimit()
        guard getrlimit(resourceNumber, &limit) == 0 else { return nil }
        return DescriptorLimit(soft: clamp(limit.rlim_cur), hard: clamp(limit.rlim_max))
    }

    /// Raises the soft limit to the hard one (the default soft limit, often 1024, is far below
    /// what a server holding connections needs); returns the limits before and after. When the
    /// hard limit is unlimited, 1,048,576 (Linux's default `nr_open`) is asked for.
    public static func raiseSoftToHard() -> (before: DescriptorLimit, after: DescriptorLimit)? {
        var limit = rlimit()
        guard getrlimit(resourceNumber, &limit) == 0 else { return nil }
        let before = DescriptorLimit(soft: clamp(limit.rlim_cur), hard: clamp(limit.rlim_max))
        if limit.rlim_cur != limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max == rlim_t.max ? min(limit.rlim_max, 1 << 20) : limit.rlim_max
            _ = setrlimit(resourceNumber, &raised)
        }
        return (before, current() ?? before)
    }

    #if canImport(Glibc)
    private static let resourceNumber = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resourceNumber = RLIMIT_NOFILE
    #endif

    private static func clamp(_ value: rlim_t) -> Int {
        value >= rlim_t(Int.max) ? Int.max : Int(value)
    }
}

extension ConnectionLimits {
    /// Descriptors kept for everything but HTTP connections beyond the database pool and MPS
    /// calls: standard streams, the event loops' epoll and eventfds, libdispatch's timers,
    /// migration files, DNS, and the few connections NIO accepts before it asks the gate.
    static let fixedReserve = 64
    /// The automatic limit's ceiling: beyond it a connection flood costs memory, not service.
    static let automaticCeiling = 16_384

    /// The connection limit for `descriptorLimit` with `reserve` descriptors kept for the rest
    /// of the process; at least a quarter of the descriptors (a tiny limit still serves).
    static func automaticMaximum(descriptorLimit: Int, reserve: Int) -> Int {
        min(automaticCeiling, max(descriptorLimit - reserve, descriptorLimit / 4, 2))
    }
}
