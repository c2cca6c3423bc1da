import CivicCases
import CivicNode
import CivicWire
import Foundation
import TestSupport
import Testing

/// Warnings, overdue, escalation, extensions and supervision orders (分级督办) on a city of engines with a
/// manual clock: days of time limits in milliseconds.
@Suite struct SupervisionTests {
    static let street = "s990101001", district = "d990101"
    static let tiers = ["city", district, street]

    /// Monday 2026-11-30 in Shanghai, at a local hour and minute (UTC+8, by arithmetic).
    static func monday(_ hour: Int, _ minute: Int = 0, plusDays days: Int = 0) -> Date {
        let seconds: Int = (hour - 9) * 3600 + minute * 60 + days * 86_400
        return Date(timeIntervalSince1970: 1_796_000_400 + Double(seconds))
    }

    func newCase(_ mesh: EngineMesh, subject: String = "路灯不亮") throws -> String {
        let receipt = try mesh.intake(at: "city", CaseDraft(channel: .hotline, subject: subject, location: Location(address: "东湖区湖滨街道"), category: "城乡建设"))
        #expect(try mesh.deliver().isEmpty)
        #expect(try mesh.stateAt(Self.street, receipt.case.id) == "dispatched@\(Self.street)")
        return receipt.case.id
    }

    /// The timer events each tier holds for the case: action → issuing nodes, and every id seen once.
    func timerEvents(_ mesh: EngineMesh, _ id: String, at node: String) throws -> [String] {
        let history = try #require(try mesh.caseAt(node, id)).1
        let timers = history.filter { [.warned, .overdue, .escalated].contains($0.action) }
        #expect(Set(timers.map(\.id)).count == timers.count, "no timer event twice at \(node)")
        return timers.map { "\($0.action.rawValue)\($0[.level].map { "-\($0)" } ?? "")@\($0.node)" }
    }

    @Test func aCaseNeverSignedForIsWarnedThenOverdueThenEscalatedToItsDistrictThenToTheCity() throws {
        let clock = ManualClock(Self.monday(9))
        let mesh = try EngineMesh(clock: clock)
        let id = try newCase(mesh)
        // Signed for within 2 working hours (11:00); warned with a quarter left (10:30); escalated a working day
        // after (Tuesday 11:00), and another (Wednesday 11:00).
        let c = try #require(try mesh.caseAt(Self.street, id)).0
        #expect(c.attributes["response_due"] == "2026-11-30T03:00:00.000Z" && c.attributes["warn_at"] == "2026-11-30T02:30:00.000Z", "\(c.attributes)")
        #expect(c.attributes["escalate_at"] == "2026-12-01T03:00:00.000Z,2026-12-02T03:00:00.000Z", "\(c.attributes)")

        clock.advance(by: 89 * 60)
        #expect(try mesh.tickAndDeliver() == 0, "10:29: nothing is due yet")
        clock.advance(by: 2 * 60)
        let n = try mesh.tickAndDeliver()
        let seen = try timerEvents(mesh, id, at: "city")
        #expect(n == 1, "\(n) \(seen)")
        for node in Self.tiers { #expect(try timerEvents(mesh, id, at: node) == ["warned@\(Self.street)"], "\(node)") }
        #expect(mesh.engine("city").counters.subtree.supervision["near_due"] == 1)

        clock.advance(by: 30 * 60)  // 11:01
        #expect(try mesh.tickAndDeliver() == 1)
        #expect(try mesh.tickAndDeliver() == 0, "a second tick issues nothing")
        for node in Self.tiers { #expect(try timerEvents(mesh, id, at: node) == ["warned@\(Self.street)", "overdue@\(Self.street)"], "\(node)") }
        #expect(mesh.engine("city").counters.subtree.supervision["overdue"] == 1 && mesh.engine("city").counters.subtree.supervision["near_due"] == nil)
        #expect(mesh.engine(Self.street).counters.own.supervision["overdue"] == 1)

        clock.advance(by: 86_400)  // Tuesday 11:01
        #expect(try mesh.tickAndDeliver() == 1)
        for node in Self.tiers {
            #expect(try timerEvents(mesh, id, at: node) == ["warned@\(Self.street)", "overdue@\(Self.street)", "escalated-1@\(Self.district)"], "\(node)")
        }
        #expect(try mesh.engine(Self.district).supervisedCases().map(\.id) == [id], "the district sees it in its supervision list")

        clock.advance(by: 86_400)  // Wednesday 11:01
        #expect(try mesh.tickAndDeliver() == 1)
        clock.advance(by: 30 * 86_400)
        #expect(try mesh.tickAndDeliver() == 0, "nothing after the last level")
        for node in Self.tiers {
            #expect(try timerEvents(mesh, id, at: node) == ["warned@\(Self.street)", "overdue@\(Self.street)", "escalated-1@\(Self.district)", "escalated-2@city"], "\(node)")
        }
        let city = mesh.engine("city").counters
        #expect(city.subtree.supervision["escalated"] == 1 && city.subtree.supervision["escalated_total"] == 2 && city.subtree.supervision["warned_total"] == 1, "\(city.subtree.supervision)")
        // The counters are a projection of the log: a replay gives the same.
        try mesh.engine("city").rebuildProjections()
        #expect(mesh.engine("city").counters == city)
        #expect(try mesh.tickAndDeliver() == 0, "a replay issues nothing again")
    }

    @Test func aNodeThatWasDownIssuesWhatItOwesWhenItNextRunsAndOnlyOnce() throws {
        let clock = ManualClock(Self.monday(9))
        let mesh = try EngineMesh(clock: clock)
        let id = try newCase(mesh)
        // The street is down from Monday to Tuesday afternoon: the district escalates on time from what it knows.
        clock.advance(by: 86_400 + 3 * 3600)  // Tuesday 12:00
        #expect(try mesh.tick(["city", Self.district]) == 1)
        try mesh.deliver()
        try mesh.restart(Self.street)
        #expect(try mesh.tick([Self.street]) == 2, "warned and overdue, late but once")
        try mesh.restart(Self.street)
        #expect(try mesh.tick([Self.street]) == 0, "its timers survived the restart as issued")
        try mesh.deliver()
        for node in Self.tiers {
            #expect(Set(try timerEvents(mesh, id, at: node)) == ["escalated-1@\(Self.district)", "warned@\(Self.street)", "overdue@\(Self.street)"], "\(node)")
        }
    }

    @Test func anApprovedExtensionMovesTheDueTimeAndTheCaseEndsOnTimeARefusedOneDoesNot() throws {
        let clock = ManualClock(Self.monday(9))
        let mesh = try EngineMesh(clock: clock)
        let extended = try newCase(mesh), refused = try newCase(mesh, subject: "井边垃圾堆积")
        for id in [extended, refused] { _ = try mesh.perform(.accept, on: id, at: Self.street) }
        try mesh.deliver()
        // Handling: 24 h, due Tuesday 09:00.
        for id in [extended, refused] {
            _ = try mesh.perform(.requestExtension(reason: "需协调供电公司", until: nil), on: id, at: Self.street)
            #expect(throws: CaseRuleError.self) { try mesh.perform(.requestExtension(reason: "again", until: nil), on: id, at: Self.street) }
        }
        try mesh.deliver()
        #expect(try Set(mesh.engine(Self.district).supervisedCases().map(\.id)) == [extended, refused], "waiting for an answer: on the district's list")
        #expect(mesh.engine("city").counters.subtree.supervision["extensions_pending"] == 2)
        // Only a unit above the holder answers; the new due time must be later than the old one.
        #expect(throws: CaseRuleError.self) { try mesh.perform(.approveExtension(until: Self.monday(12, plusDays: 3), reason: nil), on: extended, at: Self.street) }
        #expect(throws: CaseRuleError.self) { try mesh.perform(.approveExtension(until: Self.monday(8), reason: nil), on: extended, at: Self.district) }
        _ = try mesh.perform(.approveExtension(until: Self.monday(12, plusDays: 3), reason: "同意"), on: extended, at: Self.district)
        _ = try mesh.perform(.refuseExtension(reason: "时限内可办结"), on: refused, at: "city")
        try mesh.deliver()
        for node in Self.tiers {
            let c = try #require(try mesh.caseAt(node, extended)).0
            #expect(c.attributes["handling_due"] == "2026-12-03T04:00:00.000Z" && c.extensionsGranted == 1 && !c.extensionPending, "\(node): \(c.attributes)")
        }
        #expect(mesh.engine("city").counters.subtree.supervision["extensions_pending"] == nil)
        clock.advance(by: 2 * 86_400 + 60)  // Wednesday 09:01: the refused one is overdue, the extended one is not
        try mesh.tickAndDeliver()
        #expect(Set(try timerEvents(mesh, refused, at: "city")) == ["warned@\(Self.street)", "overdue@\(Self.street)", "escalated-1@\(Self.district)"])
        #expect(try timerEvents(mesh, extended, at: "city").isEmpty, "the grant replaced the clock before it warned; the new one warns three quarters of the way to Thursday noon")
        for id in [extended, refused] { _ = try mesh.perform(.resolve(reply: "已处理"), on: id, at: Self.street) }
        try mesh.deliver()
        let city = mesh.engine("city").counters.subtree.supervision
        #expect(city["replied_on_time"] == 1 && city["replied_late"] == 1 && city["extensions_granted"] == 1 && city["extensions_refused"] == 1, "\(city)")
        #expect(try mesh.caseAt("city", extended)?.0.attributes["on_time"] == "true")
        #expect(try mesh.caseAt("city", refused)?.0.attributes["on_time"] == "false")
        #expect(try mesh.tickAndDeliver() == 0 && (try mesh.engine(Self.district).supervisedCases().isEmpty), "resolved cases leave the timers and the list")
    }

    @Test func extensionsAreLimitedByThePolicy() throws {
        let clock = ManualClock(Self.monday(9))
        let mesh = try EngineMesh(clock: clock)
        let id = try newCase(mesh)
        _ = try mesh.perform(.accept, on: id, at: Self.street)
        try mesh.deliver()
        for extra in 1...2 {
            _ = try mesh.perform(.requestExtension(reason: "第\(extra)次", until: nil), on: id, at: Self.street)
            try mesh.deliver()
            _ = try mesh.perform(.approveExtension(until: Self.monday(12, plusDays: 2 * extra), reason: nil), on: id, at: Self.district)
            try mesh.deliver()
        }
        do {
            _ = try mesh.perform(.requestExtension(reason: "第3次", until: nil), on: id, at: Self.street)
            Issue.record("a third extension must be refused by the rule")
        } catch let error as CaseRuleError {
            #expect(error.field == "extension" && error.message.contains("max_extensions 2"), "\(error)")
        }
    }

    @Test func aCitySupervisionOrderReachesTheStreetIsAnsweredAndAnUnansweredOneEscalates() throws {
        let clock = ManualClock(Self.monday(9))
        let mesh = try EngineMesh(clock: clock)
        let answered = try newCase(mesh), ignored = try newCase(mesh, subject: "井边垃圾堆积")
        for id in [answered, ignored] { _ = try mesh.perform(.accept, on: id, at: Self.street) }
        try mesh.deliver()
        #expect(throws: CaseRuleError.self) { try mesh.perform(.supervise(note: "自己督办自己", answerBy: nil), on: answered, at: Self.street) }
        _ = try mesh.perform(.supervise(note: "请说明进展", answerBy: nil), on: answered, at: "city")
        _ = try mesh.perform(.supervise(note: "请今日答复", answerBy: Self.monday(16)), on: ignored, at: "city")
        try mesh.deliver()
        #expect(throws: CaseRuleError.self) { try mesh.perform(.supervise(note: "又一张", answerBy: nil), on: ignored, at: Self.district) }
        let atStreet = try #require(try mesh.caseAt(Self.street, answered)).0
        #expect(atStreet.orderTimer?.due == Self.monday(9, plusDays: 1) && atStreet.supervisionOrderBy == "city", "one working day by default: \(atStreet.attributes)")
        #expect(try Set(mesh.engine(Self.street).supervisedCases().map(\.id)) == [answered, ignored], "in the holder's list")
        #expect(mesh.engine("city").counters.subtree.supervision["orders_open"] == 2)
        #expect(throws: CaseRuleError.self) { try mesh.perform(.answerSupervision(note: "not the holder"), on: answered, at: Self.district) }
        _ = try mesh.perform(.answerSupervision(note: "已联系供电公司，周三前修复"), on: answered, at: Self.street)
        try mesh.deliver()
        for node in Self.tiers {
            let (c, history) = try #require(try mesh.caseAt(node, answered))
            #expect(c.orderTimer == nil && history.map(\.action).suffix(2) == [.supervised, .supervisionAnswered], "\(node)")
        }
        clock.advance(by: 7 * 3600 + 60)  // 16:01: the unanswered order ran out
        try mesh.tickAndDeliver()
        #expect(try timerEvents(mesh, ignored, at: "city") == ["warned@\(Self.street)", "overdue@\(Self.street)"])
        clock.advance(by: 86_400)  // Tuesday 16:01: a working day later, to the district
        try mesh.tickAndDeliver()
        let events = try #require(try mesh.caseAt("city", ignored)).1.filter { $0.action == .escalated }
        #expect(events.map { "\($0[.limit] ?? "")-\($0[.level] ?? "")@\($0.node)" } == ["supervision-1@\(Self.district)"], "\(events)")
        let answeredHistory = try #require(try mesh.caseAt("city", answered)).1
        #expect(!answeredHistory.contains { $0[.limit] == "supervision" }, "an answered order gives rise to nothing")
    }

    @Test func aReturnedCaseStopsTheClockOfTheUnitThatReturnedItAndTheNextUnitGetsItsOwn() throws {
        let clock = ManualClock(Self.monday(9))
        let mesh = try EngineMesh(clock: clock)
        let id = try newCase(mesh)
        clock.advance(by: 91 * 60)
        try mesh.tickAndDeliver()  // 10:31: warned
        _ = try mesh.perform(.returnUp(reason: "不归本街道"), on: id, at: Self.street)
        try mesh.deliver()
        _ = try mesh.perform(.assign(target: "s990101002"), on: id, at: Self.district)
        try mesh.deliver()
        // 14:11: the first street's limit would have run out at 11:00; the new one (2 working hours around the lunch
        // break, due 14:31) warns at 14:01.
        clock.advance(by: 220 * 60)
        try mesh.tickAndDeliver()
        let history = try #require(try mesh.caseAt("city", id)).1
        let timers = history.filter { [.warned, .overdue, .escalated].contains($0.action) }
        #expect(timers.map { "\($0.action.rawValue)@\($0.node)" } == ["warned@\(Self.street)", "warned@s990101002"], "\(timers.map(\.id))")
        clock.advance(by: 3 * 86_400)
        try mesh.tickAndDeliver()
        let later = try #require(try mesh.caseAt("city", id)).1.filter { [.overdue, .escalated].contains($0.action) }
        #expect(!later.contains { $0.node == Self.street }, "the street that returned it owes nothing: \(later.map(\.id))")
        #expect(later.contains { $0.action == .overdue && $0.node == "s990101002" })
    }
}

/// A node restored from a backup issues again the timer events it had issued after the backup, later than the
/// first time. A timer event's id names its mark of its clock, so its peers take the second as the same fact.
@Suite struct TimerReissueTests {
    @Test func aTimerEventIssuedAgainLaterIsAResendNotAClash() throws {
        let clock = ManualClock(SupervisionTests.monday(9))
        let mesh = try EngineMesh(clock: clock)
        let id = try SupervisionTests().newCase(mesh)
        clock.advance(by: 91 * 60)  // 10:31: warned with a quarter of the limit left
        #expect(try mesh.tickAndDeliver() == 1)
        let warned = try #require(try mesh.caseAt(SupervisionTests.street, id)?.1.first { $0.action == .warned })
        var again = warned
        again.at = warned.at.addingTimeInterval(600)
        let c = try #require(try mesh.caseAt(SupervisionTests.street, id)).0
        let next = mesh.engine(SupervisionTests.district).linkFigures(SupervisionTests.street).lastApplied + 1
        let line = MeshCodec().encode(.update(Update(seq: next, case: c, event: again)))
        let (outcome, produced) = try mesh.engine(SupervisionTests.district).receive(line, from: SupervisionTests.street, at: clock.now())
        #expect(outcome == .applied && produced.isEmpty, "stored once, nothing sent on")
        let history = try #require(try mesh.caseAt(SupervisionTests.district, id)).1
        #expect(history.filter { $0.action == .warned }.count == 1)
        // Any other event under a known id with other content is still refused.
        var forged = try #require(history.first { $0.action == .created })
        forged.note = "changed"
        let clash = MeshCodec().encode(.update(Update(seq: next + 1, case: c, event: forged)))
        #expect(throws: (any Error).self) { try mesh.engine(SupervisionTests.district).receive(clash, from: SupervisionTests.street, at: clock.now()) }
    }
}
