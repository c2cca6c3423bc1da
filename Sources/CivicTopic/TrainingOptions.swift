/// Knobs for feature extraction, the linear model and the confidence threshold.
/// The defaults are the ones measured best by 5-fold cross-validation on the 12345 message set.
public struct TrainingOptions: Sendable, Codable, Equatable {
    /// Character n-gram lengths taken from the subject (title).
    public var subjectMinN = 1
    public var subjectMaxN = 3
    /// Character n-gram lengths taken from the detail (body).
    public var detailMinN = 1
    public var detailMaxN = 3
    /// Scale of the L2-normalised subject and detail blocks: the title says more per character.
    public var subjectWeight = 1.0
    public var detailWeight = 0.3
    /// Scale of a third block where subject and detail n-grams share one space, so words learned
    /// from long bodies also count when a message has only a title. 0 leaves it out.
    public var sharedWeight = 1.5
    /// N-grams seen in fewer training messages are dropped (keeps the model small, removes noise).
    /// Small training sets use less: at most one per 500 messages, so a few hundred
    /// hand-written examples keep every n-gram.
    public var minDocumentFrequency = 4
    /// Soft-margin cost of the one-vs-rest L2-loss linear SVM.
    public var cost = 0.5
    /// Share of a second, NB-SVM weight table (features scaled by |naive Bayes log-count ratio| per class) blended into the SVM's: an ensemble of two differently
    /// weighted linear models in one table, so prediction costs the same. 0 trains one SVM. Measured on the 12345
    /// set (two fold seeds): share 0.5 → macro-F1 0.9006 → 0.9012 and 0.9008 → 0.9032, auto coverage 77.7% → 79.8%
    /// and 77.5% → 79.7% at the same precision; with taxonomy markers 0.35/0.5/0.65 gave macro-F1 0.9031/0.9037/0.9012.
    /// Training takes about 1.2× as long; sets under `smallSetSize` messages train one SVM. (Averaging probabilities
    /// with an SVM on subject 2–4-grams, or on 1–4-grams at C 1, measured no gain.)
    public var naiveBayesBlend = 0.5
    /// Unlabelled messages passed to the trainer count in the document frequencies (idf and the
    /// minimum-frequency cut): more text than the labelled set, from the same population. Measured on the 12345 set with
    /// its 9,800 unlabelled messages: auto coverage 77.7% → 78.9% at the same precision, macro-F1 −0.1 point.
    public var unlabelledVocabulary = true
    /// With a taxonomy passed to the trainer, fields containing one of its phrases get a marker feature for the
    /// phrase's level-1 topic (`TaxonomyMarks`). Measured on the 12345 set with its 517-row catalogue, two fold
    /// seeds: macro-F1 0.9006 → 0.9011 and 0.9008 → 0.9030, auto coverage 77.7% → 78.6% and 77.5% → 78.3%
    /// at the same precision; about 60 µs more per message. Stronger markers (" X XX XXX") and extra markers for
    /// level-2 groups measured within noise of this, so not kept.
    public var taxonomyMarkers = true
    /// Dual coordinate descent stops after this many passes or when the projected gradient is this small.
    public var maxEpochs = 60
    public var tolerance = 0.05
    /// Folds of the internal cross-validation that fits the probability calibration and threshold.
    public var calibrationFolds = 5
    /// Training sets smaller than `smallSetSize` messages use at most this many folds: a hand-written
    /// example set (every intake node trains one at start) then trains in a fraction of a second even
    /// in debug builds, and each fold still holds several messages per topic.
    public var smallSetCalibrationFolds = 3
    public var smallSetSize = 1000
    /// What the auto-dispatch threshold is compared with (measured on the 12345 set: the log-odds margin
    /// dispatches 77.7% at 96.9% precision, the best probability 76.3% at 96.8%).
    public var confidenceMeasure = ConfidenceMeasure.logOddsMargin
    /// Messages at or above the chosen threshold should be at least this often right.
    public var targetPrecision = 0.97
    /// Seed for fold assignment and the coordinate-descent visiting order.
    public var seed: UInt64 = 42

    public init() {}

    var features: FeatureSettings { features(taxonomy: []) }

    /// Feature settings, with taxonomy markers when enabled and a usable taxonomy is given.
    func features(taxonomy: [TaxonomyEntry]) -> FeatureSettings {
        FeatureSettings(
            subjectMinN: subjectMinN, subjectMaxN: subjectMaxN, detailMinN: detailMinN, detailMaxN: detailMaxN,
            subjectWeight: subjectWeight, detailWeight: detailWeight, sharedWeight: sharedWeight,
            taxonomy: taxonomyMarkers ? TaxonomyMarks(taxonomy) : nil)
    }
}

/// The part of the options the model needs again at prediction time; saved in the model file.
struct FeatureSettings: Sendable, Codable, Equatable {
    var subjectMinN: Int
    var subjectMaxN: Int
    var detailMinN: Int
    var detailMaxN: Int
    var subjectWeight: Double
    var detailWeight: Double
    var sharedWeight: Double
    /// Absent in files written before taxonomy markers existed, and in models trained without a taxonomy.
    var taxonomy: TaxonomyMarks? = nil
}
