import Testing
@testable import CivicCases

@Suite struct CountersTests {
    /// `add(_:to:)` reads the key once; it must change exactly what `self[key] += amount` changes, zeros removed.
    @Test func addIsTheSubscriptsIncrement() {
        let keys = ["received", "resolved", "returned", "state.pending", "state.dispatched", "state.other", "sup.overdue", "sup.warned",
                    "vd.satisfied", "vd.unsatisfied", "unknown", "state.", "sup", "vd.x.y"]
        var generator = SystemRandomNumberGenerator()
        var byAdd = Counters(), bySubscript = Counters()
        for _ in 0..<2000 {
            let key = keys.randomElement(using: &generator)!, amount = Int.random(in: -2...2, using: &generator)
            byAdd.add(amount, to: key)
            bySubscript[key] += amount
            #expect(byAdd == bySubscript, "after \(amount) to \(key)")
        }
        // A count that comes back to zero leaves no key behind.
        var c = Counters()
        c.add(1, to: "state.pending")
        c.add(-1, to: "state.pending")
        #expect(c.byState.isEmpty)
    }
}
