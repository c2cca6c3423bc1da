/// Character 2-gram shingles of Chinese text and their MinHash signature.
///
/// Digits, punctuation, symbols and whitespace are dropped first: callers retell the same problem
/// with different house numbers, dates and punctuation, and those should not lower the similarity.
struct TextShingles: Sendable {
    /// Sorted, unique 64-bit hashes of the 2-grams.
    let hashes: [UInt64]

    init(_ text: String) {
        var kept: [UInt32] = []
        kept.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            let p = scalar.properties
            guard p.isAlphabetic, p.generalCategory != .decimalNumber else { continue }
            kept.append(p.isUppercase ? (p.lowercaseMapping.unicodeScalars.first?.value ?? scalar.value) : scalar.value)
        }
        var out: [UInt64] = []
        if kept.count == 1 { out.append(Self.mix(UInt64(kept[0]))) }
        if kept.count >= 2 {
            out.reserveCapacity(kept.count - 1)
            for i in 0..<(kept.count - 1) { out.append(Self.mix(UInt64(kept[i]) << 32 | UInt64(kept[i + 1]))) }
        }
        out.sort()
        var unique: [UInt64] = []
        unique.reserveCapacity(out.count)
        for h in out where unique.last != h { unique.append(h) }
        hashes = unique
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

    /// MinHash signature with `count` hash functions h_k(x) = mix(x) · a_k + b_k (a_k odd), min over x.
    func minHash(count: Int) -> [UInt64] {
        var signature = [UInt64](repeating: .max, count: count)
        for h in hashes {
            for k in 0..<count {
                let value = h &* Self.multipliers[k] &+ Self.increments[k]
                if value < signature[k] { signature[k] = value }
            }
        }
        return signature
    }

    static let maxHashes = 128
    static let multipliers: [UInt64] = (0..<UInt64(maxHashes)).map { mix($0 &+ 0x1234_5678) | 1 }
    static let increments: [UInt64] = (0..<UInt64(maxHashes)).map { mix($0 &+ 0x9876_5432) }

    /// SplitMix64 finaliser: a cheap, well-spread 64-bit hash.
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
