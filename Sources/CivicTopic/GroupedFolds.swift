import CivicSupport
/// Stratified k-fold assignment that keeps repeat postings together: messages whose subjects are
/// equal once whitespace is removed always land in the same fold, so no fold tests on its training text.
enum GroupedFolds {
    /// Subjects that are equal once whitespace is removed are the same posting.
    static func groupKey(_ subject: String) -> String {
        String(String.UnicodeScalarView(subject.unicodeScalars.filter { !$0.properties.isWhitespace }))
    }

    static func assign(subjects: [String], labels: [Int], folds: Int, seed: UInt64) -> [Int] {
        precondition(subjects.count == labels.count && folds >= 2)
        var groups: [String: [Int]] = [:]
        for (row, subject) in subjects.enumerated() {
            groups[groupKey(subject), default: []].append(row)
        }
        // A group follows its majority label (ties: the smallest label index).
        var groupsByLabel: [Int: [(key: String, rows: [Int])]] = [:]
        for (key, rows) in groups {
            var votes: [Int: Int] = [:]
            for row in rows { votes[labels[row], default: 0] += 1 }
            let majority = votes.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }!.key
            groupsByLabel[majority, default: []].append((key, rows))
        }
        var fold = [Int](repeating: 0, count: subjects.count)
        var random = SplitMix64(seed: seed)
        for label in groupsByLabel.keys.sorted() {
            var members = groupsByLabel[label]!.sorted { $0.key < $1.key }
            members.shuffle(using: &random)
            var filled = [Int](repeating: 0, count: folds)
            for member in members {
                let target = filled.indices.min { filled[$0] != filled[$1] ? filled[$0] < filled[$1] : $0 < $1 }!
                filled[target] += member.rows.count
                for row in member.rows { fold[row] = target }
            }
        }
        return fold
    }
}
