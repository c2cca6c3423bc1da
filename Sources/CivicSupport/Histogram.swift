/// A Prometheus-style histogram: fixed upper bounds, a count per bucket (not cumulative here; the exposition
/// sums them), the total count and the sum. A value type: its owner decides the thread (the loop, or under a lock).
public struct Histogram: Sendable, Hashable {
    public let bounds: [Double]
    public private(set) var counts: [Int]
    public private(set) var count = 0
    public private(set) var sum = 0.0

    public init(bounds: [Double]) {
        self.bounds = bounds
        counts = [Int](repeating: 0, count: bounds.count)
    }

    public mutating func observe(_ value: Double) {
        count += 1
        sum += value
        // Buckets are few (≤ 16): a linear pass is cheaper than a search.
        for i in bounds.indices where value <= bounds[i] {
            counts[i] += 1
            return
        }
    }

    /// Count of observations ≤ each bound, as the exposition format wants them.
    public var cumulative: [Int] {
        var running = 0
        return counts.map { running += $0; return running }
    }

    /// Seconds: 100 µs to 10 s.
    public static let latencySeconds = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    /// Operations per batch.
    public static let batchSizes: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
}
