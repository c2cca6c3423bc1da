import Testing
@testable import CivicCases

@Suite struct CountersTests {
    static let keys = ["received", "resolved", "returned", "state.pending", "state.dispatched", "state.other", "sup.overdue", "sup.warned",
                       "vd.satisfied", "vd.unsatisfied", "unknown", "state.", "sup", "vd.x.y"]
    /// Whether a key names a count at all (the three totals or a name under one of the three prefixes).
    static func isCounted(_ key: String) -> Bool {
        ["received", "resolved", "returned"].contains(key) || ["state.", "sup.", "vd."].contains { key.hasPrefix($0) }
    }

    /// `add(_:to:)` reads the key once and the setter goes through it: both must move exactly the count the key
    /// names, as a plain table of keys would, leave no zero behind, and ignore a key that names no count.
    @Test func addAndSetMoveTheCountTheKeyNames() {
        var generator = SystemRandomNumberGenerator()
        var counters = Counters(), reference: [String: Int] = [:]
        for _ in 0..<2000 {
            let key = Self.keys.randomElement(using: &generator)!
            if Bool.random(using: &generator) {
                let amount = Int.random(in: -2...2, using: &generator)
                counters.add(amount, to: key)
                if Self.isCounted(key) { reference[key, default: 0] += amount }
            } else {
                let value = Int.random(in: -1...3, using: &generator)
                counters[key] = value
                if Self.isCounted(key) { reference[key] = value }
            }
            for probe in Self.keys { #expect(counters[probe] == reference[probe, default: 0], "\(probe) after a change to \(key)") }
            #expect(!counters.byState.values.contains(0) && !counters.supervision.values.contains(0) && !counters.verdicts.values.contains(0))
        }
    }
}
