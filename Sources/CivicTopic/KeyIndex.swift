/// Feature key → feature index, for keys that are already well-mixed 64-bit hashes (the n-gram keys are
/// SplitMix-finalised): open addressing with linear probing on the key's own low bits, so a lookup is a
/// mask and a compare or two instead of `Dictionary`'s SipHash. Immutable once built.
struct KeyIndex: Sendable {
    private let keys: [UInt64]
    private let values: [Int32]
    private let mask: Int
    /// Key 0 marks an empty slot; a real key 0 (one in 2^64) is kept aside.
    private let zeroValue: Int32?
    /// One bit per key (by its high bits, while the slot comes from its low ones), 16 bits a key: a key whose bit
    /// is clear is not held, known without touching the table. Most n-grams of a message are not features, and the
    /// table (megabytes) misses the cache where the filter (a sixth of its size) mostly does not.
    private let filter: [UInt64]
    private let filterShift: UInt64

    init(_ keys: [UInt64]) {
        var capacity = 16
        while capacity < keys.count * 2 { capacity <<= 1 }
        var table = [UInt64](repeating: 0, count: capacity)
        var values = [Int32](repeating: -1, count: capacity)
        var zero: Int32?
        let mask = capacity - 1
        for (position, key) in keys.enumerated() {
            if key == 0 { zero = Int32(position); continue }
            var slot = Int(truncatingIfNeeded: key) & mask
            while table[slot] != 0 && table[slot] != key { slot = (slot + 1) & mask }
            table[slot] = key
            values[slot] = Int32(position)  // a repeated key keeps its last position, as a dictionary filled in order would
        }
        self.keys = table
        self.values = values
        self.mask = mask
        zeroValue = zero
        var bits = 64
        while bits < keys.count * 16 { bits <<= 1 }
        var filter = [UInt64](repeating: 0, count: bits / 64)
        let shift = UInt64(64 - bits.trailingZeroBitCount)
        for key in keys { let bit = Int(key >> shift); filter[bit >> 6] |= 1 << UInt64(bit & 63) }
        self.filter = filter
        filterShift = shift
    }

    subscript(_ key: UInt64) -> Int32? {
        if key == 0 { return zeroValue }
        let bit = Int(key >> filterShift)
        guard filter.withUnsafeBufferPointer({ $0[bit >> 6] }) & (1 << UInt64(bit & 63)) != 0 else { return nil }
        var slot = Int(truncatingIfNeeded: key) & mask
        return keys.withUnsafeBufferPointer { table in
            while true {
                let k = table[slot]
                if k == key { return values[slot] }
                if k == 0 { return nil }
                slot = (slot + 1) & mask
            }
        }
    }
}
