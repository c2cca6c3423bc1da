import Foundation

/// Turns SVM decision values into probabilities with one softmax temperature, fit on
/// out-of-fold scores (scores on training rows are over-confident, so they would mislead it).
enum Calibration {
    static func softmax(_ scores: [Double], scale: Double) -> [Double] {
        guard let top = scores.max() else { return [] }
        let exps = scores.map { exp(scale * ($0 - top)) }
        let sum = exps.reduce(0, +)
        return exps.map { $0 / sum }
    }

    /// The scale minimising the mean negative log-likelihood, by golden-section search on log(scale).
    static func fitScale(scores: [[Double]], labels: [Int]) -> Double {
        guard !scores.isEmpty else { return 1 }
        func loss(_ logScale: Double) -> Double {
            let scale = exp(logScale)
            var total = 0.0
            for (row, label) in zip(scores, labels) {
                total -= log(max(softmax(row, scale: scale)[label], 1e-12))
            }
            return total / Double(scores.count)
        }
        var low = log(0.05), high = log(200.0)
        let ratio = (5.0.squareRoot() - 1) / 2
        var a = high - ratio * (high - low), b = low + ratio * (high - low)
        var lossA = loss(a), lossB = loss(b)
        for _ in 0..<40 {
            if lossA < lossB {
                high = b; b = a; lossB = lossA
                a = high - ratio * (high - low); lossA = loss(a)
            } else {
                low = a; a = b; lossA = lossB
                b = low + ratio * (high - low); lossB = loss(b)
            }
        }
        return exp((low + high) / 2)
    }

    /// The lowest probability such that the messages at or above it were right at least `targetPrecision`
    /// of the time (largest such set). Returns `ceiling` when no non-empty set reaches the target.
    static func threshold(
        probabilities: [Double], correct: [Bool], targetPrecision: Double, ceiling: Double = 1
    ) -> Double {
        let order = probabilities.indices.sorted { probabilities[$0] > probabilities[$1] }
        var right = 0
        var best: Double? = nil
        var position = 0
        while position < order.count {
            // Messages with equal probability are admitted together: the threshold cannot split them.
            let value = probabilities[order[position]]
            while position < order.count && probabilities[order[position]] == value {
                if correct[order[position]] { right += 1 }
                position += 1
            }
            if Double(right) / Double(position) >= targetPrecision { best = value }
        }
        return best ?? ceiling
    }
}
