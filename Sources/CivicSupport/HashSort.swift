/// Sorting for arrays of well-mixed 64-bit hashes (n-gram keys, shingle hashes), faster than the standard sort.
public enum HashSort {
    /// Ascending order: the keys are uniform 64-bit hashes, a thousand or more per message, so two passes of an
    /// 8-bit LSD radix sort on the top sixteen bits leave them sorted but for rare runs sharing those bits, which
    /// an insertion pass finishes in about one comparison a key. Equal keys (a repeated n-gram) cost nothing
    /// there; should a text bring many distinct keys with the same top bits, the pass gives up after 8 moves a
    /// key and the standard sort finishes. (The standard library's merge sort alone took a tenth of an intake;
    /// eight radix passes took a third of triage.) Used for the topic model's n-gram keys and the duplicate index's
    /// shingle hashes.
    public static func sort(_ keys: inout [UInt64]) {
        guard keys.count >= 64 else { keys.sort(); return }
        var spare = [UInt64](repeating: 0, count: keys.count)
        keys.withUnsafeMutableBufferPointer { a in
            spare.withUnsafeMutableBufferPointer { b in
                withUnsafeTemporaryAllocation(of: Int.self, capacity: 256) { counts in
                    var source = a, target = b
                    for shift in [UInt64(48), 56] {
                        counts.initialize(repeating: 0)
                        for key in source { counts[Int((key >> shift) & 0xFF)] += 1 }
                        var total = 0
                        for digit in 0..<256 { let c = counts[digit]; counts[digit] = total; total += c }
                        for key in source {
                            let digit = Int((key >> shift) & 0xFF)
                            target[counts[digit]] = key
                            counts[digit] += 1
                        }
                        swap(&source, &target)
                    }
                    // Two passes: the keys are back in `keys`, ordered by their top sixteen bits.
                }
            }
        }
        var moves = 0
        let budget = 8 * keys.count
        let sorted: Bool = keys.withUnsafeMutableBufferPointer { k in
            for i in 1..<k.count {
                let key = k[i]
                var j = i
                while j > 0 && k[j - 1] > key {
                    k[j] = k[j - 1]
                    j -= 1
                    moves += 1
                }
                k[j] = key
                if moves > budget { return false }
            }
            return true
        }
        if !sorted { keys.sort() }
    }
}
