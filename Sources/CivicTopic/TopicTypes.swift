import Foundation

/// One citizen message with its gold topic, as used for training and evaluation.
public struct LabeledMessage: Sendable, Hashable {
    public var subject: String
    public var detail: String
    public var label: String

    public init(subject: String, detail: String = "", label: String) {
        self.subject = subject
        self.detail = detail
        self.label = label
    }
}

/// A message without a topic: history the trainer may learn vocabulary and pseudo-labels from.
public struct UnlabelledMessage: Sendable, Hashable {
    public var subject: String
    public var detail: String

    public init(subject: String, detail: String = "") {
        self.subject = subject
        self.detail = detail
    }
}

/// A topic with its calibrated probability.
public struct TopicGuess: Sendable, Codable, Equatable {
    public var label: String
    public var probability: Double

    public init(label: String, probability: Double) {
        self.label = label
        self.probability = probability
    }
}

/// The classifier's answer for one message.
public struct TopicPrediction: Sendable, Equatable {
    /// The most probable topic.
    public var best: TopicGuess
    /// The three most probable topics, best first (fewer if the model knows fewer labels).
    public var top: [TopicGuess]
    /// `confidence >= threshold` of the model: safe to dispatch without a human.
    public var confident: Bool
    /// The value compared with the model's threshold, by the model's `ConfidenceMeasure`.
    public var confidence: Double

    public init(best: TopicGuess, top: [TopicGuess], confident: Bool, confidence: Double? = nil) {
        self.best = best
        self.top = top
        self.confident = confident
        self.confidence = confidence ?? best.probability
    }
}

/// What the auto-dispatch threshold is compared with.
public enum ConfidenceMeasure: String, Sendable, Codable, Equatable {
    /// The best topic's calibrated probability (0…1).
    case probability
    /// log(best probability / runner-up probability): how clearly the best topic beats the next one.
    /// Ranks messages better than `probability` on the 12345 set (more messages dispatched at 97%).
    case logOddsMargin

    /// The confidence of the prediction given by calibrated `probabilities` (any order).
    public func value(of probabilities: [Double]) -> Double {
        var first = 0.0, second = 0.0
        for p in probabilities {
            if p > first { (first, second) = (p, first) } else if p > second { second = p }
        }
        switch self {
        case .probability: return first
        case .logOddsMargin: return probabilities.count < 2 ? Double.greatestFiniteMagnitude / 2 : log(max(first, 1e-300) / max(second, 1e-300))
        }
    }

    /// The threshold that lets nothing through.
    var ceiling: Double { self == .probability ? 1 : Double.greatestFiniteMagnitude }
}
