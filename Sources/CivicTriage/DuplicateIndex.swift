import CivicSupport
import Foundation

/// An open case as the duplicate index sees it.
public struct DuplicateCandidate: Sendable {
    public var caseId: String
    public var text: String
    public var placeId: String?
    public var phone: String?
    public var createdAt: Date

    public init(caseId: String, text: String, placeId: String?, phone: String?, createdAt: Date) {
        self.caseId = caseId
        self.text = text
        self.placeId = placeId
        self.phone = phone
        self.createdAt = createdAt
    }
}

/// An open case that a new message repeats (多头重复交办).
public struct DuplicateMatch: Sendable, Equatable {
    public var caseId: String
    /// Jaccard similarity of the two texts' character 2-grams, 0…1.
    public var similarity: Double
    public var reason: String
}

/// Finds open cases that a new message repeats.
///
/// A new message repeats an open case, within `window`, when
/// - both are placed on the same unit and their texts have similarity ≥ `threshold`, or
/// - one of them is unplaced and the similarity is ≥ `unknownPlaceThreshold` (stricter), or
/// - it comes from the same caller, about a compatible place, with similarity ≥ `sameCallerThreshold`.
/// Cases placed on different units are never duplicates.
///
/// Candidates come from MinHash LSH (60 bands of 3 rows: a pair at similarity 0.4 shares a band with
/// probability 0.98, at 0.3 with 0.8, at 0.05 with 0.8 %) plus the caller's own open cases, then
/// the exact Jaccard similarity decides. So a lookup touches a handful of cases even with 100k open.
///
/// Not thread-safe: owned by one thread (the node's store writer), hence not `Sendable`.
public final class DuplicateIndex {
    public let window: TimeInterval
    public let threshold: Double
    public var unknownPlaceThreshold: Double { min(1, threshold + 0.15) }
    /// Lower, but not too low: prolific callers reuse one template for different problems (0.25–0.31).
    public var sameCallerThreshold: Double { threshold * 0.8 }

    static let bands = 60
    static let rows = 3

    private struct Entry {
        var caseId: String
        var shingles: TextShingles
        var bandKeys: [UInt64]
        var placeId: String?
        var phone: String?
        var createdAt: Date
    }

    /// Entries by slot: the array holds the newest slots, so slot `s` lives at `entries[s - firstSlot]`, nil once
    /// removed. Slots only grow and expire in time order, so the front is trimmed as it empties (see `trimFront`).
    private var entries: [Entry?] = []
    private var firstSlot: Int { nextSlot - entries.count }
    /// Entries before this index are all removed.
    private var head = 0
    private var slotByCase: [String: Int] = [:]
    /// Band key → the slots whose signature has that band (almost every key has one slot). An open-addressing
    /// table keyed by the band key's own bits: a `Dictionary` hashed each already-mixed key again with SipHash
    /// and held an enum per key; the table was a fifth of the city's writer thread.
    private var buckets = HashMultiMap(capacity: 1 << 14)
    private var slotsByPhone: [String: [Int]] = [:]
    private var expiry = MinHeap<Expiry>()
    private var nextSlot = 0
    /// The shingles of the text last looked up: intake looks a report up, then adds it — one shingling, not two.
    private var lastLookup: (text: String, shingles: TextShingles, bandKeys: [UInt64])?
    private var newest = Date.distantPast

    /// `threshold` 0.4 was chosen on messages_hot.csv: pairs of different callers at 0.3–0.55 are mostly
    /// the same problem retold, below 0.3 mostly different problems in a shared template.
    public init(window: TimeInterval = 7 * 86400, threshold: Double = 0.4) {
        self.window = window
        self.threshold = threshold
    }

    public var count: Int { slotByCase.count }

    private func entry(_ slot: Int) -> Entry? {
        let i = slot - firstSlot
        return i >= 0 && i < entries.count ? entries[i] : nil
    }

    /// Moves `head` past removed entries and drops them once they are half the array: amortised O(1) a removal.
    private func trimFront() {
        while head < entries.count, entries[head] == nil { head += 1 }
        guard head * 2 >= entries.count else { return }
        entries.removeFirst(head)
        head = 0
    }

    public func add(_ c: DuplicateCandidate) {
        remove(caseId: c.caseId)
        advanceClock(to: c.createdAt)
        guard c.createdAt >= newest.addingTimeInterval(-window) else { return }  // already expired
        let (shingles, keys): (TextShingles, [UInt64])
        if let last = lastLookup, last.text == c.text { (shingles, keys) = (last.shingles, last.bandKeys) } else {
            shingles = TextShingles(c.text)
            keys = Self.bandKeys(shingles)
        }
        lastLookup = nil
        let slot = nextSlot
        nextSlot += 1
        entries.append(Entry(caseId: c.caseId, shingles: shingles, bandKeys: keys, placeId: c.placeId, phone: c.phone, createdAt: c.createdAt))
        slotByCase[c.caseId] = slot
        for key in keys { buckets.insert(key, slot) }
        if let phone = c.phone { slotsByPhone[phone, default: []].append(slot) }
        expiry.push(Expiry(time: c.createdAt.timeIntervalSinceReferenceDate, slot: slot))
    }

    public func remove(caseId: String) {
        guard let slot = slotByCase.removeValue(forKey: caseId), let entry = entry(slot) else { return }
        entries[slot - firstSlot] = nil
        for key in entry.bandKeys { buckets.remove(key, slot) }
        if let phone = entry.phone {
            slotsByPhone[phone]?.removeAll { $0 == slot }
            if slotsByPhone[phone]?.isEmpty == true { slotsByPhone[phone] = nil }
        }
        if slot - firstSlot == head { trimFront() }
    }

    public func findDuplicate(text: String, placeId: String?, phone: String?, at: Date) -> DuplicateMatch? {
        advanceClock(to: at)
        let shingles = TextShingles(text), keys = Self.bandKeys(shingles)
        lastLookup = (text, shingles, keys)
        var candidates: [Int] = []
        for key in keys { buckets.forEach(key) { candidates.append($0) } }
        if let phone { candidates += slotsByPhone[phone] ?? [] }
        // Each slot once, oldest first: the same order whatever the table's layout, so ties go the same way.
        candidates.sort()

        var best: DuplicateMatch?
        var previous = -1
        for slot in candidates where slot != previous {
            previous = slot
            // Entries older than the window are already gone (advanceClock), so only later ones need skipping.
            guard let entry = entry(slot), entry.createdAt <= at else { continue }
            if let a = placeId, let b = entry.placeId, a != b { continue }
            let samePlace = placeId != nil && placeId == entry.placeId
            let sameCaller = phone != nil && phone == entry.phone
            var required = samePlace ? threshold : unknownPlaceThreshold
            if sameCaller { required = min(required, sameCallerThreshold) }
            let similarity = shingles.jaccard(entry.shingles)
            guard similarity >= required, similarity > (best?.similarity ?? -1) else { continue }
            var why = String(format: "text similarity %.2f ≥ %.2f", similarity, required) + " with \(entry.caseId)"
            why += samePlace ? ", same place \(entry.placeId!)" : ", place not known for both"
            if sameCaller { why += ", same caller" }
            let age = at.timeIntervalSince(entry.createdAt) / 86400
            why += String(format: ", opened %.1f days earlier", age)
            best = DuplicateMatch(caseId: entry.caseId, similarity: similarity, reason: why)
        }
        return best
    }

    /// Moves the clock forward (never back) and drops cases older than the window.
    private func advanceClock(to date: Date) {
        guard date > newest else { return }
        newest = date
        let cutoff = date.addingTimeInterval(-window).timeIntervalSinceReferenceDate
        while let top = expiry.top, top.time < cutoff {
            expiry.pop()
            if let entry = entry(top.slot) { remove(caseId: entry.caseId) }
        }
    }

    private static func bandKeys(_ shingles: TextShingles) -> [UInt64] {
        guard !shingles.hashes.isEmpty else { return [] }
        let signature = shingles.minHash(count: bands * rows)
        return (0..<bands).map { band in
            var key = TextShingles.mix(UInt64(band))
            for r in 0..<rows { key = TextShingles.mix(key ^ signature[band * rows + r]) }
            return key
        }
    }
}

/// A case's creation time and slot, ordered by time, for pruning expired cases in time order.
struct Expiry: Comparable {
    var time: Double
    var slot: Int
    static func < (a: Expiry, b: Expiry) -> Bool { a.time < b.time }
}
