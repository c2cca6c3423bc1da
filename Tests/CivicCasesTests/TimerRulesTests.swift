import Foundation
import Testing
@testable import CivicCases

/// Who issues which timer event and when, the ids that make each one unique, and the times a clock gets.
@Suite struct TimerRulesTests {
    static let city = TopologyNode(id: "city", tier: .city, name: "市", children: [
        TopologyNode(id: "d1", tier: .district, name: "东区", children: [TopologyNode(id: "s11", tier: .street, name: "街道")]),
    ])
    static let t0 = Date(timeIntervalSince1970: 1_796_000_400)  // Monday 2026-11-30 09:00 in Shanghai

    func openCase(holder: String = "s11") -> Case {
        var c = Case(id: "C-1", channel: .hotline, citizen: Citizen(), subject: "路灯不亮", detail: "", location: Location(), intake: "city",
                     createdAt: Self.t0, state: .dispatched, holder: holder)
        c.attributes = ["clock": "city-2", "response_due": WireDate.format(Self.t0 + 7200), "warn_at": WireDate.format(Self.t0 + 5400),
                        "escalate_at": [Self.t0 + 86_400, Self.t0 + 2 * 86_400].map(WireDate.format).joined(separator: ",")]
        return c
    }

    @Test func eachMarkHasOneIssuer() {
        let c = openCase()
        let district = Self.city.find("d1")!, street = Self.city.find("s11")!
        #expect(TimerRules.schedule(c.limitTimer!, holder: "s11", me: street).map(\.mark) == [.warned, .overdue], "the holder warns and marks overdue")
        #expect(TimerRules.schedule(c.limitTimer!, holder: "s11", me: district).map(\.mark) == [.escalated(level: 1)])
        #expect(TimerRules.schedule(c.limitTimer!, holder: "s11", me: Self.city).map(\.mark) == [.escalated(level: 2)])
        let other = TopologyNode(id: "d2", tier: .district, name: "西区")
        #expect(TimerRules.schedule(c.limitTimer!, holder: "s11", me: other).isEmpty, "a unit not above the holder issues nothing")
        // A district holding a case is escalated once, to the city.
        var held = openCase(holder: "d1")
        held.attributes["escalate_at"] = WireDate.format(Self.t0 + 86_400)
        #expect(TimerRules.schedule(held.limitTimer!, holder: "d1", me: Self.city).map(\.mark) == [.escalated(level: 1)])
    }

    @Test func dueEventsComeInOrderWithDeterministicIdsAndIssuedMarksAreNotIssuedAgain() {
        var c = openCase()
        let street = Self.city.find("s11")!
        #expect(TimerRules.dueEvents(c, me: street, at: Self.t0 + 5399).isEmpty)
        let both = TimerRules.dueEvents(c, me: street, at: Self.t0 + 9000)
        #expect(both.map(\.id) == ["s11:warned:city-2", "s11:overdue:city-2"] && both.map(\.action) == [.warned, .overdue])
        #expect(both.allSatisfy { PeerRules.idBelongs($0) && $0.state == c.state && $0.holder == c.holder && $0[.clock] == "city-2" })
        for e in both { CaseRules.fold(e, into: &c) }
        #expect(c.attributes["issued"] == "overdue,warned")
        #expect(TimerRules.dueEvents(c, me: street, at: Self.t0 + 9000).isEmpty, "issued marks are done")
        #expect(TimerRules.nextFire(c, me: street) == nil)
        #expect(TimerRules.nextFire(c, me: Self.city.find("d1")!) == WireDate.format(Self.t0 + 86_400))
        #expect(TimerRules.nextFire(openCase(), me: street) == WireDate.format(Self.t0 + 5400), "the warning first")
        // Closed, nothing runs.
        c.state = .resolved
        #expect(c.timers.isEmpty && TimerRules.dueEvents(c, me: Self.city, at: .distantFuture).isEmpty)
    }

    @Test func timerIdsParseAndAForgedOneIsRefused() {
        #expect(TimerRules.parseId("d1:escalated-1:city-2").map { "\($0.issuer) \($0.mark) \($0.clock)" } == "d1 escalated-1 city-2")
        for bad in ["d1:escalated-0:city-2", "d1:later:city-2", ":warned:x", "d1:warned:", "d1-7", "d1:warned:a b"] {
            #expect(TimerRules.parseId(bad) == nil, "\(bad)")
        }
        func event(_ id: String, node: String, _ action: CaseAction) -> CaseEvent {
            CaseEvent(id: id, caseId: "C-1", at: Self.t0, node: node, actor: "system", action: action, state: .dispatched, holder: "s11")
        }
        #expect(PeerRules.idBelongs(event("s11:overdue:city-2", node: "s11", .overdue)))
        #expect(!PeerRules.idBelongs(event("s11:overdue:city-2", node: "d1", .overdue)), "the issuer is in the id")
        #expect(!PeerRules.idBelongs(event("s11:overdue:city-2", node: "s11", .warned)), "the mark is the action")
        #expect(!PeerRules.idBelongs(event("s11-9", node: "s11", .overdue)), "a timer event never has a numbered id: it could be issued twice")
        #expect(PeerRules.idBelongs(event("s11-9", node: "s11", .progress)))
        // The byte-level reading of "<node>-<digits>" agrees with the character-level rule it replaced.
        func characterRule(_ id: String, _ node: String) -> Bool {
            guard id.hasPrefix(node + "-") else { return false }
            let number = id.dropFirst(node.count + 1)
            return !number.isEmpty && number.allSatisfy(\.isASCII) && number.allSatisfy(\.isNumber)
        }
        let nodes = ["s11", "d1", "s1", "湖滨", "s11-9"]
        let ids = ["s11-9", "s11-0012", "s11-", "s11", "s11--9", "s11-9a", "s11-٩", "s11-１２", "s1-9", "s111-9", "d1-1796000400123456", "湖滨-3",
                   "湖滨-", "s11-9-9", "s11-9 ", " s11-9", "", "-9", "s11-9\u{0}"]
        for id in ids {
            for node in nodes {
                #expect(PeerRules.idBelongs(event(id, node: node, .progress)) == characterRule(id, node), "\(id.debugDescription) of \(node)")
            }
        }
    }

    @Test func warningsAreAQuarterBeforeTheDueTimeInTheLimitsOwnUnit() {
        let cal = WorkCalendar.china2026
        // 2 working hours from Monday 11:00, around the lunch break (12:00–14:00): due 15:00; warned with a quarter
        // of the working time left, 1.5 working hours in: 14:30.
        let start = Self.t0 + 7200  // 11:00
        let limit = TimeLimit(2, .workingHours)
        let due = limit.due(from: start, calendar: cal)
        #expect(due == Self.t0 + 6 * 3600, "11:00 + 1 h to noon + 1 h from 14:00 = 15:00")
        #expect(limit.warning(from: start, due: due, left: 0.25, calendar: cal) == Self.t0 + 5.5 * 3600, "1.5 working hours in: 14:30")
        #expect(cal.workingHours(from: start, to: due) == 2)
        // Clock hours: three quarters of the clock time.
        #expect(TimeLimit(24, .hours).warning(from: Self.t0, due: Self.t0 + 86_400, left: 0.25, calendar: cal) == Self.t0 + 64_800)
        // Over a weekend, working days count working time only: 1 working day from Friday 09:00 is Monday 09:00,
        // warned with a quarter of its 7 working hours left: 5.25 working hours in, Friday 16:15 (not on Sunday).
        let friday = Self.t0 + 4 * 86_400
        let monday = TimeLimit(1, .workingDays).due(from: friday, calendar: cal)
        #expect(monday == Self.t0 + 7 * 86_400)
        #expect(TimeLimit(1, .workingDays).warning(from: friday, due: monday, left: 0.25, calendar: cal) == friday + 7.25 * 3600)
    }

    @Test func thePolicysSupervisionSettingsDecodeWithDefaultsAndRefuseNonsense() throws {
        let base = #"{"rules": [], "default": {"name": "d", "response": {"value": 2, "unit": "hours"}, "handling": {"value": 1, "unit": "working_days"}}"#
        let plain = try JSONDecoder().decode(DeadlinePolicy.self, from: Data((base + "}").utf8))
        #expect(plain.supervision == DeadlinePolicy.Supervision())
        let set = try JSONDecoder().decode(DeadlinePolicy.self, from: Data((base + #", "supervision": {"warn_when_left": 0.5, "max_extensions": 1, "escalate_after": {"value": 4, "unit": "hours"}}}"#).utf8))
        #expect(set.supervision.warnWhenLeft == 0.5 && set.supervision.maxExtensions == 1 && set.supervision.escalateAfter == TimeLimit(4, .hours))
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(DeadlinePolicy.self, from: Data((base + #", "supervision": {"warn_when_left": 1.5}}"#).utf8)) }
    }

    @Test func stampingGivesOneEscalationTimePerUnitAboveTheHolder() {
        let clock = DeadlineRules.Clock(policy: .sample, calendar: .china2026)
        let c = openCase()
        var toStreet = CaseEvent(id: "d1-1", caseId: c.id, at: Self.t0, node: "d1", actor: "system", action: .dispatched, state: .dispatched, holder: "s11")
        DeadlineRules.stamp(&toStreet, case: c, clock: clock, unitsAbove: { $0 == "s11" ? 2 : $0 == "d1" ? 1 : 0 })
        #expect(toStreet[.escalateAt] == ["2026-12-01T03:00:00.000Z", "2026-12-02T03:00:00.000Z"], "a working day after 11:00, then another")
        var toDistrict = CaseEvent(id: "city-1", caseId: c.id, at: Self.t0, node: "city", actor: "system", action: .dispatched, state: .dispatched, holder: "d1")
        DeadlineRules.stamp(&toDistrict, case: c, clock: clock, unitsAbove: { $0 == "d1" ? 1 : 0 })
        #expect(toDistrict[.escalateAt] == ["2026-12-01T03:00:00.000Z"])
    }
}
