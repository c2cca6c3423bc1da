/// A multimap from well-mixed 64-bit hashes to `Int` values, by open addressing with linear probing.
///
/// Made for keys that are already hashes (LSH band keys): the key's low bits pick the home bucket, so there
/// is no SipHash per operation as in `Dictionary`, and a key with one value (almost every band key) costs
/// one 16-byte cell, with no enum or array per key. A key may hold several values; they sit in the same
/// probe run. Removal shifts the run back (no tombstones), so lookups never slow down with churn.
/// Not thread-safe: one owner.
public struct HashMultiMap {
    private var keys: [UInt64]
    /// The value plus one; 0 marks an empty cell.
    private var values: [Int]
    private var mask: Int
    public private(set) var count = 0

    public init(capacity: Int = 16) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = [UInt64](repeating: 0, count: size)
        values = [Int](repeating: 0, count: size)
        mask = size - 1
    }

    /// Adds the pair (a pair already present is added again: callers add each value once per key).
    public mutating func insert(_ key: UInt64, _ value: Int) {
        precondition(value >= 0 && value < Int.max, "HashMultiMap values are non-negative")
        if (count + 1) * 2 > keys.count { grow() }
        var i = Int(truncatingIfNeeded: key) & mask
        while values[i] != 0 { i = (i + 1) & mask }
        keys[i] = key
        values[i] = value + 1
        count += 1
    }

    /// Calls `body` with every value held under `key`.
    public func forEach(_ key: UInt64, _ body: (Int) -> Void) {
        var i = Int(truncatingIfNeeded: key) & mask
        while values[i] != 0 {
            if keys[i] == key { body(values[i] - 1) }
            i = (i + 1) & mask
        }
    }

    /// Removes one pair (key, value); false when it was not there.
    @discardableResult
    public mutating func remove(_ key: UInt64, _ value: Int) -> Bool {
        var i = Int(truncatingIfNeeded: key) & mask
        while values[i] != 0 {
            if keys[i] == key && values[i] == value + 1 {
                deleteCell(i)
                count -= 1
                return true
            }
            i = (i + 1) & mask
        }
        return false
    }

    /// Backward-shift deletion: every later cell of the run whose home lies at or before the hole moves
    /// into it, so the run stays unbroken for the keys after it.
    private mutating func deleteCell(_ start: Int) {
        var hole = start
        var j = (start + 1) & mask
        while values[j] != 0 {
            let home = Int(truncatingIfNeeded: keys[j]) & mask
            // Is `home` cyclically outside (hole, j]? Then the cell may move back into the hole.
            let distanceToJ = (j &- home) & mask, distanceToHole = (j &- hole) & mask
            if distanceToJ >= distanceToHole {
                keys[hole] = keys[j]
                values[hole] = values[j]
                hole = j
            }
            j = (j + 1) & mask
        }
        values[hole] = 0
        keys[hole] = 0
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        let size = keys.count * 2
        keys = [UInt64](repeating: 0, count: size)
        values = [Int](repeating: 0, count: size)
        mask = size - 1
        for i in 0..<oldKeys.count where oldValues[i] != 0 {
            var j = Int(truncatingIfNeeded: oldKeys[i]) & mask
            while values[j] != 0 { j = (j + 1) & mask }
            keys[j] = oldKeys[i]
            values[j] = oldValues[i]
        }
    }
}
