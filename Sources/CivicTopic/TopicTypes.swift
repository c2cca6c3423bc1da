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
    /// `best.probability >= threshold` of the model: safe to dispatch without a human.
    public var confident: Bool

    public init(best: TopicGuess, top: [TopicGuess], confident: Bool) {
        self.best = best
        self.top = top
        self.confident = confident
    }
}
