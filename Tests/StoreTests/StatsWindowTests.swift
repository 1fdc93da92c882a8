import Foundation
import Store
import Testing

@Suite struct StatsWindowTests {
    static func date(_ text: String) throws -> Date {
        try #require(ISO8601DateFormatter().date(from: text))
    }

    @Test func aWindowIsWidenedToTheWholeBucketsItTouches() throws {
        let hour = StatsWindow.covering(seconds: 3600, until: try Self.date("2026-03-01T10:30:20Z"), bucket: .minute)
        #expect(hour.since == (try Self.date("2026-03-01T09:30:00Z")))
        #expect(hour.until == (try Self.date("2026-03-01T10:31:00Z")))
        #expect(hour.bucketStarts.count == 61)
        // On a boundary, nothing moves.
        let aligned = StatsWindow.covering(seconds: 3 * 3600, until: try Self.date("2026-03-01T12:00:00Z"), bucket: .hour)
        #expect(aligned.since == (try Self.date("2026-03-01T09:00:00Z")))
        #expect(aligned.until == (try Self.date("2026-03-01T12:00:00Z")))
        let days = StatsWindow.covering(seconds: 86_400, until: try Self.date("2026-03-01T00:00:01Z"), bucket: .day)
        #expect(days.since == (try Self.date("2026-02-28T00:00:00Z")))
        #expect(days.until == (try Self.date("2026-03-02T00:00:00Z")))
    }

    /// The runs a window total reads: every minute of the window exactly once, each run on
    /// boundaries of its width, and the fewest: days in the middle, then hours, then minutes.
    @Test func runsCoverEveryMinuteOnceWithTheWidestAlignedBlocks() throws {
        var generator = SystemRandomNumberGenerator()
        let origin = try Self.date("2026-01-01T00:00:00Z").timeIntervalSince1970
        for _ in 0..<300 {
            let since = origin + Double(Int.random(in: 0..<(40 * 1440), using: &generator) * 60)
            let until = since + Double(Int.random(in: 1...(33 * 1440), using: &generator) * 60)
            let window = StatsWindow(since: Date(timeIntervalSince1970: since), until: Date(timeIntervalSince1970: until), bucket: .minute)
            let runs = window.runs
            var cursor = since
            for run in runs {
                #expect(run.from.timeIntervalSince1970 == cursor)
                #expect(run.from < run.to)
                let width = Double(run.width.seconds)
                #expect(run.from.timeIntervalSince1970.truncatingRemainder(dividingBy: width) == 0)
                #expect(run.to.timeIntervalSince1970.truncatingRemainder(dividingBy: width) == 0)
                cursor = run.to.timeIntervalSince1970
            }
            #expect(cursor == until)
            #expect(runs.filter { $0.width == .day }.count <= 1)
            #expect(runs.filter { $0.width == .hour }.count <= 2)
            #expect(runs.filter { $0.width == .minute }.count <= 4)
            // A minute run never holds a whole aligned hour, an hour run never a whole aligned day.
            for run in runs where run.width != .day {
                let coarser = Double(run.width == .minute ? 3600 : 86_400)
                let inside = (run.from.timeIntervalSince1970 / coarser).rounded(.up) * coarser
                #expect(inside + coarser > run.to.timeIntervalSince1970)
            }
        }
        #expect(StatsWindow(since: Date(timeIntervalSince1970: origin), until: Date(timeIntervalSince1970: origin), bucket: .hour).runs.isEmpty)
    }
}

@Suite struct LatencyHistogramTests {
    /// percentile_cont: linear between the order statistics around rank p·(n−1).
    static func exact(_ sorted: [Double], _ p: Double) -> Double {
        let rank = p * Double(sorted.count - 1)
        let low = Int(rank.rounded(.down)), high = Int(rank.rounded(.up))
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - Double(low))
    }

    static func bin(_ seconds: Double) -> Int {
        LatencyHistogram.bin(seconds: seconds)
    }

    @Test func percentilesAreWithinABinOfTheExactOnesOnVariedDistributions() {
        var generator = SystemRandomNumberGenerator()
        let shapes: [(String, () -> Double)] = [
            ("uniform 1–100 s", { Double.random(in: 1...100, using: &generator) }),
            ("log-uniform 50 ms – 2 h", { pow(2, Double.random(in: log2(0.05)...log2(7200), using: &generator)) }),
            ("minutes, a long tail", { 60 + 600 * pow(Double.random(in: 0..<1, using: &generator), 6) }),
        ]
        for (name, draw) in shapes {
            for count in [50, 1000, 20_000] {
                let values = (0..<count).map { _ in draw() }.sorted()
                var histogram = LatencyHistogram()
                for value in values { histogram.add(bin: Self.bin(value), count: 1) }
                #expect(histogram.total == count)
                for p in [0.5, 0.95, 0.99] {
                    let estimate = histogram.percentile(p) ?? 0, exact = Self.exact(values, p)
                    // Within the width of the bins the neighbouring steps are in (the one bin when they share it).
                    let below = Self.bin(values[Int((p * Double(count - 1)).rounded(.down))])
                    let above = Self.bin(values[Int((p * Double(count - 1)).rounded(.up))])
                    let low = LatencyHistogram.bounds(of: below).lower, high = LatencyHistogram.bounds(of: above).upper
                    #expect(estimate >= low && estimate <= high, "\(name), n=\(count), p\(p): \(estimate) vs \(exact)")
                    if below == above {
                        #expect(abs(log2(estimate / exact)) < 1.0 / 8, "\(name), n=\(count), p\(p): \(estimate) vs \(exact)")
                    }
                }
            }
        }
    }

    @Test func anEmptyHistogramHasNoPercentileAndOneValueIsItsBin() {
        #expect(LatencyHistogram().percentile(0.5) == nil)
        var one = LatencyHistogram()
        one.add(bin: Self.bin(30), count: 1)
        let (lower, upper) = LatencyHistogram.bounds(of: Self.bin(30))
        #expect(lower <= 30 && 30 < upper)
        for p in [0.0, 0.5, 1.0] {
            let value = one.percentile(p) ?? 0
            #expect(value >= lower && value < upper)
        }
    }

    @Test func binsOutsideTheRangeAreClampedAndTheLowestStartsAtZero() {
        var histogram = LatencyHistogram()
        histogram.add(bin: -500, count: 2)
        histogram.add(bin: 9999, count: 1)
        #expect(histogram.counts == [LatencyHistogram.lowestBin: 2, LatencyHistogram.highestBin: 1])
        #expect(LatencyHistogram.bounds(of: LatencyHistogram.lowestBin).lower == 0)
        #expect(LatencyHistogram.bounds(of: 8) == (lower: 2, upper: pow(2, 9.0 / 8)))
        let median = histogram.percentile(0.5) ?? -1
        #expect(median >= 0 && median < LatencyHistogram.bounds(of: LatencyHistogram.lowestBin).upper)
    }
}
