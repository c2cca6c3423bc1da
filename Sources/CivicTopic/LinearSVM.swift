import CivicSupport
import Foundation

/// One-vs-rest L2-regularised, L2-loss linear SVMs trained by dual coordinate descent
/// (Hsieh et al. 2008, the LIBLINEAR solver), with a bias term as a constant feature.
struct LinearSVM: Sendable {
    /// Row-major: `weights[feature * classCount + class]`, so prediction walks one contiguous row per feature.
    var weights: [Float]
    var bias: [Float]
    let classCount: Int

    static let biasFeature: Float = 1

    /// `naiveBayesPower` > 0 scales each feature by |naive Bayes log-count ratio|^power per class (NB-SVM); the
    /// trainer blends a power-1 table into the plain one (`TrainingOptions.naiveBayesBlend`).
    static func train(
        rows: [SparseVector], labels: [Int], classCount: Int, featureCount: Int,
        cost: Double, maxEpochs: Int, tolerance: Double, seed: UInt64, naiveBayesPower: Double = 0
    ) -> LinearSVM {
        var weights = [Float](repeating: 0, count: featureCount * classCount)
        var bias = [Float](repeating: 0, count: classCount)
        for label in 0..<classCount {
            let signs = labels.map { $0 == label ? 1.0 : -1.0 }
            // NB-SVM: train on rescaled rows, then fold the scale back into the weights.
            let scale: [Double]? = naiveBayesPower == 0
                ? nil
                : logCountRatios(rows: rows, signs: signs, featureCount: featureCount).map { pow(abs($0), naiveBayesPower) }
            let scaledRows = scale.map { scale in
                rows.map { row in
                    SparseVector(
                        indices: row.indices,
                        values: zip(row.indices, row.values).map { Float(Double($0.1) * scale[Int($0.0)]) })
                }
            } ?? rows
            let diagonals = [Double](repeating: 0.5 / cost, count: signs.count)
            let (w, b) = trainBinary(
                rows: scaledRows, signs: signs, diagonals: diagonals, featureCount: featureCount,
                maxEpochs: maxEpochs, tolerance: tolerance, seed: seed &+ UInt64(label))
            for feature in 0..<featureCount {
                weights[feature * classCount + label] = Float(w[feature] * (scale?[feature] ?? 1))
            }
            bias[label] = Float(b)
        }
        return LinearSVM(weights: weights, bias: bias, classCount: classCount)
    }

    /// (1 − share) × self + share × other: decision values are linear, so this is the blend of both models'
    /// scores in one weight table (no extra cost at prediction time).
    func blended(with other: LinearSVM, share: Double) -> LinearSVM {
        precondition(other.classCount == classCount && other.weights.count == weights.count)
        let a = Float(1 - share), b = Float(share)
        return LinearSVM(
            weights: zip(weights, other.weights).map { a * $0 + b * $1 }, bias: zip(bias, other.bias).map { a * $0 + b * $1 },
            classCount: classCount)
    }

    /// Decision values of every class for one row.
    func scores(_ row: SparseVector) -> [Double] {
        var result = bias.map { Double($0) * Double(Self.biasFeature) }
        weights.withUnsafeBufferPointer { w in
            for (index, value) in zip(row.indices, row.values) {
                let base = Int(index) * classCount
                for label in 0..<classCount { result[label] += Double(w[base + label] * value) }
            }
        }
        return result
    }

    /// Dual coordinate descent for one binary problem; `diagonals[i]` is 1 / (2 C_i) of the L2 loss.
    private static func trainBinary(
        rows: [SparseVector], signs: [Double], diagonals: [Double], featureCount: Int,
        maxEpochs: Int, tolerance: Double, seed: UInt64
    ) -> ([Double], Double) {
        var w = [Double](repeating: 0, count: featureCount)
        var b = 0.0
        var alpha = [Double](repeating: 0, count: rows.count)
        let squaredNorms = rows.map { row in
            row.values.reduce(Double(biasFeature * biasFeature)) { $0 + Double($1) * Double($1) }
        }
        var order = Array(rows.indices)
        var random = SplitMix64(seed: seed)
        for _ in 0..<maxEpochs {
            order.shuffle(using: &random)
            var maxGradient = -Double.infinity
            var minGradient = Double.infinity
            w.withUnsafeMutableBufferPointer { w in
                for i in order {
                    let row = rows[i]
                    let y = signs[i]
                    let diagonal = diagonals[i]
                    var margin = b * Double(biasFeature)
                    row.indices.withUnsafeBufferPointer { indices in
                        row.values.withUnsafeBufferPointer { values in
                            for k in 0..<indices.count { margin += w[Int(indices[k])] * Double(values[k]) }
                        }
                    }
                    let gradient = y * margin - 1 + diagonal * alpha[i]
                    let projected = alpha[i] == 0 ? min(gradient, 0) : gradient
                    maxGradient = max(maxGradient, projected)
                    minGradient = min(minGradient, projected)
                    guard projected != 0 else { continue }
                    let old = alpha[i]
                    alpha[i] = max(old - gradient / (squaredNorms[i] + diagonal), 0)
                    let step = (alpha[i] - old) * y
                    row.indices.withUnsafeBufferPointer { indices in
                        row.values.withUnsafeBufferPointer { values in
                            for k in 0..<indices.count { w[Int(indices[k])] += step * Double(values[k]) }
                        }
                    }
                    b += step * Double(biasFeature)
                }
            }
            if maxGradient - minGradient < tolerance { break }
        }
        return (w, b)
    }
}

extension LinearSVM {
    /// Naive Bayes log-count ratios of one class against the rest (Wang & Manning 2012):
    /// how much more often a feature occurs in the class, used to scale features before the SVM.
    static func logCountRatios(rows: [SparseVector], signs: [Double], featureCount: Int) -> [Double] {
        var positive = [Double](repeating: 1, count: featureCount)
        var negative = [Double](repeating: 1, count: featureCount)
        for (row, sign) in zip(rows, signs) {
            for (index, value) in zip(row.indices, row.values) {
                if sign > 0 { positive[Int(index)] += Double(value) } else { negative[Int(index)] += Double(value) }
            }
        }
        let positiveTotal = positive.reduce(0, +), negativeTotal = negative.reduce(0, +)
        return zip(positive, negative).map { log(($0 / positiveTotal) / ($1 / negativeTotal)) }
    }
}
