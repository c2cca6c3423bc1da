import CivicSupport

/// Character 2-gram shingles of Chinese text and their MinHash signature.
///
/// Digits, punctuation, symbols and whitespace are dropped first: callers retell the same problem
/// with different house numbers, dates and punctuation, and those should not lower the similarity.
struct TextShingles: Sendable {
    /// Sorted, unique 64-bit hashes of the 2-grams.
    let hashes: [UInt64]

    init(_ text: String) {
        var out: [UInt64] = []
        out.reserveCapacity(text.utf8.count / 3 + 1)  // a Han character is three bytes, and nearly all are Han
        var previous: UInt32?
        var text = text
        text.withUTF8 { bytes in
            // Scalars decoded from the bytes where they lie: iterating `unicodeScalars` and a range switch per
            // scalar cost more than the hashing (a String's bytes are valid UTF-8, so no check is needed here).
            var i = 0
            let n = bytes.count
            while i < n {
                let lead = UInt32(bytes[i])
                let scalar: UInt32
                if lead < 0x80 {
                    scalar = lead; i += 1
                } else if lead < 0xE0 {
                    scalar = (lead & 0x1F) << 6 | UInt32(bytes[i + 1] & 0x3F); i += 2
                } else if lead < 0xF0 {
                    scalar = (lead & 0x0F) << 12 | UInt32(bytes[i + 1] & 0x3F) << 6 | UInt32(bytes[i + 2] & 0x3F); i += 3
                } else {
                    scalar = (lead & 0x07) << 18 | UInt32(bytes[i + 1] & 0x3F) << 12 | UInt32(bytes[i + 2] & 0x3F) << 6 | UInt32(bytes[i + 3] & 0x3F)
                    i += 4
                }
                guard let kept = Self.keptValue(scalar) else { continue }
                if let previous { out.append(Self.mix(UInt64(previous) << 32 | UInt64(kept))) }
                previous = kept
            }
        }
        // A text of one kept scalar is its own shingle.
        if out.isEmpty, let previous { out.append(Self.mix(UInt64(previous))) }
        HashSort.sort(&out)
        // Duplicates dropped in place.
        var unique = 0
        out.withUnsafeMutableBufferPointer { hashes in
            for i in hashes.indices where unique == 0 || hashes[unique - 1] != hashes[i] {
                hashes[unique] = hashes[i]
                unique += 1
            }
        }
        out.removeLast(out.count - unique)
        hashes = out
    }

    /// The scalar (by its value) as compared (ASCII and full-width letters lower-cased), or nil for digits,
    /// punctuation and spaces. Han and ASCII are decided by range: Unicode property lookups cost more than the
    /// rest. The common Han block is tested first: the cases are tried in order.
    @inline(__always) static func keptValue(_ v: UInt32) -> UInt32? {
        switch v {
        case 0x4E00...0x9FFF: return v
        case 0x61...0x7A: return v
        case 0x41...0x5A: return v + 0x20
        case 0x00...0x7F: return nil
        case 0x3400...0x4DBF, 0xF900...0xFAFF, 0x20000...0x3FFFF: return v
        case 0xFF41...0xFF5A: return v - 0xFF41 + 0x61
        case 0xFF21...0xFF3A: return v - 0xFF21 + 0x61
        case 0xFF00...0xFFEF, 0x3000...0x303F, 0x2000...0x206F: return nil  // full-width and CJK punctuation
        default:
            guard let p = Unicode.Scalar(v)?.properties else { return nil }
            guard p.isAlphabetic, p.generalCategory != .decimalNumber else { return nil }
            return p.lowercaseMapping.unicodeScalars.first?.value ?? v
        }
    }

    /// Exact Jaccard similarity |A∩B| / |A∪B| by merging the two sorted lists.
    func jaccard(_ other: TextShingles) -> Double {
        let a = hashes, b = other.hashes
        guard !a.isEmpty || !b.isEmpty else { return 1 }
        var i = 0, j = 0, common = 0
        while i < a.count && j < b.count {
            if a[i] == b[j] { common += 1; i += 1; j += 1 } else if a[i] < b[j] { i += 1 } else { j += 1 }
        }
        return Double(common) / Double(a.count + b.count - common)
    }

    /// MinHash signature of `count` values by one-permutation hashing: each shingle hash falls into one
    /// of `count` bins (high 32 bits) and the bin keeps its smallest low 32 bits; empty bins borrow from
    /// other filled bins (densification). O(shingles + count) instead of O(shingles × count), and two
    /// texts agree on a bin with probability ≈ their Jaccard similarity, as with `count` hash functions.
    func minHash(count: Int) -> [UInt64] {
        var bins = [UInt64](repeating: .max, count: count)
        for h in hashes {
            let bin = Int(((h >> 32) &* UInt64(count)) >> 32)  // shifts bind tighter than &* in Swift
            bins[bin] = Swift.min(bins[bin], h & 0xFFFF_FFFF)
        }
        guard !hashes.isEmpty else { return bins }
        // Optimal densification (Shrivastava 2017): an empty bin probes other bins in an order fixed by its
        // index alone, so two texts fill it from the same bin and still agree with probability ≈ Jaccard.
        var signature = bins
        for i in 0..<count where bins[i] == .max {
            var attempt: UInt64 = 0
            var j = i
            repeat {
                attempt += 1
                j = Int(Self.mix(UInt64(i) << 32 | attempt) % UInt64(count))
            } while bins[j] == .max
            signature[i] = Self.mix(bins[j] ^ (attempt << 40))
        }
        return signature
    }

    /// SplitMix64 finaliser: a cheap, well-spread 64-bit hash.
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
