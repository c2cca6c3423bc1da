/// Trains a `TopicModel`: fits features and SVM on all data, and fits the probability calibration
/// and the confidence threshold on internal cross-validation scores.
public struct TopicTrainer: Sendable {
    public var options: TrainingOptions

    public init(options: TrainingOptions = .init()) {
        self.options = options
    }

    /// `labelled` must hold at least one message; labels are taken from it (sorted).
    /// `unlabelled` is optional history without topics: its text counts in the document frequencies
    /// (`TrainingOptions.unlabelledVocabulary`); messages whose subject equals a labelled subject are ignored, as
    /// they are the same postings. `taxonomy` is an optional official topic catalogue (`TrainingOptions.taxonomyMarkers`).
    public func train(
        _ labelled: [LabeledMessage], unlabelled: [UnlabelledMessage] = [], taxonomy: [TaxonomyEntry] = []
    ) -> TopicModel {
        precondition(!labelled.isEmpty, "cannot train a topic model without messages")
        let labels = Array(Set(labelled.map(\.label))).sorted()
        let labelIndex = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        let settings = options.features(taxonomy: taxonomy)
        let extractor = NGramExtractor(settings: settings)
        let tokenized = labelled.map { extractor.tokenize(subject: $0.subject, detail: $0.detail) }
        let extra = Self.unseen(unlabelled, besides: labelled.map(\.subject))
            .map { extractor.tokenize(subject: $0.subject, detail: $0.detail) }
        return train(
            tokenized: tokenized, subjects: labelled.map(\.subject), classes: labelled.map { labelIndex[$0.label]! },
            labels: labels, settings: settings, unlabelled: extra)
    }

    /// The unlabelled messages whose subject (whitespace removed) is not among `subjects`.
    static func unseen(_ unlabelled: [UnlabelledMessage], besides subjects: [String]) -> [UnlabelledMessage] {
        guard !unlabelled.isEmpty else { return [] }
        let known = Set(subjects.map(GroupedFolds.groupKey))
        return unlabelled.filter { !known.contains(GroupedFolds.groupKey($0.subject)) }
    }

    /// Core path shared with cross-validation, which tokenizes each message only once.
    func train(
        tokenized: [TokenizedMessage], subjects: [String], classes: [Int], labels: [String], settings: FeatureSettings,
        unlabelled: [TokenizedMessage] = []
    ) -> TopicModel {
        // The unlabelled text is the same for every fit below: count it once.
        var background = DocumentFrequencies()
        if options.unlabelledVocabulary { background.add(unlabelled) }
        // The blend doubles SVM training: hand-written example sets (small) skip it to train in a blink.
        let blend = tokenized.count >= options.smallSetSize ? options.naiveBayesBlend : 0
        let (space, svm) = fit(
            tokenized: tokenized, classes: classes, classCount: labels.count, settings: settings,
            background: background, blend: blend)
        let folds = min(
            tokenized.count < options.smallSetSize
                ? min(options.calibrationFolds, options.smallSetCalibrationFolds) : options.calibrationFolds,
            tokenized.count)
        guard folds >= 2, labels.count >= 2 else {
            return TopicModel(
                labels: labels, space: space, svm: svm, calibrationScales: [1, 1],
                threshold: options.confidenceMeasure.ceiling, confidenceMeasure: options.confidenceMeasure)
        }
        // Out-of-fold decision values: what the model says about messages it has not seen.
        let assignment = GroupedFolds.assign(subjects: subjects, labels: classes, folds: folds, seed: options.seed)
        var outOfFold = [[Double]](repeating: [], count: tokenized.count)
        for fold in 0..<folds {
            let trainRows = tokenized.indices.filter { assignment[$0] != fold }
            let testRows = tokenized.indices.filter { assignment[$0] == fold }
            guard !trainRows.isEmpty, !testRows.isEmpty else { continue }
            let (foldSpace, foldSVM) = fit(
                tokenized: trainRows.map { tokenized[$0] }, classes: trainRows.map { classes[$0] },
                classCount: labels.count, settings: settings, background: background, blend: blend)
            for row in testRows { outOfFold[row] = foldSVM.scores(foldSpace.vectorize(tokenized[row])) }
        }
        let scored = outOfFold.indices.filter { !outOfFold[$0].isEmpty }
        let shared = Calibration.fitScale(scores: scored.map { outOfFold[$0] }, labels: scored.map { classes[$0] })
        // One scale for every message; the model file keeps a slot for title-only messages and one for messages with
        // a detail (a separate title-only scale was measured and not kept: docs/classifier.md) until its next version.
        let scales = [shared, shared]
        var confidences: [Double] = []
        var correct: [Bool] = []
        for row in scored {
            let p = Calibration.softmax(outOfFold[row], scale: scales[tokenized[row].hasDetail ? 1 : 0])
            let best = p.indices.max { p[$0] < p[$1] }!
            confidences.append(options.confidenceMeasure.value(of: p))
            correct.append(best == classes[row])
        }
        let threshold = Calibration.threshold(
            probabilities: confidences, correct: correct, targetPrecision: options.targetPrecision,
            ceiling: options.confidenceMeasure.ceiling)
        return TopicModel(
            labels: labels, space: space, svm: svm, calibrationScales: scales, threshold: threshold,
            confidenceMeasure: options.confidenceMeasure)
    }

    private func fit(
        tokenized: [TokenizedMessage], classes: [Int], classCount: Int, settings: FeatureSettings,
        background: DocumentFrequencies, blend: Double
    ) -> (FeatureSpace, LinearSVM) {
        let documents = tokenized.count + background.documents
        let minimumFrequency = max(1, min(options.minDocumentFrequency, documents / 500))
        let space = FeatureSpace.fit(tokenized, settings: settings, minDocumentFrequency: minimumFrequency, background: background)
        let svm = trainSVM(rows: tokenized.map(space.vectorize), classes: classes, classCount: classCount, featureCount: space.count, blend: blend)
        return (space, svm)
    }

    private func trainSVM(rows: [SparseVector], classes: [Int], classCount: Int, featureCount: Int, blend: Double) -> LinearSVM {
        func train(naiveBayesPower: Double) -> LinearSVM {
            LinearSVM.train(
                rows: rows, labels: classes, classCount: classCount, featureCount: featureCount,
                cost: options.cost, maxEpochs: options.maxEpochs, tolerance: options.tolerance, seed: options.seed,
                naiveBayesPower: naiveBayesPower)
        }
        let svm = train(naiveBayesPower: 0)
        guard blend > 0 else { return svm }
        return svm.blended(with: train(naiveBayesPower: 1), share: blend)
    }
}
