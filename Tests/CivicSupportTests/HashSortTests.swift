import Testing
@testable import CivicSupport

@Suite struct RadixSortTests {
    @Test func sortsLikeTheStandardLibrary() {
        var random = SplitMix64(seed: 5)
        for size in [0, 1, 63, 64, 65, 1000, 4097] {
            var keys = (0..<size).map { i in i % 7 == 0 ? UInt64(i) : random.next() }  // small keys and repeats too
            if size > 10 { keys[3] = keys[5]; keys[4] = .max; keys[6] = 0 }
            var sorted = keys
            HashSort.sort(&sorted)
            #expect(sorted == keys.sorted(), "size \(size)")
        }
        // Many distinct keys sharing their top sixteen bits, in reverse (the insertion pass gives up and the
        // standard sort finishes), and one n-gram repeated thousands of times among random ones.
        var crafted = (0..<20_000).map { UInt64(20_000 - $0) | (0xABCD << 48) }
        HashSort.sort(&crafted)
        #expect(crafted == crafted.sorted() && crafted.first == (0xABCD << 48) | 1)
        var repeated = (0..<5000).map { i in i % 2 == 0 ? 0x1234_5678_9ABC_DEF0 : random.next() }
        let expected = repeated.sorted()
        HashSort.sort(&repeated)
        #expect(repeated == expected)
    }
}
