/// A name found in a text, with every unit it may denote.
struct PlaceMention {
    /// The words as written in the text.
    var text: String
    /// Node indices (into `PlaceNameIndex.nodes`) with the strength of this form for each.
    var targets: [(node: Int, strength: PlaceNameForm.Strength)]
}

/// Every written form of every unit, indexed by first character for a greedy longest-match scan.
///
/// The scan is left to right, longest form first at each position, non-overlapping; Wuhan has about
/// 1,000 forms, so a 40-character address costs a few hundred scalar comparisons.
struct PlaceNameIndex: Sendable {
    struct Entry: Sendable {
        var scalars: [Unicode.Scalar]
        var text: String
        /// Empty for stop phrases: they hide the names inside them.
        var targets: [Target]
    }
    struct Target: Sendable { var node: Int; var strength: PlaceNameForm.Strength }

    private var byFirst: [Unicode.Scalar: [Entry]] = [:]
    private(set) var formCount = 0

    init(forms: [(node: Int, form: PlaceNameForm)], stopPhrases: [String]) {
        var grouped: [String: [Target]] = [:]
        for (node, form) in forms { grouped[form.text, default: []].append(Target(node: node, strength: form.strength)) }
        for phrase in stopPhrases where grouped[phrase] == nil { grouped[phrase] = [] }
        for (text, targets) in grouped {
            let scalars = Array(text.unicodeScalars)
            guard let first = scalars.first else { continue }
            byFirst[first, default: []].append(Entry(scalars: scalars, text: text, targets: targets))
        }
        for key in byFirst.keys { byFirst[key]!.sort { $0.scalars.count > $1.scalars.count } }
        formCount = grouped.count
    }

    /// The names in `text`, in order of appearance. Bare and weak forms that start a road or
    /// building name ("后湖大道", "古田二路") are not place mentions and are skipped.
    func scan(_ text: String) -> [PlaceMention] {
        let scalars: [Unicode.Scalar] = text.unicodeScalars.filter { !$0.properties.isWhitespace }
        var out: [PlaceMention] = []
        var i = 0
        while i < scalars.count {
            guard let entry = longestMatch(in: scalars, at: i) else { i += 1; continue }
            let end = i + entry.scalars.count
            let kept = entry.targets.filter { $0.strength == .full || !Self.startsRoadName(scalars, at: end) }
            if !kept.isEmpty {
                out.append(PlaceMention(text: entry.text, targets: kept.map { ($0.node, $0.strength) }))
            }
            i = end
        }
        return out
    }

    private func longestMatch(in scalars: [Unicode.Scalar], at i: Int) -> Entry? {
        guard let candidates = byFirst[scalars[i]] else { return nil }
        for entry in candidates where i + entry.scalars.count <= scalars.count {
            var k = 1
            while k < entry.scalars.count && scalars[i + k] == entry.scalars[k] { k += 1 }
            if k == entry.scalars.count { return entry }
        }
        return nil
    }

    private static let roadEnds: Set<Unicode.Scalar> = Set("路街巷道桥村弄河江".unicodeScalars)
    private static let roadModifiers: Set<Unicode.Scalar> = Set("一二三四五六七八九十东西南北中新大小上下前后内外".unicodeScalars)

    /// True when the characters at `index` continue a name into a road: "路", "大道", "二路", "东路" ….
    static func startsRoadName(_ scalars: [Unicode.Scalar], at index: Int) -> Bool {
        var j = index
        var modifiers = 0
        // One modifier only: "古田二路" is a road, "花桥二七路" is a street followed by a road.
        while j < scalars.count, modifiers < 1, roadModifiers.contains(scalars[j]) { j += 1; modifiers += 1 }
        guard j < scalars.count else { return false }
        return roadEnds.contains(scalars[j])
    }
}
