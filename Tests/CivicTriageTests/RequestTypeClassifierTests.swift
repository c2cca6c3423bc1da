import Foundation
import SharedTestData
import Testing
@testable import CivicTriage

@Suite struct RequestTypeClassifierTests {
    func type(_ subject: String, _ detail: String = "") -> RequestType {
        RequestTypeClassifier.classify(subject: subject, detail: detail).type
    }

    @Test func praise() {
        #expect(type("表扬江岸区城管大队的工作人员", "他们处理及时，态度很好。") == .praise)
        #expect(type("给社区送锦旗", "感谢网格员半夜帮我们找回走失的老人") == .praise)
        #expect(type("感谢交警帮忙推车") == .praise)
    }

    @Test func help() {
        #expect(type("求助：母亲重病无钱医治", "家里生活困难，恳请帮助") == .help)
        #expect(type("老人走失，请帮帮我们", "父亲有老年痴呆，今天上午在公园走失") == .help)
        #expect(type("急需救助", "孩子被困电梯里") == .help)
    }

    @Test func suggestion() {
        #expect(type("建议在光谷广场增设过街天桥", "行人过马路太危险") == .suggestion)
        #expect(type("关于公交线路优化的建议") == .suggestion)
        #expect(type("呼吁尽快开通地铁11号线东段") == .suggestion)
    }

    @Test func consultation() {
        #expect(type("咨询公积金提取如何办理", "请问需要哪些材料？") == .consultation)
        #expect(type("孩子入学需要什么条件？") == .consultation)
        #expect(type("退休后医保是否需要继续缴纳？") == .consultation)
    }

    @Test func complaintByCueAndByDefault() {
        #expect(type("投诉楼下烧烤店油烟扰民", "每天晚上吵到凌晨两点") == .complaint)
        #expect(type("某公司拖欠工资三个月") == .complaint)
        let plain = RequestTypeClassifier.classify(subject: "小区门口路灯坏了", detail: "已经一个月没人修")
        #expect(plain.type == .complaint)
        #expect(plain.reason.contains("default"))
    }

    @Test func tieBreakingAndFieldRules() {
        // A polite "感谢" at the end of a complaint body does not make it praise.
        #expect(type("投诉工地夜间施工", "严重影响休息，望尽快处理，感谢！") == .complaint)
        // A rhetorical question in the body does not make it a consultation.
        #expect(type("小区垃圾堆积无人清理", "难道就没人管吗？") == .complaint)
        // Same score for suggestion (建议 2×3) and complaint (反映 2×3): the more specific type wins.
        #expect(type("反映情况并提出建议") == .suggestion)
        #expect(type("建议整治扰民") == .complaint)  // 扰民 (3×3) outweighs 建议 (2×3)
        // The subject outweighs cues in the body.
        #expect(type("咨询办理居住证", "之前投诉过一次窗口态度差") == .consultation)
        // Asking whether someone else acts legally is a report, not a question.
        #expect(type("某影楼是否合法纳税了？") == .complaint)
    }

    @Test func reasonNamesTheDecidingWords() {
        let decision = RequestTypeClassifier.classify(subject: "咨询公积金提取", detail: "请问如何办理")
        #expect(decision.type == .consultation)
        #expect(decision.reason.contains("咨询 (subject)"))
        #expect(decision.reason.contains("如何办理 (detail)"))
    }

    /// No labels exist for the hot-topic messages: print the distribution for a human to judge.
    @Test(.enabled(if: SharedData.available("messages_hot.csv"), Comment(rawValue: SharedData.missing("messages_hot.csv")))) func distributionOverHotMessages() throws {
        let table = try CSVReader.read(path: TestData.url("messages_hot.csv").path)
        var counts: [RequestType: Int] = [:]
        var examples: [RequestType: [String]] = [:]
        for record in table.records {
            let decision = RequestTypeClassifier.classify(subject: record["subject"] ?? "", detail: record["detail"] ?? "")
            counts[decision.type, default: 0] += 1
            if examples[decision.type, default: []].count < 3 {
                examples[decision.type, default: []].append((record["subject"] ?? "") + " [" + decision.reason + "]")
            }
        }
        #expect(table.records.count == 4285)
        let line = RequestType.allCases.map { "\($0.rawValue) \(counts[$0] ?? 0)" }.joined(separator: ", ")
        report("request types over messages_hot.csv (\(table.records.count)): \(line)")
        for type in RequestType.allCases { report("  \(type.rawValue): \(examples[type, default: []].joined(separator: " | "))") }
    }

    /// The one-pass matcher finds exactly what one substring search per cue finds, on texts mixing every cue
    /// with Chinese filler, ASCII, punctuation, 4-byte characters and cues cut in half.
    @Test func theOnePassMatcherAgreesWithASearchPerCue() {
        let phrases = RequestTypeClassifier.matcher.phrases
        var rng = SystemRandomNumberGenerator()
        let filler = ["的", "我", "小区", "路灯", " ", "a", "?", "？", "。", "😀", "问", "感", "吗", "\n", "12"]
        for _ in 0..<3000 {
            var text = ""
            for _ in 0..<Int.random(in: 0...40, using: &rng) {
                switch Int.random(in: 0..<4, using: &rng) {
                case 0:
                    let cue = String(decoding: phrases.randomElement(using: &rng)!, as: UTF8.self)
                    text += Bool.random(using: &rng) ? cue : String(cue.prefix(max(1, cue.count - 1)))
                default: text += filler.randomElement(using: &rng)!
                }
            }
            let bytes = Array(text.utf8)
            let expected = phrases.map { RequestTypeClassifier.contains(bytes, $0) }
            #expect(RequestTypeClassifier.matcher.matches(in: bytes) == expected, "\(text)")
        }
    }
}
