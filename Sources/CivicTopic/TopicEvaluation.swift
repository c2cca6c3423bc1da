/// Measures topic models on labelled messages.
public enum TopicEvaluation {
    /// Scores `model` on `data`; a message counts as auto-dispatched when its prediction is confident.
    public static func evaluate(model: TopicModel, on data: [LabeledMessage]) -> Evaluation {
        let predictions = data.map { model.predict(subject: $0.subject, detail: $0.detail) }
        return Evaluation(
            gold: data.map(\.label), predicted: predictions.map(\.best.label),
            confident: predictions.map(\.confident), labels: model.labels)
    }

    /// Stratified k-fold cross-validation with repeat subjects kept in one fold. Each fold's model
    /// picks its own threshold by internal cross-validation on its training part only, so the
    /// auto coverage and precision reported here are honest out-of-sample figures.
    public static func crossValidate(
        _ data: [LabeledMessage], folds: Int, seed: UInt64 = 42, options: TrainingOptions = .init(),
        unlabelled: [UnlabelledMessage] = [], taxonomy: [TaxonomyEntry] = []
    ) -> Evaluation {
        let predictions = outOfFoldPredictions(
            data, folds: folds, seed: seed, options: options, unlabelled: unlabelled, taxonomy: taxonomy)
        return Evaluation(
            gold: data.map(\.label), predicted: predictions.map(\.best.label),
            confident: predictions.map(\.confident), labels: Array(Set(data.map(\.label))).sorted())
    }

    /// The prediction for every message by the fold model that did not see it, in `data` order
    /// (for error analysis and for choosing thresholds). Unlabelled messages whose subject occurs
    /// anywhere in `data` are dropped first, so no test message reaches training even without its label.
    public static func outOfFoldPredictions(
        _ data: [LabeledMessage], folds: Int, seed: UInt64 = 42, options: TrainingOptions = .init(),
        unlabelled: [UnlabelledMessage] = [], taxonomy: [TaxonomyEntry] = []
    ) -> [TopicPrediction] {
        precondition(folds >= 2 && data.count >= folds, "cross-validation needs at least 2 folds and a message per fold")
        let labels = Array(Set(data.map(\.label))).sorted()
        let labelIndex = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        let classes = data.map { labelIndex[$0.label]! }
        let subjects = data.map(\.subject)
        let settings = options.features(taxonomy: taxonomy)
        let extractor = NGramExtractor(settings: settings)
        let tokenized = data.map { extractor.tokenize(subject: $0.subject, detail: $0.detail) }
        let extra = TopicTrainer.unseen(unlabelled, besides: subjects)
            .map { extractor.tokenize(subject: $0.subject, detail: $0.detail) }
        let assignment = GroupedFolds.assign(subjects: subjects, labels: classes, folds: folds, seed: seed)
        let trainer = TopicTrainer(options: options)
        var predictions: [TopicPrediction?] = Array(repeating: nil, count: data.count)
        for fold in 0..<folds {
            let trainRows = data.indices.filter { assignment[$0] != fold }
            let model = trainer.train(
                tokenized: trainRows.map { tokenized[$0] }, subjects: trainRows.map { subjects[$0] },
                classes: trainRows.map { classes[$0] }, labels: labels, settings: settings, unlabelled: extra)
            for row in data.indices where assignment[row] == fold {
                predictions[row] = model.predict(tokenized: tokenized[row])
            }
        }
        return predictions.map { $0! }
    }
}
