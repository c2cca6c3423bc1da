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
    /// `taxonomy` is an optional official topic catalogue (see `TrainingOptions.taxonomyExampleWeight`).
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
            labels: labels, settings: settings, unlabelled: extra,
            taxonomy: taxonomyRows(taxonomy, labels: labels, extractor: extractor))
    }

    /// The taxonomy's phrases as tokenized title-only messages with their class; none when the weight is 0.
    func taxonomyRows(_ taxonomy: [TaxonomyEntry], labels: [String], extractor: NGramExtractor) -> TaxonomyRows {
        guard options.taxonomyExampleWeight > 0 else { return TaxonomyRows() }
        let examples = TaxonomyExamples.make(from: taxonomy, labels: labels)
        return TaxonomyRows(
            messages: examples.map { extractor.tokenize(subject: $0.phrase, detail: "") }, classes: examples.map(\.label))
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
        unlabelled: [TokenizedMessage] = [], taxonomy: TaxonomyRows = .init()
    ) -> TopicModel {
        // The unlabelled text is the same for every fit below: count it once.
        var background = DocumentFrequencies()
        if options.unlabelledVocabulary { background.add(unlabelled) }
        // The blend doubles SVM training: hand-written example sets (small) skip it to train in a blink.
        let blend = tokenized.count >= options.smallSetSize ? options.naiveBayesBlend : 0
        let (space, svm) = fit(
            tokenized: tokenized, classes: classes, classCount: labels.count, settings: settings, unlabelled: unlabelled,
            background: background, taxonomy: taxonomy, blend: blend)
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
                classCount: labels.count, settings: settings, unlabelled: unlabelled, background: background,
                taxonomy: taxonomy, blend: blend)
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
        tokenized: [TokenizedMessage], classes: [Int], classCount: Int, settings: FeatureSettings,
        unlabelled: [TokenizedMessage], background: DocumentFrequencies, taxonomy: TaxonomyRows, blend: Double
    ) -> (FeatureSpace, LinearSVM) {
        let documents = tokenized.count + background.documents
        let minimumFrequency = max(1, min(options.minDocumentFrequency, documents / 500))
        let space = FeatureSpace.fit(
            tokenized + taxonomy.messages, settings: settings, minDocumentFrequency: minimumFrequency,
            background: background)
        var rows = tokenized.map(space.vectorize)
        var rowClasses = classes
        var weights: [Double]? = nil
        if !taxonomy.messages.isEmpty {
            weights = [Double](repeating: 1, count: rows.count)
                + [Double](repeating: options.taxonomyExampleWeight, count: taxonomy.messages.count)
            rows += taxonomy.messages.map(space.vectorize)
            rowClasses += taxonomy.classes
        }
        if options.addSubjectOnlyCopies {
            for (message, label) in zip(tokenized, classes) where message.hasDetail {
                rows.append(space.vectorize(message.subjectOnly))
                rowClasses.append(label)
                weights?.append(1)
            }
        }
        let svm = trainSVM(
            rows: rows, classes: rowClasses, classCount: classCount, featureCount: space.count, instanceWeights: weights,
            blend: blend)
        guard options.pseudoLabelWeight > 0, options.pseudoLabelShare > 0, !unlabelled.isEmpty else { return (space, svm) }
        let pseudo = PseudoLabels.pick(
            rows: unlabelled.map(space.vectorize), model: svm, share: options.pseudoLabelShare)
        let allWeights = (weights ?? [Double](repeating: 1, count: rows.count))
            + [Double](repeating: options.pseudoLabelWeight, count: pseudo.rows.count)
        let retrained = trainSVM(
            rows: rows + pseudo.rows, classes: rowClasses + pseudo.classes, classCount: classCount,
            featureCount: space.count, instanceWeights: allWeights, blend: blend)
        return (space, retrained)
    }

    private func trainSVM(
        rows: [SparseVector], classes: [Int], classCount: Int, featureCount: Int, instanceWeights: [Double]?, blend: Double
    ) -> LinearSVM {
        func train(naiveBayesPower: Double) -> LinearSVM {
            LinearSVM.train(
                rows: rows, labels: classes, classCount: classCount, featureCount: featureCount,
                cost: options.cost, maxEpochs: options.maxEpochs, tolerance: options.tolerance, seed: options.seed,
                naiveBayesPower: naiveBayesPower, positiveCostFactor: options.positiveCostFactor,
                instanceWeights: instanceWeights)
        }
        let svm = train(naiveBayesPower: options.naiveBayesPower)
        guard blend > 0 else { return svm }
        return svm.blended(with: train(naiveBayesPower: 1), share: blend)
    }
}

/// Taxonomy phrases as training rows, the same for every fit of one training run.
struct TaxonomyRows: Sendable {
    var messages: [TokenizedMessage] = []
    var classes: [Int] = []
}
