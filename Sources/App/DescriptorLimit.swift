#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Postgres
import StepDispatch
import Webhooks

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

    /// How many descriptors the process holds now, or nil when that cannot be read (only Linux's
    /// `/proc/self/fd` is read). Counts what was inherited from whoever started the process too:
    /// none of those is free for the process's own use.
    public static func openCount() -> Int? {
        #if os(Linux)
        guard let folder = opendir("/proc/self/fd") else { return nil }
        defer { closedir(folder) }
        var count = 0
        while let entry = readdir(folder) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != ".", name != ".." { count += 1 }
        }
        return max(0, count - 1)  // less the one this listing holds
        #else
        return nil
        #endif
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
    /// Descriptors kept for everything but HTTP connections beyond those held at start, the
    /// database connections and outgoing calls (``reserve(for:)``): migration files, DNS, the few
    /// connections NIO accepts before it asks the gate, a cancel request, and headroom. The
    /// process must never run out: on Linux, libdispatch (under Swift's executor) opens
    /// `/proc/<tid>/stat` every second while work is queued and traps when that open fails.
    static let fixedReserve = 64
    /// The automatic limit's ceiling: beyond it a connection flood costs memory, not service.
    static let automaticCeiling = 16_384

    /// Descriptors the rest of the process may open beyond those it held at start, at the sizes
    /// `configuration` allows whether or not each part runs (a few dozen at most): the database
    /// pool; the process's one LISTEN session (``PostgresListener``, shared by the applier's
    /// workers, the dispatcher, the webhook deliverer and the event stream) and the reconciler's
    /// leader-lock session, neither of them pooled; two per outgoing call in
    /// flight (its connection and a DNS lookup) for MPS calls, reconciler polls and webhooks;
    /// and ``fixedReserve``.
    static func reserve(for configuration: AppConfiguration) -> Int {
        let sessions = configuration.database.maximumConnections + 1 + 1
        let calls = configuration.tuning.dispatchConcurrency + configuration.reconciler.concurrency + configuration.webhooks.concurrency
        return fixedReserve + sessions + 2 * calls
    }

    /// The connection limit for `descriptorLimit` when the process already holds `held`
    /// descriptors, with `reserve` more kept for the rest of the process; at least a quarter of
    /// the free descriptors (a tiny limit still serves).
    static func automaticMaximum(descriptorLimit: Int, held: Int = 0, reserve: Int) -> Int {
        let free = descriptorLimit - max(0, held)
        return min(automaticCeiling, max(free - reserve, free / 4, 2))
    }
}
