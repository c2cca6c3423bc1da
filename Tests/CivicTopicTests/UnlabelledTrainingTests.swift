import Foundation
import Testing
@testable import CivicTopic

/// Training with optional unlabelled history: vocabulary, duplicate filtering and self-training.
@Suite struct UnlabelledTrainingTests {
    static let history: [UnlabelledMessage] = [
        UnlabelledMessage(subject: "地铁站扶梯停运乘客只能爬楼梯", detail: "地铁二号线某站扶梯停运一周，乘客只能爬楼梯。"),
        UnlabelledMessage(subject: "地铁早高峰太挤希望加开班次", detail: "地铁早高峰站台排长队，希望缩短发车间隔。"),
        UnlabelledMessage(subject: "幼儿园收费太高", detail: "民办幼儿园每月收费三千多元，普通家庭负担不起。"),
        UnlabelledMessage(subject: "小区 垃圾 堆放 无人清理", detail: "垃圾桶满了好几天，臭味很大。"),
    ]

    @Test func unlabelledSubjectsEqualToLabelledOnesAreDropped() {
        let labelled = [LabeledMessage(subject: "小区垃圾堆放无人清理", label: "环境保护")]
        let kept = TopicTrainer.unseen(Self.history, besides: labelled.map(\.subject))
        #expect(kept.count == 3)
        #expect(!kept.contains { $0.subject.hasPrefix("小区") })
        #expect(TopicTrainer.unseen([], besides: ["x"]).isEmpty)
    }

    @Test func unlabelledTextExtendsTheVocabularyOnlyWhenEnabled() {
        var options = TrainingOptions()
        options.calibrationFolds = 0
        let examples = DefaultTopicExamples.messages
        let plain = TopicTrainer(options: options).train(examples)
        let withHistory = TopicTrainer(options: options).train(examples, unlabelled: Self.history)
        #expect(withHistory.featureCount > plain.featureCount)  // 地铁 and 幼儿园 n-grams are new
        options.unlabelledVocabulary = false
        let ignored = TopicTrainer(options: options).train(examples, unlabelled: Self.history)
        #expect(ignored.featureCount == plain.featureCount)
    }

    @Test func pseudoLabelsTakeTheMostConfidentShareWithTheirPredictedClass() {
        // Two classes separated by features 0 and 1.
        let svm = LinearSVM(weights: [1, -1, -1, 1], bias: [0, 0], classCount: 2)
        let rows = [
            SparseVector(indices: [0], values: [0.2]),  // class 0, margin 0.4
            SparseVector(indices: [1], values: [2]),  // class 1, margin 4
            SparseVector(indices: [0], values: [1]),  // class 0, margin 2
            SparseVector(indices: [0, 1], values: [1, 1]),  // tie, margin 0
        ]
        let picked = PseudoLabels.pick(rows: rows, model: svm, share: 0.5)
        #expect(picked.classes == [1, 0])
        #expect(picked.rows.map(\.values) == [[2], [1]])
        #expect(PseudoLabels.pick(rows: rows, model: svm, share: 0).rows.isEmpty)
    }

    @Test func selfTrainingStillPredictsEveryTopic() {
        var options = TrainingOptions()
        options.calibrationFolds = 0
        options.pseudoLabelWeight = 0.3
        options.pseudoLabelShare = 1
        let model = TopicTrainer(options: options).train(DefaultTopicExamples.messages, unlabelled: Self.history)
        #expect(model.labels == DefaultTopicExamples.labels.sorted())
        #expect(model.predict(subject: "公交车间隔太长每次等车要半小时").best.label == "交通运输")
        #expect(model.predict(subject: "老板拖欠我们三个月工资不发").best.label == "劳动和社会保障")
    }
}
