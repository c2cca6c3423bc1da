/// A small map of texts by name, kept as pairs sorted by key in one array: a case's attributes (deadline times,
/// department, topic guess… a dozen or so, read by name in every rule that folds, stamps or counts a case) and an
/// event's data (reason, target unit, due time… a handful).
///
/// A lookup compares the name with a few keys, each a small string compared as two machine words, where a
/// `Dictionary` hashed the name with SipHash on every read; a copy or a change is one array, not a hash table grown
/// four times on the way to ten keys (Dictionary work — hashing, growth, freeing — was about a sixth of applying a
/// peer's line); and the pairs are already in the order the wire writes them. Equality and the JSON are a
/// dictionary's.
public struct TextMap: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    public typealias Element = (key: String, value: String)

    private var keys: [String] = []
    private var values: [String] = []

    public init() {}

    public init(_ dictionary: [String: String]) {
        let sorted = dictionary.sorted { $0.key < $1.key }
        keys = sorted.map(\.key)
        values = sorted.map(\.value)
    }

    /// A key given twice keeps its last value.
    public init(dictionaryLiteral elements: (String, String)...) {
        for (key, value) in elements { self[key] = value }
    }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }

    public subscript(key: String) -> String? {
        get { index(of: key).map { values[$0] } }
        set {
            if let i = index(of: key) {
                if let newValue { values[i] = newValue } else { keys.remove(at: i); values.remove(at: i) }
            } else if let newValue {
                let at = keys.firstIndex { $0 > key } ?? keys.count
                keys.insert(key, at: at)
                values.insert(newValue, at: at)
            }
        }
    }

    /// Adds an attribute not there yet (false, and nothing changed, if it is): what a reader of the wire calls for
    /// each key, which comes in ascending order from every writer of this protocol and is then simply appended.
    public mutating func addNew(_ key: String, _ value: String) -> Bool {
        if let last = keys.last, last < key {
            keys.append(key)
            values.append(value)
            return true
        }
        guard index(of: key) == nil else { return false }
        self[key] = value
        return true
    }

    /// Equality first: it is what almost every comparison decides, and for two small strings it compares two
    /// words; the order is needed only to insert.
    @inline(__always) private func index(of key: String) -> Int? {
        keys.firstIndex { $0 == key }
    }

    /// The attributes `isIncluded` keeps.
    public func filter(_ isIncluded: (Element) throws -> Bool) rethrows -> TextMap {
        var kept = TextMap()
        for i in keys.indices where try isIncluded((keys[i], values[i])) {
            kept.keys.append(keys[i])
            kept.values.append(values[i])
        }
        return kept
    }

    public struct Iterator: IteratorProtocol {
        fileprivate let keys: [String], values: [String]
        fileprivate var position = 0
        public mutating func next() -> Element? {
            guard position < keys.count else { return nil }
            defer { position += 1 }
            return (keys[position], values[position])
        }
    }

    public func makeIterator() -> Iterator { Iterator(keys: keys, values: values) }

    public var dictionary: [String: String] { Dictionary(uniqueKeysWithValues: zip(keys, values)) }

    public var description: String { "[" + zip(keys, values).map { "\($0): \($1)" }.joined(separator: ", ") + "]" }
}

/// On the wire and in storage a JSON object of strings, as before.
extension TextMap: Codable {
    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode([String: String].self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(dictionary)
    }
}
