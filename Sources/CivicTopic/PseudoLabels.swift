/// Self-training: the unlabelled rows a first model separates best, with the topic it gave them.
enum PseudoLabels {
    static func pick(rows: [SparseVector], model: LinearSVM, share: Double) -> (rows: [SparseVector], classes: [Int]) {
        let guesses: [(row: Int, best: Int, margin: Double)] = rows.indices.map { row in
            let scores = model.scores(rows[row])
            let order = scores.indices.sorted { scores[$0] > scores[$1] }
            let margin = order.count > 1 ? scores[order[0]] - scores[order[1]] : scores[order[0]]
            return (row, order[0], margin)
        }
        let kept = guesses.sorted { $0.margin != $1.margin ? $0.margin > $1.margin : $0.row < $1.row }
            .prefix(Int((Double(rows.count) * min(share, 1)).rounded()))
        return (kept.map { rows[$0.row] }, kept.map(\.best))
    }
}
