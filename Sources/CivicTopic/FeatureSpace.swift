import Foundation

/// A sparse row: feature indices with their weights.
struct SparseVector: Sendable {
    var indices: [Int32] = []
    var values: [Float] = []
}

/// In how many messages each n-gram key occurs (each block counted once per message).
struct DocumentFrequencies: Sendable {
    var counts: [UInt64: Int32] = [:]
    var documents = 0

    mutating func add(_ messages: [TokenizedMessage]) {
        documents += messages.count
        for message in messages {
            for gram in message.subject { counts[gram.key, default: 0] += 1 }
            for gram in message.detail { counts[gram.key, default: 0] += 1 }
            for gram in message.shared { counts[gram.key, default: 0] += 1 }
        }
    }
}

/// The learned vocabulary: which n-gram keys are features, and their inverse document frequency.
/// Subject and detail keys are hashed with different seeds, so one table holds both blocks.
struct FeatureSpace: Sendable {
    let settings: FeatureSettings
    let keys: [UInt64]
    let idf: [Float]
    /// Key → feature index; also what prediction tokenizes against (`NGramExtractor.tokenize(…, known:)`).
    let indexOf: KeyIndex

    var count: Int { keys.count }

    init(settings: FeatureSettings, keys: [UInt64], idf: [Float]) {
        precondition(keys.count == idf.count)
        self.settings = settings
        self.keys = keys
        self.idf = idf
        self.indexOf = KeyIndex(keys)
    }

    /// Keeps n-grams found in at least `minDocumentFrequency` messages; smoothed idf as in common TF-IDF.
    /// `background` (unlabelled text) adds to the document frequencies but brings no n-grams of its own:
    /// one absent from `messages` would get no weight anyway.
    static func fit(
        _ messages: [TokenizedMessage], settings: FeatureSettings, minDocumentFrequency: Int,
        background: DocumentFrequencies = .init()
    ) -> FeatureSpace {
        var frequency = DocumentFrequencies()
        frequency.add(messages)
        let total = Double(messages.count + background.documents)
        let floor = Int32(max(1, minDocumentFrequency))
        func documents(_ key: UInt64) -> Int32 { frequency.counts[key]! + (background.counts[key] ?? 0) }
        // Features in order of first appearance: deterministic without sorting hundreds of thousands
        // of keys, which debug builds (tests train models too) do slowly.
        var keys: [UInt64] = []
        keys.reserveCapacity(frequency.counts.count)
        var placed = Set<UInt64>(minimumCapacity: frequency.counts.count)
        for message in messages {
            for block in [message.subject, message.detail, message.shared] {
                for gram in block where documents(gram.key) >= floor && placed.insert(gram.key).inserted {
                    keys.append(gram.key)
                }
            }
        }
        return FeatureSpace(
            settings: settings,
            keys: keys,
            idf: keys.map { Float(log((total + 1) / (Double(documents($0)) + 1)) + 1) })
    }

    /// Sublinear tf × idf, each block L2-normalised then scaled by its weight.
    func vectorize(_ message: TokenizedMessage) -> SparseVector {
        var vector = SparseVector()
        vector.indices.reserveCapacity(message.subject.count + message.detail.count)
        vector.values.reserveCapacity(message.subject.count + message.detail.count)
        append(message.subject, weight: settings.subjectWeight, to: &vector)
        append(message.detail, weight: settings.detailWeight, to: &vector)
        append(message.shared, weight: settings.sharedWeight, to: &vector)
        return vector
    }

    private func append(_ grams: [NGramCount], weight: Double, to vector: inout SparseVector) {
        let start = vector.values.count
        var squares: Float = 0
        for gram in grams {
            guard let index = indexOf[gram.key] else { continue }
            let value = (1 + log(Float(gram.count))) * idf[Int(index)]
            vector.indices.append(index)
            vector.values.append(value)
            squares += value * value
        }
        guard squares > 0 else { return }
        let scale = Float(weight) / squares.squareRoot()
        for position in start..<vector.values.count { vector.values[position] *= scale }
    }
}
