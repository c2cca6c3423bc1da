import CivicSupport
import Testing

/// The band-key table against a plain dictionary of arrays, under random inserts and removals that force
/// long probe runs (keys sharing low bits), wrap-around at the table's end, and growth.
@Suite struct HashMultiMapTests {
    @Test func agreesWithADictionaryUnderRandomChurn() {
        var rng = SplitMix64(seed: 42)
        var table = HashMultiMap(capacity: 4)
        var model: [UInt64: [Int]] = [:]
        var pairs: [(UInt64, Int)] = []
        for step in 0..<60_000 {
            let r = rng.next()
            if r % 3 != 0 || pairs.isEmpty {
                // Few distinct low bits: many keys share a home cell; some keys repeat with other values.
                let key = r % 5 == 0 && !pairs.isEmpty ? pairs[Int(r >> 8) % pairs.count].0 : (rng.next() & ~0xFFF) | (r >> 20 & 0x3F)
                table.insert(key, step)
                model[key, default: []].append(step)
                pairs.append((key, step))
            } else {
                let i = Int(r >> 16) % pairs.count
                let (key, value) = pairs.remove(at: i)
                let removed = table.remove(key, value)
                #expect(removed)
                model[key]!.removeAll { $0 == value }
                if model[key]!.isEmpty { model[key] = nil }
                let again = table.remove(key, value)
                #expect(!again, "removed twice")
            }
            if step % 997 == 0 {
                #expect(table.count == pairs.count)
                for (key, values) in model.prefix(200) {
                    var got: [Int] = []
                    table.forEach(key) { got.append($0) }
                    #expect(got.sorted() == values.sorted(), "key \(key)")
                }
            }
        }
        var absent: [Int] = []
        table.forEach(0xDEAD_BEEF_0000_0000) { absent.append($0) }
        #expect(absent.isEmpty)
    }
}
