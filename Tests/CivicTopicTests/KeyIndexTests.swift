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

@Suite struct RadixSortTests {
    @Test func sortsLikeTheStandardLibrary() {
        var random = SplitMix64(seed: 5)
        for size in [0, 1, 63, 64, 65, 1000, 4097] {
            var keys = (0..<size).map { i in i % 7 == 0 ? UInt64(i) : random.next() }  // small keys and repeats too
            if size > 10 { keys[3] = keys[5]; keys[4] = .max; keys[6] = 0 }
            var sorted = keys
            NGramExtractor.radixSort(&sorted)
            #expect(sorted == keys.sorted(), "size \(size)")
        }
        // Many distinct keys sharing their top sixteen bits, in reverse (the insertion pass gives up and the
        // standard sort finishes), and one n-gram repeated thousands of times among random ones.
        var crafted = (0..<20_000).map { UInt64(20_000 - $0) | (0xABCD << 48) }
        NGramExtractor.radixSort(&crafted)
        #expect(crafted == crafted.sorted() && crafted.first == (0xABCD << 48) | 1)
        var repeated = (0..<5000).map { i in i % 2 == 0 ? 0x1234_5678_9ABC_DEF0 : random.next() }
        let expected = repeated.sorted()
        NGramExtractor.radixSort(&repeated)
        #expect(repeated == expected)
    }
}
