/// Trains a `TopicModel`: fits features and SVM on all data, and fits the probability calibration
/// and the confidence threshold on internal cross-validation scores.
public struct TopicTrainer: Sendable {
    public var options: TrainingOptions

    public init(options: TrainingOptions = .init()) {
        self.options = options
    }

    /// `labelled` must hold at least one message; labels are taken from it (sorted).
    /// `unlabelled` is optional history without topics (see `TrainingOptions.pseudoLabelWeight`);
    /// messages whose subject equals a labelled subject are ignored, as they are the same postings.
    public func train(_ labelled: [LabeledMessage], unlabelled: [UnlabelledMessage] = []) -> TopicModel {
        precondition(!labelled.isEmpty, "cannot train a topic model without messages")
        let labels = Array(Set(labelled.map(\.label))).sorted()
        let labelIndex = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        let extractor = NGramExtractor(settings: options.features)
        let tokenized = labelled.map { extractor.tokenize(subject: $0.subject, detail: $0.detail) }
        let extra = Self.unseen(unlabelled, besides: labelled.map(\.subject))
            .map { extractor.tokenize(subject: $0.subject, detail: $0.detail) }
        return train(
            tokenized: tokenized, subjects: labelled.map(\.subject), classes: labelled.map { labelIndex[$0.label]! },
            labels: labels, unlabelled: extra)
    }

    /// The unlabelled messages whose subject (whitespace removed) is not among `subjects`.
    static func unseen(_ unlabelled: [UnlabelledMessage], besides subjects: [String]) -> [UnlabelledMessage] {
        guard !unlabelled.isEmpty else { return [] }
        let known = Set(subjects.map(GroupedFolds.groupKey))
        return unlabelled.filter { !known.contains(GroupedFolds.groupKey($0.subject)) }
    }

    /// Core path shared with cross-validation, which tokenizes each message only once.
    func train(
        tokenized: [TokenizedMessage], subjects: [String], classes: [Int], labels: [String],
        unlabelled: [TokenizedMessage] = []
    ) -> TopicModel {
        // The unlabelled text is the same for every fit below: count it once.
        var background = DocumentFrequencies()
        if options.unlabelledVocabulary { background.add(unlabelled) }
        let (space, svm) = fit(
            tokenized: tokenized, classes: classes, classCount: labels.count, unlabelled: unlabelled, background: background)
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
                classCount: labels.count, unlabelled: unlabelled, background: background)
            for row in testRows { outOfFold[row] = foldSVM.scores(foldSpace.vectorize(tokenized[row])) }
        }
        let scored = outOfFold.indices.filter { !outOfFold[$0].isEmpty }
        let shared = Calibration.fitScale(scores: scored.map { outOfFold[$0] }, labels: scored.map { classes[$0] })
        var scales = [shared, shared]
        if options.calibrateTitleOnlySeparately {
            for (slot, withDetail) in [(0, false), (1, true)] {
                let group = scored.filter { tokenized[$0].hasDetail == withDetail }
                guard group.count >= 50 else { continue }  // too few to fit alone: keep the shared scale
                scales[slot] = Calibration.fitScale(scores: group.map { outOfFold[$0] }, labels: group.map { classes[$0] })
            }
        }
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
        tokenized: [TokenizedMessage], classes: [Int], classCount: Int, unlabelled: [TokenizedMessage],
        background: DocumentFrequencies
    ) -> (FeatureSpace, LinearSVM) {
        let documents = tokenized.count + background.documents
        let minimumFrequency = max(1, min(options.minDocumentFrequency, documents / 500))
        let space = FeatureSpace.fit(
            tokenized, settings: options.features, minDocumentFrequency: minimumFrequency, background: background)
        var rows = tokenized.map(space.vectorize)
        var rowClasses = classes
        if options.addSubjectOnlyCopies {
            for (message, label) in zip(tokenized, classes) where message.hasDetail {
                rows.append(space.vectorize(message.subjectOnly))
                rowClasses.append(label)
            }
        }
        let svm = trainSVM(rows: rows, classes: rowClasses, classCount: classCount, featureCount: space.count)
        guard options.pseudoLabelWeight > 0, options.pseudoLabelShare > 0, !unlabelled.isEmpty else { return (space, svm) }
        let pseudo = PseudoLabels.pick(
            rows: unlabelled.map(space.vectorize), model: svm, share: options.pseudoLabelShare)
        let weights = [Double](repeating: 1, count: rows.count)
            + [Double](repeating: options.pseudoLabelWeight, count: pseudo.rows.count)
        let retrained = trainSVM(
            rows: rows + pseudo.rows, classes: rowClasses + pseudo.classes, classCount: classCount,
            featureCount: space.count, instanceWeights: weights)
        return (space, retrained)
    }

    private func trainSVM(
        rows: [SparseVector], classes: [Int], classCount: Int, featureCount: Int, instanceWeights: [Double]? = nil
    ) -> LinearSVM {
        LinearSVM.train(
            rows: rows, labels: classes, classCount: classCount, featureCount: featureCount,
            cost: options.cost, maxEpochs: options.maxEpochs, tolerance: options.tolerance, seed: options.seed,
            naiveBayesPower: options.naiveBayesPower, positiveCostFactor: options.positiveCostFactor,
            instanceWeights: instanceWeights)
    }
}
