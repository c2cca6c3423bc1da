/// A binary min-heap: the smallest element on top, push and pop in O(log n).
/// One implementation for every time-ordered queue (loop timers, duplicate-index expiry, deadlines to come).
/// Equal elements come out in no particular order.
public struct MinHeap<Element: Comparable> {
    private var items: [Element] = []

    public init() {}

    public var isEmpty: Bool { items.isEmpty }
    public var count: Int { items.count }
    /// The smallest element, without removing it.
    public var top: Element? { items.first }

    public mutating func push(_ element: Element) {
        items.append(element)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the smallest element; nil when empty.
    @discardableResult
    public mutating func pop() -> Element? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < items.count && items[left] < items[smallest] { smallest = left }
            if right < items.count && items[right] < items[smallest] { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }

    public mutating func removeAll() { items.removeAll() }
}
