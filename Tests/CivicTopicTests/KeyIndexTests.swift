import CivicSupport
import Testing
@testable import CivicTopic

@Suite struct KeyIndexTests {
    @Test func answersLikeADictionaryFilledInOrder() {
        var random = SplitMix64(seed: 99)
        for size in [0, 1, 7, 1000] {
            // Colliding low bits, a zero key and a repeated key are the awkward ones.
            var keys = (0..<size).map { _ in random.next() }
            if size > 3 { keys[1] = 0; keys[2] = keys[0] &+ (1 << 40); keys[3] = keys[0] }
            let index = KeyIndex(keys)
            var reference: [UInt64: Int32] = [:]
            for (i, k) in keys.enumerated() { reference[k] = Int32(i) }
            for k in keys { #expect(index[k] == reference[k]) }
            for _ in 0..<200 { let k = random.next(); #expect(index[k] == reference[k]) }
        }
    }
}
