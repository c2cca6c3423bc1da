import Foundation

/// Precision, recall and F1 of one topic.
public struct ClassMetrics: Sendable, Codable, Equatable {
    public var precision: Double
    public var recall: Double
    public var f1: Double
    public var support: Int

    public init(precision: Double, recall: Double, f1: Double, support: Int) {
        self.precision = precision
        self.recall = recall
        self.f1 = f1
        self.support = support
    }
}

/// How well a model did on a set of messages, including how many it could dispatch on its own.
public struct Evaluation: Sendable, Equatable {
    public var n: Int
    public var accuracy: Double
    public var macroF1: Double
    public var perClass: [String: ClassMetrics]
    /// Share of messages at or above the model's threshold.
    public var autoCoverage: Double
    /// Accuracy among those messages (0 when there are none).
    public var autoPrecision: Double

    /// Computes the metrics from gold and predicted labels; `labels` lists every class to report.
    public init(gold: [String], predicted: [String], confident: [Bool], labels: [String]) {
        precondition(gold.count == predicted.count && gold.count == confident.count)
        n = gold.count
        let right = zip(gold, predicted).filter { $0 == $1 }.count
        accuracy = n == 0 ? 0 : Double(right) / Double(n)
        var perClass: [String: ClassMetrics] = [:]
        for label in Set(labels).union(gold) {
            let truePositive = zip(gold, predicted).filter { $0 == label && $1 == label }.count
            let predictedCount = predicted.filter { $0 == label }.count
            let support = gold.filter { $0 == label }.count
            let precision = predictedCount == 0 ? 0 : Double(truePositive) / Double(predictedCount)
            let recall = support == 0 ? 0 : Double(truePositive) / Double(support)
            let f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
            perClass[label] = ClassMetrics(precision: precision, recall: recall, f1: f1, support: support)
        }
        self.perClass = perClass
        macroF1 = perClass.isEmpty ? 0 : perClass.values.map(\.f1).reduce(0, +) / Double(perClass.count)
        let auto = confident.indices.filter { confident[$0] }
        autoCoverage = n == 0 ? 0 : Double(auto.count) / Double(n)
        autoPrecision = auto.isEmpty ? 0 : Double(auto.filter { gold[$0] == predicted[$0] }.count) / Double(auto.count)
    }

    /// One JSON object: n, accuracy, macro_f1, per_class {label: {precision, recall, f1, support}},
    /// auto_coverage, auto_precision. Keys are sorted so output is stable.
    public func jsonString() -> String {
        func number(_ value: Double) -> String { String(format: "%.6f", value) }
        func quoted(_ text: String) -> String {
            let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
            return String(decoding: data, as: UTF8.self)
        }
        let classes = perClass.keys.sorted().map { label in
            let m = perClass[label]!
            return "\(quoted(label)):{\"f1\":\(number(m.f1)),\"precision\":\(number(m.precision)),"
                + "\"recall\":\(number(m.recall)),\"support\":\(m.support)}"
        }
        return "{\"n\":\(n),\"accuracy\":\(number(accuracy)),\"macro_f1\":\(number(macroF1)),"
            + "\"per_class\":{\(classes.joined(separator: ","))},"
            + "\"auto_coverage\":\(number(autoCoverage)),\"auto_precision\":\(number(autoPrecision))}"
    }

    /// A plain-text report for terminals.
    public func table() -> String {
        func percent(_ value: Double) -> String { String(format: "%6.2f%%", value * 100) }
        let width = max(8, perClass.keys.map { $0.count * 2 }.max() ?? 8)  // CJK glyphs are double width
        func pad(_ label: String) -> String {
            let shown = label.unicodeScalars.reduce(0) { $0 + ($1.value > 0x2E80 ? 2 : 1) }
            return label + String(repeating: " ", count: max(0, width - shown))
        }
        var lines = [
            "messages        \(n)",
            "accuracy        \(percent(accuracy))",
            "macro-F1        \(percent(macroF1))",
            "auto coverage   \(percent(autoCoverage))  (confident, dispatched without a human)",
            "auto precision  \(percent(autoPrecision))",
            "",
            "\(pad("topic"))  precision   recall       F1  support",
        ]
        for label in perClass.keys.sorted() {
            let m = perClass[label]!
            lines.append("\(pad(label))  \(percent(m.precision)) \(percent(m.recall)) \(percent(m.f1))  \(String(format: "%7d", m.support))")
        }
        return lines.joined(separator: "\n")
    }
}
