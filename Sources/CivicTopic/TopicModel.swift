/// A trained topic classifier: character n-gram TF-IDF, one-vs-rest linear SVM, softmax calibration
/// and a confidence threshold. Immutable after training, so one instance can serve every thread.
public final class TopicModel: Sendable {
    /// Topic names, in the order of the model's classes (sorted).
    public let labels: [String]
    /// Predictions whose confidence (by `confidenceMeasure`) reaches this are marked confident.
    public let threshold: Double
    public let confidenceMeasure: ConfidenceMeasure
    /// Softmax scales applied to the SVM decision values, fit on out-of-fold scores:
    /// `[title only, title and detail]`. Title-only messages are harder, so they get their own.
    public let calibrationScales: [Double]

    let space: FeatureSpace
    let svm: LinearSVM
    private let extractor: NGramExtractor

    init(
        labels: [String], space: FeatureSpace, svm: LinearSVM, calibrationScales: [Double], threshold: Double,
        confidenceMeasure: ConfidenceMeasure
    ) {
        precondition(calibrationScales.count == 2)
        precondition(!labels.isEmpty && svm.classCount == labels.count)
        precondition(svm.weights.count == space.count * labels.count)
        self.labels = labels
        self.space = space
        self.svm = svm
        self.calibrationScales = calibrationScales
        self.threshold = threshold
        self.confidenceMeasure = confidenceMeasure
        self.extractor = NGramExtractor(settings: space.settings)
    }

    /// Number of n-gram features the model kept.
    public var featureCount: Int { space.count }

    /// Number of taxonomy phrases the model marks in messages (0 when trained without a taxonomy).
    public var taxonomyPhraseCount: Int { space.settings.taxonomy?.phrases.count ?? 0 }

    /// Calibrated probability of every label, in `labels` order.
    public func probabilities(subject: String, detail: String) -> [Double] {
        probabilities(tokenized: extractor.tokenize(subject: subject, detail: detail, known: space.indexOf))
    }

    func probabilities(tokenized: TokenizedMessage) -> [Double] {
        Calibration.softmax(svm.scores(space.vectorize(tokenized)), scale: calibrationScales[tokenized.hasDetail ? 1 : 0])
    }

    public func predict(subject: String, detail: String = "") -> TopicPrediction {
        predict(tokenized: extractor.tokenize(subject: subject, detail: detail, known: space.indexOf))
    }

    func predict(tokenized: TokenizedMessage) -> TopicPrediction {
        let probabilities = probabilities(tokenized: tokenized)
        let confidence = confidenceMeasure.value(of: probabilities)
        let ranked = zip(labels, probabilities)
            .map { TopicGuess(label: $0.0, probability: $0.1) }
            .sorted { $0.probability != $1.probability ? $0.probability > $1.probability : $0.label < $1.label }
        let best = ranked[0]
        return TopicPrediction(best: best, top: Array(ranked.prefix(3)), confident: confidence >= threshold,
            confidence: confidence)
    }

    /// The same model with another confidence threshold (e.g. a stricter local policy).
    public func withThreshold(_ newThreshold: Double) -> TopicModel {
        TopicModel(labels: labels, space: space, svm: svm, calibrationScales: calibrationScales, threshold: newThreshold,
            confidenceMeasure: confidenceMeasure)
    }
}
