import Foundation
import Testing
@testable import CivicTopic

@Suite struct EvaluationTests {
    @Test func metricsMatchHandCountedValues() {
        let evaluation = Evaluation(
            gold: ["a", "a", "a", "b", "b", "c"],
            predicted: ["a", "a", "b", "b", "a", "c"],
            confident: [true, true, true, false, false, true],
            labels: ["a", "b", "c"])
        #expect(evaluation.n == 6)
        #expect(abs(evaluation.accuracy - 4.0 / 6) < 1e-12)
        let a = evaluation.perClass["a"]!
        #expect(abs(a.precision - 2.0 / 3) < 1e-12 && abs(a.recall - 2.0 / 3) < 1e-12 && a.support == 3)
        let b = evaluation.perClass["b"]!
        #expect(abs(b.precision - 0.5) < 1e-12 && abs(b.recall - 0.5) < 1e-12)
        #expect(evaluation.perClass["c"]!.f1 == 1)
        #expect(abs(evaluation.macroF1 - (2.0 / 3 + 0.5 + 1) / 3) < 1e-12)
        #expect(abs(evaluation.autoCoverage - 4.0 / 6) < 1e-12)
        #expect(abs(evaluation.autoPrecision - 3.0 / 4) < 1e-12)
    }

    @Test func jsonHasTheDocumentedKeys() throws {
        let evaluation = Evaluation(gold: ["城乡建设", "交通运输"], predicted: ["城乡建设", "城乡建设"],
                                    confident: [true, false], labels: ["城乡建设", "交通运输"])
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(evaluation.jsonString().utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["n", "accuracy", "macro_f1", "per_class", "auto_coverage", "auto_precision"])
        #expect(object["n"] as? Int == 2)
        let perClass = try #require(object["per_class"] as? [String: [String: Any]])
        #expect(Set(perClass.keys) == ["城乡建设", "交通运输"])
        #expect(perClass["交通运输"]?["support"] as? Int == 1)
        #expect((perClass["城乡建设"]?["precision"] as? Double).map { abs($0 - 0.5) < 1e-6 } == true)
        #expect(evaluation.table().contains("交通运输"))
    }

    @Test func groupedFoldsAreStratifiedAndKeepRepeatSubjectsTogether() {
        var subjects: [String] = []
        var labels: [Int] = []
        for i in 0..<200 {
            subjects.append(i % 10 == 0 ? "重复 的主题 \(i % 30)" : "主题\(i)")
            labels.append(i % 4)
        }
        subjects.append("重复的主题0")  // same subject once whitespace is removed
        labels.append(1)
        let folds = GroupedFolds.assign(subjects: subjects, labels: labels, folds: 5, seed: 7)
        let key = { (s: String) in s.replacingOccurrences(of: " ", with: "") }
        for i in subjects.indices {
            for j in subjects.indices where key(subjects[i]) == key(subjects[j]) { #expect(folds[i] == folds[j]) }
        }
        for label in 0..<4 {
            let sizes = (0..<5).map { fold in subjects.indices.filter { folds[$0] == fold && labels[$0] == label }.count }
            #expect(sizes.max()! - sizes.min()! <= 8)
        }
        #expect(GroupedFolds.assign(subjects: subjects, labels: labels, folds: 5, seed: 7) == folds)
    }

    @Test func crossValidationOfExamplesScoresEveryMessage() {
        let evaluation = TopicEvaluation.crossValidate(
            DefaultTopicExamples.messages, folds: 3)
        #expect(evaluation.n == DefaultTopicExamples.messages.count)
        #expect(evaluation.perClass.count == 7)
        // Even ~17 short examples per topic beat guessing (1/7) by far.
        #expect(evaluation.accuracy > 0.4)
    }
}
