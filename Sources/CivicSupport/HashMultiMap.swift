/// A multimap from well-mixed 64-bit hashes to `Int` values, by open addressing with linear probing.
///
/// Made for keys that are already hashes (LSH band keys): the key's low bits pick the home bucket, so there
/// is no SipHash per operation as in `Dictionary`, and a key with one value (almost every band key) costs
/// one 16-byte cell, with no enum or array per key. A key may hold several values; they sit in the same
/// probe run. Removal shifts the run back (no tombstones), so lookups never slow down with churn.
/// Not thread-safe: one owner.
public struct HashMultiMap {
    /// A key and its value plus one (0 marks an empty cell) side by side: a probe of a table far larger than the
    /// cache misses once, not once for the key and again for the value.
    private struct Cell { var key: UInt64; var value: Int }
    private var cells: [Cell]
    private var mask: Int
    public private(set) var count = 0

    public init(capacity: Int = 16) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        cells = [Cell](repeating: Cell(key: 0, value: 0), count: size)
        mask = size - 1
    }

    /// Adds the pair (a pair already present is added again: callers add each value once per key).
    public mutating func insert(_ key: UInt64, _ value: Int) {
        precondition(value >= 0 && value < Int.max, "HashMultiMap values are non-negative")
        if (count + 1) * 2 > cells.count { grow() }
        var i = Int(truncatingIfNeeded: key) & mask
        while cells[i].value != 0 { i = (i + 1) & mask }
        cells[i] = Cell(key: key, value: value + 1)
        count += 1
    }

    /// Calls `body` with every value held under `key`.
    public func forEach(_ key: UInt64, _ body: (Int) -> Void) {
        cells.withUnsafeBufferPointer { cells in
            var i = Int(truncatingIfNeeded: key) & mask
            while cells[i].value != 0 {
                if cells[i].key == key { body(cells[i].value - 1) }
                i = (i + 1) & mask
            }
        }
    }

    /// Removes one pair (key, value); false when it was not there.
    @discardableResult
    public mutating func remove(_ key: UInt64, _ value: Int) -> Bool {
        var i = Int(truncatingIfNeeded: key) & mask
        while cells[i].value != 0 {
            if cells[i].key == key && cells[i].value == value + 1 {
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
        while cells[j].value != 0 {
            let home = Int(truncatingIfNeeded: cells[j].key) & mask
            // Is `home` cyclically outside (hole, j]? Then the cell may move back into the hole.
            let distanceToJ = (j &- home) & mask, distanceToHole = (j &- hole) & mask
            if distanceToJ >= distanceToHole {
                cells[hole] = cells[j]
                hole = j
            }
            j = (j + 1) & mask
        }
        cells[hole] = Cell(key: 0, value: 0)
    }

    private mutating func grow() {
        let old = cells
        cells = [Cell](repeating: Cell(key: 0, value: 0), count: old.count * 2)
        mask = cells.count - 1
        for cell in old where cell.value != 0 {
            var j = Int(truncatingIfNeeded: cell.key) & mask
            while cells[j].value != 0 { j = (j + 1) & mask }
            cells[j] = cell
        }
    }
}
