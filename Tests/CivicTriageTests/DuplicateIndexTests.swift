import Foundation
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
        let similarity = TextShingles(noise).jaccard(TextShingles(reworded))
        let match = idx.findDuplicate(text: reworded, placeId: "s420102002", phone: nil, at: t0)
        #expect((match != nil) == (similarity >= idx.unknownPlaceThreshold))
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
    @Test func studyOverHotMessages() {
        let text = DuplicateStudy.run(csvPath: TestData.url("messages_hot.csv").path)
        report(text)
        #expect(text.contains("links"))
        #expect(text.contains("#50"))
    }

    /// Lookup cost with many open cases (printed, not asserted).
    @Test func manyOpenCases() throws {
        let table = try CSVReader.read(path: TestData.url("messages_hot.csv").path)
        let texts = table.records.map { ($0["subject"] ?? "") + ($0["detail"] ?? "") }
        var g = SeededRandom(seed: 5)
        let idx = DuplicateIndex(window: 365 * 86400)
        let total = 20_000
        let addStart = Date()
        for i in 0..<total {
            // Splice two random messages so that the cases are distinct but realistic.
            let a = texts.randomElement(using: &g)!, b = texts.randomElement(using: &g)!
            idx.add(DuplicateCandidate(caseId: "C\(i)", text: String(a.prefix(60)) + String(b.suffix(80)), placeId: nil, phone: nil, createdAt: t0))
        }
        let addTime = Date().timeIntervalSince(addStart)
        let findStart = Date()
        var found = 0
        for _ in 0..<200 where idx.findDuplicate(text: texts.randomElement(using: &g)!, placeId: nil, phone: nil, at: t0) != nil { found += 1 }
        let findTime = Date().timeIntervalSince(findStart) / 200
        report(String(format: "duplicate index: %d open cases, add %.0f µs/case, find %.0f µs/lookup (\(buildKind) build)", total, addTime / Double(total) * 1e6, findTime * 1e6))
        #expect(idx.count == total)
    }
}
