import CivicSupport
import Foundation
import SharedTestData
import Testing
@testable import CivicTopic

/// Sanity check on the real 12345 message set, when the shared data directory exists on this machine.
/// The data is never copied into the project; the headline 5-fold figure comes from `classify cv`.
@Suite struct RealDataTests {
    @Test(.enabled(if: SharedData.available("messages_labelled.csv"), Comment(rawValue: SharedData.missing("messages_labelled.csv"))))
    func heldOutFifthReachesSanityFloor() throws {
        let all = try MessageCSV.load(path: SharedData.path("messages_labelled.csv"))
        #expect(all.count > 7000)
        // A fixed subsample keeps debug-build time low; repeat subjects stay on one side of the split.
        var random = SplitMix64(seed: 3)
        let sample = Array(all.shuffled(using: &random).prefix(2500))
        let labels = Array(Set(sample.map(\.label))).sorted()
        let classes = sample.map { labels.firstIndex(of: $0.label)! }
        let folds = GroupedFolds.assign(subjects: sample.map(\.subject), labels: classes, folds: 5, seed: 42)
        let train = sample.indices.filter { folds[$0] != 0 }.map { sample[$0] }
        let test = sample.indices.filter { folds[$0] == 0 }.map { sample[$0] }
        var options = TrainingOptions()
        options.calibrationFolds = 0  // skip the threshold search here: only accuracy is checked
        options.maxEpochs = 25  // debug builds are slow; the solver is close to converged by then
        let model = TopicTrainer(options: options).train(train)
        let evaluation = TopicEvaluation.evaluate(model: model, on: test)
        print("real data, \(train.count) train / \(test.count) test: accuracy \(evaluation.accuracy), macro-F1 \(evaluation.macroF1)")
        #expect(evaluation.macroF1 >= 0.85)
    }
}
