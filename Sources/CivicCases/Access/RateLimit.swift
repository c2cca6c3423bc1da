/// A token bucket: `rate` requests a second on average, bursts up to `burst`. Pure: the caller passes the time.
public struct TokenBucket: Sendable {
    public let rate: Double
    public let burst: Double
    private var tokens: Double
    private var last: Double

    public init(rate: Double, burst: Double, now: Double) {
        self.rate = rate; self.burst = burst; tokens = burst; last = now
    }

    /// Takes one request: nil when it may go ahead, else the seconds until one would be allowed.
    public mutating func take(now: Double) -> Double? {
        tokens = min(burst, tokens + max(0, now - last) * rate)
        last = now
        if tokens >= 1 { tokens -= 1; return nil }
        return (1 - tokens) / rate
    }

    /// The seconds until one request would be allowed, nil when one would be now; takes nothing.
    public func wait(now: Double) -> Double? {
        let t = min(burst, tokens + max(0, now - last) * rate)
        return t >= 1 ? nil : (1 - t) / rate
    }

    /// Whether the bucket has refilled completely (it can be forgotten).
    public func isFull(now: Double) -> Bool { tokens + max(0, now - last) * rate >= burst }
}

/// One bucket per key (a token name, a source address), bounded: when more than `capacity` keys are
/// tracked, the full buckets are forgotten (they carry no state a new bucket would not have).
public struct RateLimiter<Key: Hashable & Sendable>: Sendable {
    public let rate: Double
    public let burst: Double
    let capacity: Int
    private var buckets: [Key: TokenBucket] = [:]

    public init(rate: Double, burst: Double, capacity: Int = 10_000) { self.rate = rate; self.burst = burst; self.capacity = capacity }

    /// What `take` would answer, without taking (a key never seen may go ahead).
    public func wait(_ key: Key, now: Double) -> Double? { buckets[key]?.wait(now: now) }

    public mutating func take(_ key: Key, now: Double) -> Double? {
        if buckets.count >= capacity, buckets[key] == nil { buckets = buckets.filter { !$0.value.isFull(now: now) } }
        var bucket = buckets[key] ?? TokenBucket(rate: rate, burst: burst, now: now)
        let wait = bucket.take(now: now)
        buckets[key] = bucket
        return wait
    }
}
