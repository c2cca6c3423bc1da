import CivicSupport
import Testing

@Suite struct MinHeapTests {
    @Test func popsInAscendingOrderWhateverThePushOrder() {
        var random = SplitMix64(seed: 7)
        for size in [0, 1, 2, 3, 10, 257] {
            var heap = MinHeap<Int>()
            let values = (0..<size).map { _ in Int(random.next() % 100) }
            for v in values { heap.push(v) }
            #expect(heap.count == size && heap.top == values.min())
            var out: [Int] = []
            while let v = heap.pop() { out.append(v) }
            #expect(out == values.sorted(), "size \(size)")
            #expect(heap.isEmpty && heap.pop() == nil)
        }
    }

    @Test func interleavedPushesAndPopsKeepTheOrder() {
        var random = SplitMix64(seed: 11)
        var heap = MinHeap<UInt64>(), mirror: [UInt64] = []
        for _ in 0..<2_000 {
            if random.next() % 3 == 0, let v = heap.pop() {
                let least = mirror.min()!
                #expect(v == least)
                mirror.remove(at: mirror.firstIndex(of: least)!)
            } else {
                let v = random.next() % 50
                heap.push(v); mirror.append(v)
            }
        }
        #expect(heap.count == mirror.count)
    }

    @Test func splitMixGivesThePublishedSequence() {
        // First outputs for seed 1234567 from the reference splitmix64.c (Vigna), as used in many test suites.
        var random = SplitMix64(seed: 1234567)
        #expect([random.next(), random.next(), random.next()] == [6457827717110365317, 3203168211198807973, 9817491932198370423])
    }
}
