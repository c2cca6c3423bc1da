/// Trains a `TopicModel`: fits features and SVM on all data, and fits the probability calibration
/// and the confidence threshold on internal cross-validation scores.
public struct TopicTrainer: Sendable {
    public var options: TrainingOptions

    public init(options: TrainingOptions = .init()) {
        self.options = options
    }

    /// `data` must hold at least one message; labels are taken from it (sorted).
    public func train(_ data: [LabeledMessage]) -> TopicModel {
        precondition(!data.isEmpty, "cannot train a topic model without messages")
        let labels = Array(Set(data.map(\.label))).sorted()
        let labelIndex = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        let extractor = NGramExtractor(settings: options.features)
        let tokenized = data.map { extractor.tokenize(subject: $0.subject, detail: $0.detail) }
        return train(
            tokenized: tokenized, subjects: data.map(\.subject), classes: data.map { labelIndex[$0.label]! },
            labels: labels)
    }

    /// Core path shared with cross-validation, which tokenizes each message only once.
    func train(tokenized: [TokenizedMessage], subjects: [String], classes: [Int], labels: [String]) -> TopicModel {
        let (space, svm) = fit(tokenized: tokenized, classes: classes, classCount: labels.count)
        let folds = min(options.calibrationFolds, tokenized.count)
        guard folds >= 2, labels.count >= 2 else {
            return TopicModel(labels: labels, space: space, svm: svm, calibrationScales: [1, 1], threshold: 1)
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
                classCount: labels.count)
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
        var probabilities: [Double] = []
        var correct: [Bool] = []
        for row in scored {
            let p = Calibration.softmax(outOfFold[row], scale: scales[tokenized[row].hasDetail ? 1 : 0])
            let best = p.indices.max { p[$0] < p[$1] }!
            probabilities.append(p[best])
            correct.append(best == classes[row])
        }
        let threshold = Calibration.threshold(
            probabilities: probabilities, correct: correct, targetPrecision: options.targetPrecision)
        return TopicModel(labels: labels, space: space, svm: svm, calibrationScales: scales, threshold: threshold)
    }

    private func fit(tokenized: [TokenizedMessage], classes: [Int], classCount: Int) -> (FeatureSpace, LinearSVM) {
        let minimumFrequency = max(1, min(options.minDocumentFrequency, tokenized.count / 500))
        let space = FeatureSpace.fit(tokenized, settings: options.features, minDocumentFrequency: minimumFrequency)
        var rows = tokenized.map(space.vectorize)
        var rowClasses = classes
        if options.addSubjectOnlyCopies {
            for (message, label) in zip(tokenized, classes) where message.hasDetail {
                rows.append(space.vectorize(message.subjectOnly))
                rowClasses.append(label)
            }
        }
        let svm = LinearSVM.train(
            rows: rows, labels: rowClasses, classCount: classCount, featureCount: space.count,
            cost: options.cost, maxEpochs: options.maxEpochs, tolerance: options.tolerance, seed: options.seed,
            naiveBayesPower: options.naiveBayesPower, positiveCostFactor: options.positiveCostFactor)
        return (space, svm)
    }
}
