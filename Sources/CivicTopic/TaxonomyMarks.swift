/// Taxonomy knowledge as features: when a field contains a catalogue phrase (e.g. 安全隐患), a marker
/// character standing for the phrase's level-1 topic is appended to that field, so its n-grams give one
/// feature per topic. The marker pools the evidence of every phrase of a topic, rare ones included.
/// Saved in the model (the phrases are public catalogue data, not project source), so prediction marks alike.
struct TaxonomyMarks: Sendable, Codable, Equatable {
    /// Unambiguous phrases (one level-1 topic, at least two characters, not a catch-all such as 其他).
    let phrases: [String]
    /// Index of each phrase's topic in `topics`; the marker is U+E000 + index (private use, never in messages).
    let topicOfPhrase: [Int]
    /// Every level-1 topic of the catalogue, sorted (also those the labelled data lacks).
    let topics: [String]
    private let table: [UInt64: Int]
    /// Phrases that belong to every topic and so say nothing about one.
    static let catchAll: Set<String> = ["其他", "其它", "综合"]
    private let longest: Int

    private enum CodingKeys: String, CodingKey { case phrases, topicOfPhrase, topics }

    init?(_ taxonomy: [TaxonomyEntry]) {
        let topics = Array(Set(taxonomy.map(\.level1))).sorted()
        var owners: [String: Set<String>] = [:]
        for entry in taxonomy {
            for phrase in [entry.level2, entry.level3]
            where phrase.count >= 2 && !Self.catchAll.contains(phrase) {
                owners[phrase, default: []].insert(entry.level1)
            }
        }
        let kept = owners.filter { $0.value.count == 1 }.keys.sorted()
        guard !kept.isEmpty, topics.count <= 0x1900 else { return nil }  // markers must stay in U+E000…U+F8FF
        self.init(phrases: kept, topicOfPhrase: kept.map { topics.firstIndex(of: owners[$0]!.first!)! }, topics: topics)
    }

    private init(phrases: [String], topicOfPhrase: [Int], topics: [String]) {
        self.phrases = phrases
        self.topicOfPhrase = topicOfPhrase
        self.topics = topics
        var table: [UInt64: Int] = [:]
        var longest = 0
        for (phrase, topic) in zip(phrases, topicOfPhrase) {
            // A phrase that normalisation splits (punctuation inside) could never match within one run.
            let runs = NGramExtractor.runs(phrase)
            guard runs.count == 1 else { continue }
            table[runs[0].reduce(Self.seed, Self.step) ^ Self.lengthTag(runs[0].count)] = topic
            longest = max(longest, runs[0].count)
        }
        self.table = table
        self.longest = longest
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let phrases = try container.decode([String].self, forKey: .phrases)
        let topicOfPhrase = try container.decode([Int].self, forKey: .topicOfPhrase)
        let topics = try container.decode([String].self, forKey: .topics)
        guard phrases.count == topicOfPhrase.count, topicOfPhrase.allSatisfy({ topics.indices.contains($0) }) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "taxonomy phrases and topics do not match"))
        }
        self.init(phrases: phrases, topicOfPhrase: topicOfPhrase, topics: topics)
    }

    /// `text` followed by " X XX" for each topic X with a phrase in it, in topic order; `text` alone when none.
    func marked(_ text: String) -> String {
        var found = Set<Int>()
        for run in NGramExtractor.runs(text) {
            for start in run.indices {
                var hash = Self.seed
                for stop in start..<min(run.count, start + longest) {
                    hash = Self.step(hash, run[stop])
                    if stop > start, let topic = table[hash ^ Self.lengthTag(stop - start + 1)] { found.insert(topic) }
                }
            }
        }
        guard !found.isEmpty else { return text }
        var result = text
        for topic in found.sorted() {
            let marker = Character(Unicode.Scalar(0xE000 + UInt32(topic))!)
            result += " \(marker) \(marker)\(marker)"
        }
        return result
    }

    // FNV-1a over normalised scalars, extended one character at a time while scanning.
    private static let seed: UInt64 = 0xcbf2_9ce4_8422_2325
    private static func step(_ hash: UInt64, _ scalar: UInt32) -> UInt64 { (hash ^ UInt64(scalar)) &* 0x0000_0100_0000_01B3 }
    private static func lengthTag(_ length: Int) -> UInt64 { UInt64(length) << 56 }
}
