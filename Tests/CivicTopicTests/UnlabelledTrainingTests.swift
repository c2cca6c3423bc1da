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

    @Test func unlabelledTextChangesIdfButAddsNoFeatures() {
        var options = TrainingOptions()
        options.calibrationFolds = 0
        let examples = DefaultTopicExamples.messages
        let subject = "地铁站的幼儿园广告太多"
        let plain = TopicTrainer(options: options).train(examples)
        let withHistory = TopicTrainer(options: options).train(examples, unlabelled: Self.history)
        // 地铁 n-grams occur only in the history: no weight could be learned for them, so no features.
        #expect(withHistory.featureCount == plain.featureCount)
        #expect(withHistory.probabilities(subject: subject, detail: "") != plain.probabilities(subject: subject, detail: ""))
        options.unlabelledVocabulary = false
        let ignored = TopicTrainer(options: options).train(examples, unlabelled: Self.history)
        #expect(ignored.probabilities(subject: subject, detail: "") == plain.probabilities(subject: subject, detail: ""))
    }

    @Test func historyCountsInDocumentFrequencies() throws {
        let settings = TrainingOptions().features
        let extractor = NGramExtractor(settings: settings)
        let labelled = ["路灯不亮", "路灯很暗", "公交太挤"].map { extractor.tokenize(subject: $0, detail: "") }
        let history = (0..<3).map { _ in extractor.tokenize(subject: "路灯不亮了吗", detail: "") }
        var background = DocumentFrequencies()
        background.add(history)
        #expect(background.documents == 3)
        let alone = FeatureSpace.fit(labelled, settings: settings, minDocumentFrequency: 2)
        let mixed = FeatureSpace.fit(labelled, settings: settings, minDocumentFrequency: 2, background: background)
        // 不亮 occurs once among the labelled messages: below the cut alone, above it with the history.
        #expect(mixed.count > alone.count)
        // 吗 occurs only in the history: never a feature.
        let labelledKeys = Set(labelled.flatMap { $0.subject.map(\.key) + $0.shared.map(\.key) })
        #expect(Set(mixed.keys).isSubset(of: labelledKeys))
        // 路灯 is in most of the history too, so it becomes more common and its idf falls.
        for (position, key) in alone.keys.enumerated() {
            let other = try #require(mixed.keys.firstIndex(of: key))
            #expect(mixed.idf[other] < alone.idf[position])
        }
    }
}
