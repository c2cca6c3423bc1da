import CivicCases
import CivicNode
import Foundation
import Testing
import TestSupport

/// The day's case number lives in memory and its row is written once per batch: numbers must still continue
/// after a restart, on every day a batch touched, and never repeat.
@Suite struct CaseNumberingTests {
    /// Five different problems: alike texts would be linked to the first case as repeats, not numbered.
    static let subjects = ["路灯不亮", "井盖缺失有人摔倒", "楼下烧烤油烟扰民", "小区供暖温度不达标", "公交站牌被撞倒"]
    func draft(_ n: Int) -> CaseDraft {
        CaseDraft(channel: .hotline, subject: Self.subjects[n - 1], location: Location(address: "东湖区湖滨街道"), category: "城乡建设")
    }

    @Test func numbersContinueAfterARestart() throws {
        let mesh = try EngineMesh()
        let first = try mesh.intake(at: "city", draft(1)).case.id
        let second = try mesh.intake(at: "city", draft(2)).case.id
        try mesh.restart("city")
        let third = try mesh.intake(at: "city", draft(3)).case.id
        #expect(first.hasSuffix("-000001") && second.hasSuffix("-000002") && third.hasSuffix("-000003"), "\([first, second, third])")
    }

    @Test func aBatchAcrossMidnightKeepsBothDays() throws {
        let mesh = try EngineMesh()
        let city = mesh.engine("city")
        // 23:59:59 and 00:00:01 China Standard Time (UTC+8): two days' numbering in one commit.
        let beforeMidnight = ISO8601DateFormatter().date(from: "2026-12-07T15:59:59Z")!, afterMidnight = beforeMidnight + 2
        let ids = try city.batch {
            [try city.intake(draft(1), at: beforeMidnight).0.case.id, try city.intake(draft(2), at: beforeMidnight).0.case.id,
             try city.intake(draft(3), at: afterMidnight).0.case.id]
        }
        #expect(ids.map { $0.split(separator: "-").dropFirst().joined(separator: "-") } == ["20261207-000001", "20261207-000002", "20261208-000001"])
        try mesh.restart("city")
        let reopened = mesh.engine("city")
        // Both days' last numbers were written: neither day hands out a number twice.
        #expect(try reopened.intake(draft(4), at: beforeMidnight).0.case.id.hasSuffix("20261207-000003"))
        #expect(try reopened.intake(draft(5), at: afterMidnight).0.case.id.hasSuffix("20261208-000002"))
    }
}
