import Foundation
import SharedTestData
import Testing
@testable import CivicTriage

@Suite struct DuplicateIndexTests {
    let t0 = Date(timeIntervalSince1970: 1_700_000_000)
    let noise = "江岸区大智街道某小区楼下的烧烤摊每天晚上经营到凌晨两点，油烟和噪音严重扰民，多次向城管反映无人处理，请尽快取缔。"
    let reworded = "江岸区大智街道某小区楼下烧烤摊天天晚上营业到凌晨两三点，油烟噪音严重扰民，多次向城管反映都没人处理，请求尽快取缔！"
    let other = "汉阳区四新大道一段路面塌陷出现深坑，已有电动车摔倒，希望交通部门尽快修复并设置警示标志。"

    func index(with cases: [DuplicateCandidate]) -> DuplicateIndex {
        let index = DuplicateIndex()
        cases.forEach(index.add)
        return index
    }

    func open(_ id: String, _ text: String, place: String? = "s420102002", phone: String? = nil, at offset: TimeInterval = 0) -> DuplicateCandidate {
        DuplicateCandidate(caseId: id, text: text, placeId: place, phone: phone, createdAt: t0.addingTimeInterval(offset))
    }

    @Test func exactRepeatIsFound() {
        let idx = index(with: [open("C1", noise), open("C2", other)])
        let match = idx.findDuplicate(text: noise, placeId: "s420102002", phone: nil, at: t0.addingTimeInterval(3600))
        #expect(match?.caseId == "C1")
        #expect(match?.similarity == 1)
        #expect(match?.reason.contains("same place") == true)
    }

    @Test func nearRepeatWithChangedWordingAndNumbers() {
        let idx = index(with: [open("C1", noise), open("C2", other)])
        let similarity = TextShingles(noise).jaccard(TextShingles(reworded))
        let match = idx.findDuplicate(text: reworded, placeId: "s420102002", phone: nil, at: t0.addingTimeInterval(86400))
        #expect(similarity >= idx.threshold && similarity < 0.9)
        #expect(match?.caseId == "C1")
        // Digits do not count: the same text with other house numbers is identical.
        #expect(TextShingles("中山大道1234号3栋漏水").jaccard(TextShingles("中山大道88号5栋漏水")) == 1)
    }

    @Test func unrelatedTextIsNotADuplicate() {
        let idx = index(with: [open("C1", noise)])
        #expect(idx.findDuplicate(text: other, placeId: "s420102002", phone: nil, at: t0) == nil)
    }

    @Test func sameTextAtAnotherPlaceIsNotADuplicate() {
        let idx = index(with: [open("C1", noise, place: "s420102002")])
        #expect(idx.findDuplicate(text: noise, placeId: "s420106006", phone: nil, at: t0) == nil)
    }

    @Test func unknownPlaceNeedsAHigherSimilarity() {
        let idx = index(with: [open("C1", noise, place: nil)])
        let retold = "我们小区楼下的烧烤摊每天晚上经营到很晚，油烟和噪音扰民，找城管反映多次无人处理，请尽快处理。"
        let similarity = TextShingles(noise).jaccard(TextShingles(retold))
        // Similar enough when both places are known, not when the open case has none.
        #expect(similarity >= idx.threshold && similarity < idx.unknownPlaceThreshold, "similarity \(similarity)")
        #expect(idx.findDuplicate(text: retold, placeId: "s420102002", phone: nil, at: t0) == nil)
        let placed = index(with: [open("C1", noise, place: "s420102002")])
        #expect(placed.findDuplicate(text: retold, placeId: "s420102002", phone: nil, at: t0)?.caseId == "C1")
        #expect(idx.findDuplicate(text: noise, placeId: nil, phone: nil, at: t0)?.caseId == "C1")
    }

    @Test func sameCallerAboutNearlyTheSameThing() {
        // Similar enough for the same caller (≥ 0.32), not for a stranger at the same place (≥ 0.4).
        let first = "小区电梯经常故障停运，老人上下楼非常困难，物业一直拖着不修，请督促物业尽快维修电梯。"
        let second = "小区电梯又故障停运了，老人上下楼很困难，物业还是拖着不修，请相关部门督促维修。"
        let idx = index(with: [open("C1", first, phone: "13800000001")])
        let similarity = TextShingles(first).jaccard(TextShingles(second))
        #expect(similarity >= idx.sameCallerThreshold && similarity < idx.threshold)
        let match = idx.findDuplicate(text: second, placeId: "s420102002", phone: "13800000001", at: t0.addingTimeInterval(600))
        #expect(match?.caseId == "C1")
        #expect(match?.reason.contains("same caller") == true)
        #expect(idx.findDuplicate(text: second, placeId: "s420102002", phone: "13900000002", at: t0) == nil)
        // The same caller about another place is still not a duplicate.
        #expect(idx.findDuplicate(text: first, placeId: "s420106006", phone: "13800000001", at: t0) == nil)
    }

    @Test func outsideTheWindowIsNotADuplicateAndIsPruned() {
        let idx = DuplicateIndex(window: 7 * 86400)
        idx.add(open("C1", noise))
        #expect(idx.findDuplicate(text: noise, placeId: "s420102002", phone: nil, at: t0.addingTimeInterval(6 * 86400)) != nil)
        #expect(idx.findDuplicate(text: noise, placeId: "s420102002", phone: nil, at: t0.addingTimeInterval(8 * 86400)) == nil)
        #expect(idx.count == 0)
        // A case older than the window is not even stored.
        idx.add(open("C0", noise, at: -30 * 86400))
        #expect(idx.count == 0)
    }

    @Test func removedCaseIsNotFound() {
        let idx = index(with: [open("C1", noise), open("C2", noise, place: "s420102003")])
        #expect(idx.count == 2)
        idx.remove(caseId: "C1")
        #expect(idx.count == 1)
        #expect(idx.findDuplicate(text: noise, placeId: "s420102002", phone: nil, at: t0) == nil)
        #expect(idx.findDuplicate(text: noise, placeId: "s420102003", phone: nil, at: t0)?.caseId == "C2")
        idx.remove(caseId: "missing")
        #expect(idx.count == 1)
    }

    @Test func bestMatchWins() {
        let idx = index(with: [open("C1", reworded), open("C2", noise)])
        #expect(idx.findDuplicate(text: noise, placeId: "s420102002", phone: nil, at: t0)?.caseId == "C2")
    }

    /// Over the hot-topic messages: links, clusters and 50 sampled links to read.
    @Test(.enabled(if: SharedData.available("messages_hot.csv"), Comment(rawValue: SharedData.missing("messages_hot.csv")))) func studyOverHotMessages() {
        let text = DuplicateStudy.run(csvPath: TestData.url("messages_hot.csv").path)
        report(text)
        #expect(text.contains("#50"), "50 sampled links for a person to read")
        // The figures reported in the note (252 links, 207 clusters at the default threshold); bounds leave
        // room for small rule changes but catch a broken index.
        let figures = text.split(separator: "\n").first { $0.hasPrefix("links ") }.map(String.init) ?? ""
        let numbers = figures.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        #expect(numbers.count >= 3, "\(figures)")
        if numbers.count >= 3 {
            #expect((200...320).contains(numbers[0]), "links: \(figures)")
            #expect((150...260).contains(numbers[2]), "clusters: \(figures)")
        }
    }
}

/// Cases removed out of order (closed early) and expired in bulk: the slot array's front is trimmed while the
/// rest stay findable.
@Suite struct DuplicateIndexChurnTests {
    @Test func casesRemovedOutOfOrderStayConsistent() {
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        let idx = DuplicateIndex(window: 1000)
        let texts = (0..<400).map { "第\($0)号 " + String(repeating: ["路灯不亮", "噪音扰民", "垃圾堆放", "道路破损", "油烟污染"][$0 % 5], count: 3) + "编号\(String($0, radix: 7))" }
        for (i, text) in texts.enumerated() {
            idx.add(DuplicateCandidate(caseId: "C\(i)", text: text + "区域\(i)", placeId: "p\(i)", phone: nil, createdAt: t0.addingTimeInterval(Double(i))))
        }
        // Close every third case, the first ones included, then check each case is found exactly when open.
        for i in stride(from: 0, to: 400, by: 3) { idx.remove(caseId: "C\(i)") }
        #expect(idx.count == 400 - 134)
        for i in [0, 1, 2, 3, 200, 201, 399] {
            let found = idx.findDuplicate(text: texts[i] + "区域\(i)", placeId: "p\(i)", phone: nil, at: t0.addingTimeInterval(400))
            #expect((found?.caseId == "C\(i)") == (i % 3 != 0), "case \(i): \(String(describing: found))")
        }
        // Time passes the window for the first 300: they go, in time order, and the rest remain.
        _ = idx.findDuplicate(text: "无关", placeId: nil, phone: nil, at: t0.addingTimeInterval(1300))
        #expect(idx.count == (300..<400).filter { $0 % 3 != 0 }.count)
        let late = idx.findDuplicate(text: texts[398] + "区域398", placeId: "p398", phone: nil, at: t0.addingTimeInterval(1300))
        #expect(late?.caseId == "C398")
        idx.add(DuplicateCandidate(caseId: "N1", text: texts[0] + "新", placeId: "p0", phone: nil, createdAt: t0.addingTimeInterval(1301)))
        #expect(idx.findDuplicate(text: texts[0] + "新", placeId: "p0", phone: nil, at: t0.addingTimeInterval(1301))?.caseId == "N1")
    }
}
