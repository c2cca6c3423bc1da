import Foundation
import Testing
@testable import CivicTopic

@Suite struct TopicModelTests {
    static let model = TopicTrainer().train(DefaultTopicExamples.messages)

    @Test func defaultExamplesCoverEveryTopicEvenly() {
        let counts = Dictionary(grouping: DefaultTopicExamples.messages, by: \.label).mapValues(\.count)
        #expect(Set(counts.keys) == Set(DefaultTopicExamples.labels))
        #expect(counts.values.allSatisfy { $0 >= 20 })
        #expect(Self.model.labels == DefaultTopicExamples.labels.sorted())
    }

    // Phrasings that are not in the example set; each names its topic plainly.
    @Test(arguments: [
        ("小区楼道里的水管漏水好几天没人修", "城乡建设"),
        ("老板拖欠我们三个月工资不发", "劳动和社会保障"),
        ("孩子所在的小学乱收补课费", "教育文体"),
        ("超市卖的肉过期了还在打折卖", "商贸旅游"),
        ("工厂排放的废水把河流污染了", "环境保护"),
        ("医院挂号太难医生态度也不好", "卫生计生"),
        ("公交车间隔太长每次等车要半小时", "交通运输"),
    ])
    func predictsObviousNewMessages(text: String, expected: String) {
        let prediction = Self.model.predict(subject: text, detail: "")
        #expect(prediction.best.label == expected)
    }

    @Test func predictionHasThreeRankedGuessesSummingBelowOne() {
        let prediction = Self.model.predict(subject: "噪音", detail: "楼下烧烤店每天营业到凌晨，油烟和噪音很大")
        #expect(prediction.top.count == 3)
        #expect(prediction.top[0] == prediction.best)
        #expect(zip(prediction.top, prediction.top.dropFirst()).allSatisfy { $0.probability >= $1.probability })
        let all = Self.model.probabilities(subject: "噪音", detail: "楼下烧烤店每天营业到凌晨，油烟和噪音很大")
        #expect(abs(all.reduce(0, +) - 1) < 1e-9)
        #expect(Set(prediction.top.map(\.label)).count == 3)
    }

    @Test func confidentExactlyWhenConfidenceReachesThreshold() {
        let prediction = Self.model.predict(subject: "公交车司机开车玩手机")
        let c = prediction.confidence
        #expect(Self.model.confidenceMeasure == .logOddsMargin)
        let probabilities = Self.model.probabilities(subject: "公交车司机开车玩手机", detail: "")
        #expect(c == ConfidenceMeasure.logOddsMargin.value(of: probabilities))
        #expect(Self.model.withThreshold(c).predict(subject: "公交车司机开车玩手机").confident)
        #expect(!Self.model.withThreshold(c.nextUp).predict(subject: "公交车司机开车玩手机").confident)
        #expect(Self.model.withThreshold(0).predict(subject: "随便说说").confident)
        let stricter = Self.model.withThreshold(0.5)
        #expect(stricter.threshold == 0.5 && stricter.confidenceMeasure == Self.model.confidenceMeasure)
        #expect(stricter.predict(subject: "公交车司机开车玩手机").best == prediction.best)
    }

    @Test func confidenceMeasuresRankAsDocumented() {
        let clear = [0.7, 0.1, 0.2], close = [0.45, 0.1, 0.45]
        #expect(ConfidenceMeasure.probability.value(of: clear) == 0.7)
        #expect(abs(ConfidenceMeasure.logOddsMargin.value(of: clear) - log(3.5)) < 1e-12)
        #expect(ConfidenceMeasure.logOddsMargin.value(of: close) == 0)
        // A clear winner at a lower probability can beat a close call at a higher one.
        let lowButClear = [0.5, 0.05, 0.05, 0.05, 0.05, 0.05, 0.25], highButClose = [0.52, 0.48, 0, 0, 0, 0, 0]
        #expect(ConfidenceMeasure.probability.value(of: lowButClear) < ConfidenceMeasure.probability.value(of: highButClose))
        #expect(ConfidenceMeasure.logOddsMargin.value(of: lowButClear) > ConfidenceMeasure.logOddsMargin.value(of: highButClose))
    }

    @Test func trainedThresholdIsAMarginFromInternalCrossValidation() {
        // Internal cross-validation on the examples finds a non-empty confident set: a finite, positive margin.
        #expect(Self.model.threshold > 0 && Self.model.threshold < 1000)
        #expect(Self.model.calibrationScales.count == 2 && Self.model.calibrationScales.allSatisfy { $0 > 0 })
    }

    @Test func thresholdPickingAdmitsTheLargestSetMeetingTheTarget() {
        // Sorted by probability: right, right, wrong, right, wrong.
        let probabilities = [0.99, 0.95, 0.9, 0.8, 0.7]
        let correct = [true, true, false, true, false]
        #expect(Calibration.threshold(probabilities: probabilities, correct: correct, targetPrecision: 0.75) == 0.8)
        #expect(Calibration.threshold(probabilities: probabilities, correct: correct, targetPrecision: 1) == 0.95)
        #expect(Calibration.threshold(probabilities: [0.6], correct: [false], targetPrecision: 0.9) == 1)
        #expect(Calibration.threshold(probabilities: [0.6], correct: [false], targetPrecision: 0.9, ceiling: 7) == 7)
    }

    @Test func emptyDetailAndEmptyTextStillPredict() {
        let prediction = Self.model.predict(subject: "", detail: "")
        #expect(Self.model.labels.contains(prediction.best.label))
        #expect(prediction.top.count == 3)
    }
}
