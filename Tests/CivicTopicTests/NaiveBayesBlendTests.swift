import Testing
@testable import CivicTopic

/// The SVM + NB-SVM blend: one weight table, skipped for small hand-written sets.
@Suite struct NaiveBayesBlendTests {
    @Test func blendIsTheWeightedAverageOfBothTables() {
        let a = LinearSVM(weights: [1, 2, 3, 4], bias: [0, 1], classCount: 2)
        let b = LinearSVM(weights: [3, 2, 1, 0], bias: [2, -1], classCount: 2)
        let mixed = a.blended(with: b, share: 0.25)
        #expect(mixed.weights == [1.5, 2, 2.5, 3])
        #expect(mixed.bias == [0.5, 0.5])
        let row = SparseVector(indices: [1], values: [2])
        let expected = zip(a.scores(row), b.scores(row)).map { 0.75 * $0 + 0.25 * $1 }
        #expect(mixed.scores(row) == expected)
    }

    @Test func blendAppliesFromTheSmallSetSizeOn() {
        let examples = DefaultTopicExamples.messages
        let subject = "小区门口垃圾成堆无人清理"
        var options = TrainingOptions()
        options.naiveBayesBlend = 0
        options.calibrationFolds = 3  // as small sets use, so only the blend differs below
        let single = TopicTrainer(options: options).train(examples).probabilities(subject: subject, detail: "")
        options.naiveBayesBlend = 0.5
        // The examples are fewer than `smallSetSize`: one SVM, same model.
        #expect(examples.count < options.smallSetSize)
        #expect(TopicTrainer(options: options).train(examples).probabilities(subject: subject, detail: "") == single)
        options.smallSetSize = 10
        let blended = TopicTrainer(options: options).train(examples).probabilities(subject: subject, detail: "")
        #expect(blended != single)
        #expect(abs(blended.reduce(0, +) - 1) < 1e-9)
    }
}
