/// A trained topic classifier: character n-gram TF-IDF, one-vs-rest linear SVM, softmax calibration
/// and a confidence threshold. Immutable after training, so one instance can serve every thread.
public final class TopicModel: Sendable {
    /// Topic names, in the order of the model's classes (sorted).
    public let labels: [String]
    /// Predictions with `best.probability >= threshold` are marked confident.
    public let threshold: Double
    /// Softmax scale applied to the SVM decision values (fit on out-of-fold scores).
    public let calibrationScale: Double

    let space: FeatureSpace
    let svm: LinearSVM
    private let extractor: NGramExtractor

    init(labels: [String], space: FeatureSpace, svm: LinearSVM, calibrationScale: Double, threshold: Double) {
        precondition(!labels.isEmpty && svm.classCount == labels.count)
        precondition(svm.weights.count == space.count * labels.count)
        self.labels = labels
        self.space = space
        self.svm = svm
        self.calibrationScale = calibrationScale
        self.threshold = threshold
        self.extractor = NGramExtractor(settings: space.settings)
    }

    /// Number of n-gram features the model kept.
    public var featureCount: Int { space.count }

    /// Calibrated probability of every label, in `labels` order.
    public func probabilities(subject: String, detail: String) -> [Double] {
        Calibration.softmax(decisionValues(subject: subject, detail: detail), scale: calibrationScale)
    }

    public func predict(subject: String, detail: String = "") -> TopicPrediction {
        predict(tokenized: extractor.tokenize(subject: subject, detail: detail))
    }

    func predict(tokenized: TokenizedMessage) -> TopicPrediction {
        let scores = svm.scores(space.vectorize(tokenized))
        let ranked = zip(labels, Calibration.softmax(scores, scale: calibrationScale))
            .map { TopicGuess(label: $0.0, probability: $0.1) }
            .sorted { $0.probability != $1.probability ? $0.probability > $1.probability : $0.label < $1.label }
        let best = ranked[0]
        return TopicPrediction(best: best, top: Array(ranked.prefix(3)), confident: best.probability >= threshold)
    }

    /// The same model with another confidence threshold (e.g. a stricter local policy).
    public func withThreshold(_ newThreshold: Double) -> TopicModel {
        TopicModel(labels: labels, space: space, svm: svm, calibrationScale: calibrationScale, threshold: newThreshold)
    }

    /// Raw one-vs-rest SVM decision values, in `labels` order.
    func decisionValues(subject: String, detail: String) -> [Double] {
        svm.scores(space.vectorize(extractor.tokenize(subject: subject, detail: detail)))
    }
}
