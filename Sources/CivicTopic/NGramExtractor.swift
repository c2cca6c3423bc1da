import CivicSupport

/// A message reduced to hashed character n-grams with their counts, one block per field.
struct TokenizedMessage: Sendable {
    var subject: [NGramCount]
    var detail: [NGramCount]
    var shared: [NGramCount]
    /// Whether the detail gave any n-gram at all, known to the model or not: it picks the calibration scale, so
    /// a message tokenized for prediction (unknown n-grams left out) is scaled as its full tokenization would be.
    var hasDetail: Bool
}

struct NGramCount: Sendable, Equatable {
    var key: UInt64
    var count: Int32
}

/// Turns text into hashed character n-grams. Chinese has no spaces, so characters are the
/// natural unit; 64-bit keys make collisions negligible without storing the n-gram strings.
struct NGramExtractor: Sendable {
    let settings: FeatureSettings

    /// Every n-gram of the message (training: the vocabulary is made from them), or with `known`, only those the
    /// model has a feature for (prediction: the others weigh nothing, and leaving them out before the sort and
    /// count spares sorting the thousand or more keys a detail gives). The kept blocks are the full ones with the
    /// unknown keys removed, in the same order, so a prediction is the same to the bit (`TokenizeForPredictionTests`).
    func tokenize(subject rawSubject: String, detail rawDetail: String, known: KeyIndex? = nil) -> TokenizedMessage {
        let subject = settings.taxonomy?.marked(rawSubject) ?? rawSubject
        let detail = rawDetail.isEmpty ? rawDetail : settings.taxonomy?.marked(rawDetail) ?? rawDetail
        // Each text's runs once: the shared block reads the subject's and the detail's again.
        let subjectRuns = Self.runs(subject), detailRuns = Self.runs(detail)
        let (minN, maxN) = (settings.detailMinN, settings.detailMaxN)
        let hasDetail = minN >= 1 && maxN >= minN && detailRuns.contains { $0.count >= minN }
        let shared = settings.sharedWeight > 0
            ? grams(of: hasDetail ? subjectRuns + detailRuns : subjectRuns, field: 3, minN: minN, maxN: maxN, known: known) : []
        return TokenizedMessage(
            subject: grams(of: subjectRuns, field: 1, minN: settings.subjectMinN, maxN: settings.subjectMaxN, known: known),
            detail: grams(of: detailRuns, field: 2, minN: minN, maxN: maxN, known: known), shared: shared, hasDetail: hasDetail)
    }

    /// Runs of normalised characters; punctuation and spaces end a run, so no n-gram spans them.
    static func runs(_ text: String) -> [[UInt32]] {
        var runs: [[UInt32]] = []
        var current: [UInt32] = []
        for scalar in text.unicodeScalars {
            if let mapped = normalize(scalar) {
                current.append(mapped)
            } else if !current.isEmpty {
                runs.append(current)
                current.removeAll(keepingCapacity: true)
            }
        }
        if !current.isEmpty { runs.append(current) }
        return runs
    }

    /// Folds width and case, merges all digits into one symbol (numbers are rarely topical),
    /// and returns nil for separators.
    static func normalize(_ scalar: Unicode.Scalar) -> UInt32? {
        var value = scalar.value
        if value >= 0xFF01 && value <= 0xFF5E { value -= 0xFEE0 }  // full-width ASCII
        if value == 0x3000 { value = 0x20 }
        switch value {
        case 0x30...0x39: return 0x30
        case 0x41...0x5A: return value + 0x20
        case 0x61...0x7A: return value
        case 0...0x7F: return nil  // ASCII punctuation, space, controls
        case 0x2000...0x206F, 0x3000...0x303F, 0xFE30...0xFE4F, 0xFF00...0xFF65: return nil  // CJK punctuation
        case 0x3400...0x9FFF, 0xAC00...0xD7AF: return value  // CJK ideographs, Hangul: never whitespace (skips a property lookup)
        default:
            if scalar.properties.isWhitespace { return nil }
            return value
        }
    }

    private func grams(of runs: [[UInt32]], field: UInt64, minN: Int, maxN: Int, known: KeyIndex?) -> [NGramCount] {
        guard minN >= 1, maxN >= minN else { return [] }
        // Every n-gram's key into one array, sorted, then counted in runs: no dictionary, no hashing of the
        // (already hashed) keys, and the result comes out sorted by key as the model wants it.
        var keys: [UInt64] = []
        if known == nil { keys.reserveCapacity(runs.reduce(0) { $0 + $1.count } * (maxN - minN + 1)) }
        for run in runs {
            for start in run.indices {
                var hash = 0xcbf2_9ce4_8422_2325 ^ (field &* 0x9E37_79B9_7F4A_7C15)
                for length in 1...maxN {
                    let end = start + length
                    if end > run.count { break }
                    hash = (hash ^ UInt64(run[end - 1])) &* 0x0000_0100_0000_01B3
                    guard length >= minN else { continue }
                    let key = Self.finalize(hash, length: length)
                    if let known, known[key] == nil { continue }
                    keys.append(key)
                }
            }
        }
        HashSort.sort(&keys)
        var out: [NGramCount] = []
        out.reserveCapacity(keys.count)
        var i = 0
        while i < keys.count {
            var j = i + 1
            while j < keys.count && keys[j] == keys[i] { j += 1 }
            out.append(NGramCount(key: keys[i], count: Int32(j - i)))
            i = j
        }
        return out
    }

    /// SplitMix64 finaliser: spreads FNV's weak low bits; the length keeps "ab" and "ab…" apart.
    private static func finalize(_ hash: UInt64, length: Int) -> UInt64 {
        var z = hash ^ (UInt64(length) << 56)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
