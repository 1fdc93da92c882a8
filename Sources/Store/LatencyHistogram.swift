import Foundation

/// Callback latencies as migration 0012 counts them: per bin `b` (from ``lowestBin`` to
/// ``highestBin``), how many steps took from `2^(b/8)` up to `2^((b+1)/8)` seconds; the lowest
/// bin also holds everything shorter (and clock skew's zero or negative ones), the highest
/// everything longer. Eight bins per doubling: a percentile read back is within one bin, a factor
/// of `2^(1/8)` ≈ 1.09, of the exact one (when the steps around it fall in one bin).
public struct LatencyHistogram: Sendable, Hashable {
    public static let binsPerDoubling = 8
    /// 2^-10 s, about a millisecond.
    public static let lowestBin = -80
    /// 2^25 s, about 388 days.
    public static let highestBin = 200

    /// Steps per bin; bins outside the range are clamped into it.
    public private(set) var counts: [Int: Int] = [:]

    public init() {}

    /// Adds `count` steps to bin `bin`.
    public mutating func add(bin: Int, count: Int) {
        counts[min(Self.highestBin, max(Self.lowestBin, bin)), default: 0] += count
    }

    /// How many steps it holds.
    public var total: Int {
        counts.values.reduce(0, +)
    }

    /// The bin a latency of `seconds` is filed in: what migration 0012's `stats_latency_bin`
    /// computes (an integration test holds the two equal).
    public static func bin(seconds: Double) -> Int {
        guard seconds > 0, seconds.isFinite else { return seconds.isFinite ? lowestBin : highestBin }
        return max(lowestBin, min(highestBin, Int((log(seconds) / log(2) * Double(binsPerDoubling)).rounded(.down))))
    }

    /// Where bin `bin` starts and ends, in seconds (the lowest starts at 0).
    public static func bounds(of bin: Int) -> (lower: Double, upper: Double) {
        let lower = bin <= lowestBin ? 0 : pow(2, Double(bin) / Double(binsPerDoubling))
        return (lower, pow(2, Double(bin + 1) / Double(binsPerDoubling)))
    }

    /// The continuous percentile `p` (0…1) as `percentile_cont` defines it (the value at rank
    /// `p·(n−1)` among the n latencies, counted from 0), estimated: the steps of a bin are taken
    /// as spread evenly over it on a log scale. nil when empty.
    public func percentile(_ p: Double) -> Double? {
        let total = total
        guard total > 0 else { return nil }
        let rank = min(max(p, 0), 1) * Double(total - 1)
        var below = 0
        for bin in counts.keys.sorted() {
            let count = counts[bin] ?? 0
            guard count > 0 else { continue }
            if rank < Double(below + count) {
                // The rank's place inside the bin, each step at the middle of its share.
                let fraction = (rank - Double(below) + 0.5) / Double(count)
                let (lower, upper) = Self.bounds(of: bin)
                if lower == 0 { return upper * fraction }
                return lower * pow(upper / lower, fraction)
            }
            below += count
        }
        return Self.bounds(of: counts.keys.max() ?? Self.highestBin).upper
    }
}
