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

    private var entries: [Int: Entry] = [:]
    private var slotByCase: [String: Int] = [:]
    /// Band key → the slots whose signature has that band. Almost every bucket holds one slot (60 bands a case,
    /// each key nearly unique), so one is held inline: an array per bucket cost an allocation per band, 60 a case
    /// (about 4.8 KB of a case's 8.5 KB in the index, and a tenth of an add).
    private var buckets: [UInt64: Bucket] = [:]
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

    public var count: Int { entries.count }

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
        entries[slot] = Entry(caseId: c.caseId, shingles: shingles, bandKeys: keys, placeId: c.placeId, phone: c.phone, createdAt: c.createdAt)
        slotByCase[c.caseId] = slot
        for key in keys { buckets[key, default: .empty].insert(slot) }  // one lookup a band
        if let phone = c.phone { slotsByPhone[phone, default: []].append(slot) }
        expiry.push(Expiry(time: c.createdAt.timeIntervalSinceReferenceDate, slot: slot))
    }

    public func remove(caseId: String) {
        guard let slot = slotByCase.removeValue(forKey: caseId), let entry = entries.removeValue(forKey: slot) else { return }
        for key in entry.bandKeys {
            if buckets[key]?.remove(slot) == true { buckets[key] = nil }
        }
        if let phone = entry.phone {
            slotsByPhone[phone]?.removeAll { $0 == slot }
            if slotsByPhone[phone]?.isEmpty == true { slotsByPhone[phone] = nil }
        }
    }

    public func findDuplicate(text: String, placeId: String?, phone: String?, at: Date) -> DuplicateMatch? {
        advanceClock(to: at)
        let shingles = TextShingles(text), keys = Self.bandKeys(shingles)
        lastLookup = (text, shingles, keys)
        var candidates = Set<Int>()
        for key in keys {
            switch buckets[key] {
            case .one(let slot)?: candidates.insert(slot)
            case .many(let slots)?: candidates.formUnion(slots)
            case nil: break
            }
        }
        if let phone { candidates.formUnion(slotsByPhone[phone] ?? []) }

        var best: DuplicateMatch?
        for slot in candidates {
            // Entries older than the window are already gone (advanceClock), so only later ones need skipping.
            guard let entry = entries[slot], entry.createdAt <= at else { continue }
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
            if let entry = entries[top.slot] { remove(caseId: entry.caseId) }
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

/// The slots in one LSH bucket: one inline, more in an array.
enum Bucket: Equatable {
    case one(Int)
    case many([Int])

    /// A bucket about to get its first slot (the empty array allocates nothing).
    static let empty = Bucket.many([])

    mutating func insert(_ slot: Int) {
        switch self {
        case .one(let first): self = .many([first, slot])
        case .many(let slots) where slots.isEmpty: self = .one(slot)
        case .many(var slots):
            self = .one(0)  // lets go of the array, so the append below does not copy it
            slots.append(slot)
            self = .many(slots)
        }
    }

    /// Removes `slot`; true when the bucket is left empty (the caller drops it).
    mutating func remove(_ slot: Int) -> Bool {
        switch self {
        case .one(let only): return only == slot
        case .many(var slots):
            self = .one(0)
            slots.removeAll { $0 == slot }
            if slots.count == 1 { self = .one(slots[0]) } else { self = .many(slots) }
            return slots.isEmpty
        }
    }
}

/// A case's creation time and slot, ordered by time, for pruning expired cases in time order.
struct Expiry: Comparable {
    var time: Double
    var slot: Int
    static func < (a: Expiry, b: Expiry) -> Bool { a.time < b.time }
}
