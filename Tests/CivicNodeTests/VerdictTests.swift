import CivicCases
import CivicNode
import Foundation
import TestSupport
import Testing

/// The citizen's verdict (群众评价), return visits (回访), reopening (二次办理), the third-party check (第三方核查)
/// and closing without a verdict, on a city of engines with a manual clock.
@Suite struct VerdictTests {
    static let street = "s990101001", district = "d990101"
    static let tiers = ["city", district, street]

    /// Monday 2026-11-30 09:00 in Shanghai.
    static let monday = Date(timeIntervalSince1970: 1_796_000_400)

    func resolvedCase(_ mesh: EngineMesh, subject: String = "路灯不亮") throws -> String {
        let receipt = try mesh.intake(at: "city", CaseDraft(channel: .hotline, citizen: Citizen(name: "张三", phone: "13800000001"), subject: subject,
                                                           location: Location(address: "东湖区湖滨街道"), category: "城乡建设"))
        #expect(try mesh.deliver().isEmpty)
        let id = receipt.case.id
        try handle(mesh, id)
        return id
    }

    func handle(_ mesh: EngineMesh, _ id: String, reply: String = "已修复路灯") throws {
        _ = try mesh.perform(.accept, on: id, at: Self.street)
        _ = try mesh.perform(.resolve(reply: reply), on: id, at: Self.street)
        #expect(try mesh.deliver().isEmpty)
    }

    func everywhere(_ mesh: EngineMesh, _ id: String) throws -> [String] { try Self.tiers.map { try mesh.stateAt($0, id) ?? "missing" } }

    static func verdict(_ s: Satisfaction, solved: Bool? = nil, comment: String? = nil, by source: Verdict.Source = .citizen) -> CaseCommand {
        .evaluate(Verdict(satisfaction: s, solved: solved, comment: comment, source: source))
    }

    @Test func aSatisfiedVerdictClosesTheCaseAtEveryTierAndCountsForTheStreet() throws {
        let mesh = try EngineMesh(clock: ManualClock(Self.monday))
        let id = try resolvedCase(mesh)
        #expect(mesh.engine("city").counters.subtree.awaitingVerdict == 1)
        let closed = try mesh.perform(Self.verdict(.satisfied, solved: true, comment: "很快就修好了"), on: id, at: "city")
        #expect(closed.state == .closed && closed.closedAs == .verdict && closed.satisfaction == .satisfied)
        #expect(try mesh.deliver().isEmpty)
        #expect(try everywhere(mesh, id) == Array(repeating: "closed@\(Self.street)", count: 3))
        let history = try #require(try mesh.caseAt(Self.street, id)).1
        let evaluated = try #require(history.last)
        #expect(evaluated.action == .evaluated && evaluated.node == "city" && evaluated[.satisfaction] == "satisfied" && evaluated[.solved] == "true"
                && evaluated[.comment] == "很快就修好了" && evaluated[.verdictBy] == "citizen")
        for node in Self.tiers {
            let counters = mesh.engine(node).counters
            #expect(counters.subtree.verdicts["satisfied"] == 1 && counters.subtree.verdicts["closed_verdict"] == 1 && counters.subtree.verdicts["solved"] == 1, "\(node): \(counters.subtree.verdicts)")
            #expect(counters.subtree.satisfactionRate == 1 && counters.subtree.awaitingVerdict == 0 && counters.subtree.byState["closed"] == 1, "\(node)")
        }
        #expect(mesh.engine(Self.street).counters.own.verdicts["satisfied"] == 1, "the street's own figures")
        // A closed case is over: neither a second verdict nor the street can touch it.
        #expect(throws: CaseRuleError.self) { try mesh.perform(Self.verdict(.unsatisfied), on: id, at: "city") }
        #expect(throws: CaseRuleError.self) { try mesh.perform(.resolve(reply: "again"), on: id, at: Self.street) }
        // Counters are a projection of the log.
        let before = mesh.engine("city").counters
        try mesh.engine("city").rebuildProjections()
        #expect(mesh.engine("city").counters == before)
    }

    @Test func anUnsatisfiedVerdictReopensTheCaseAtTheSameUnitAndASecondRoundClosesIt() throws {
        let clock = ManualClock(Self.monday)
        let mesh = try EngineMesh(clock: clock)
        let id = try resolvedCase(mesh)
        clock.advance(by: 3600)
        let reopened = try mesh.perform(Self.verdict(.unsatisfied, solved: false, comment: "灯还是不亮"), on: id, at: "city")
        #expect(reopened.state == .dispatched && reopened.holder == Self.street && reopened.reopenCount == 1)
        #expect(try mesh.deliver().isEmpty)
        #expect(try everywhere(mesh, id) == Array(repeating: "dispatched@\(Self.street)", count: 3))
        let atStreet = try #require(try mesh.caseAt(Self.street, id))
        #expect(atStreet.0.attributes["response_due"] != nil && atStreet.0.attributes["clock"] == atStreet.1.last?.id, "the reopening starts a new response clock")
        #expect(atStreet.1.last?.note?.contains("灯还是不亮") == true, "the citizen's comment travels with the reopening")
        #expect(mesh.engine("city").counters.subtree.verdicts["reopened"] == 1 && mesh.engine("city").counters.subtree.satisfactionRate == 0)

        try handle(mesh, id, reply: "更换了灯具")
        #expect(try everywhere(mesh, id) == Array(repeating: "resolved@\(Self.street)", count: 3))
        _ = try mesh.perform(Self.verdict(.basicallySatisfied, solved: true, by: .revisit), on: id, at: "city")
        #expect(try mesh.deliver().isEmpty)
        #expect(try everywhere(mesh, id) == Array(repeating: "closed@\(Self.street)", count: 3))
        let v = mesh.engine(Self.district).counters.subtree.verdicts
        #expect(v["unsatisfied"] == 1 && v["basically_satisfied"] == 1 && v["reopened"] == 1 && v["closed_verdict"] == 1, "\(v)")
        #expect(mesh.engine(Self.district).counters.subtree.satisfactionRate == 0.5)
    }

    @Test func aSecondUnsatisfiedVerdictGoesToTheThirdPartyCheckWhoseFindingClosesOrReopens() throws {
        let mesh = try EngineMesh(clock: ManualClock(Self.monday))
        let upheld = try resolvedCase(mesh), notHandled = try resolvedCase(mesh, subject: "路灯坏了很久")
        for id in [upheld, notHandled] {
            _ = try mesh.perform(Self.verdict(.unsatisfied), on: id, at: "city")
            #expect(try mesh.deliver().isEmpty)
            try handle(mesh, id)
            let checking = try mesh.perform(Self.verdict(.unsatisfied, comment: "还是没修"), on: id, at: "city")
            #expect(checking.state == .checking, "reopen_limit 1: the second unsatisfied verdict goes to the check")
        }
        #expect(try mesh.deliver().isEmpty)
        #expect(try everywhere(mesh, upheld) == Array(repeating: "checking@\(Self.street)", count: 3))
        #expect(throws: CaseRuleError.self) { try mesh.perform(.accept, on: upheld, at: Self.street) }
        #expect(throws: CaseRuleError.self) { try mesh.perform(.recordCheck(upheld: true, finding: " "), on: upheld, at: "city") }

        _ = try mesh.perform(.recordCheck(upheld: true, finding: "现场核实路灯已亮"), on: upheld, at: "city")
        _ = try mesh.perform(.recordCheck(upheld: false, finding: "现场路灯仍不亮"), on: notHandled, at: "city")
        #expect(try mesh.deliver().isEmpty)
        #expect(try everywhere(mesh, upheld) == Array(repeating: "closed@\(Self.street)", count: 3))
        #expect(try everywhere(mesh, notHandled) == Array(repeating: "dispatched@\(Self.street)", count: 3))
        #expect(try mesh.caseAt(Self.street, upheld)?.0.closedAs == .checkUpheld)
        let v = mesh.engine("city").counters.subtree.verdicts
        #expect(v["checks"] == 2 && v["closed_check_upheld"] == 1 && v["reopened"] == 3, "\(v)")

        // A dispatcher may also send a resolved case to the check before any verdict.
        let direct = try resolvedCase(mesh, subject: "路灯闪烁")
        #expect(throws: CaseRuleError.self) { try mesh.perform(.sendToCheck(reason: ""), on: direct, at: "city") }
        #expect(try mesh.perform(.sendToCheck(reason: "市民来电称处理不实"), on: direct, at: "city").state == .checking)
    }

    @Test func noVerdictWithinSevenDaysClosesTheCaseAsNotEvaluatedOnceAndNeverAsSatisfied() throws {
        let clock = ManualClock(Self.monday)
        let mesh = try EngineMesh(clock: clock)
        let id = try resolvedCase(mesh)
        let resolved = try #require(try mesh.caseAt("city", id)).0
        #expect(resolved.attributes["verdict_due"] == "2026-12-07T01:00:00.000Z", "seven calendar days after the resolution: \(resolved.attributes)")

        clock.advance(by: 7 * 86_400 - 60)
        #expect(try mesh.tickAndDeliver() == 0, "a minute early")
        clock.advance(by: 120)
        #expect(try mesh.tickAndDeliver() == 1)
        #expect(try mesh.tickAndDeliver() == 0, "once")
        #expect(try everywhere(mesh, id) == Array(repeating: "closed@\(Self.street)", count: 3))
        for node in Self.tiers {
            let history = try #require(try mesh.caseAt(node, id)).1
            let closing = history.filter { $0.action == .closed }
            #expect(closing.map(\.id) == ["city:unrated:\(resolved.attributes["verdict_clock"] ?? "?")"], "\(node): \(closing.map(\.id))")
            let counters = mesh.engine(node).counters.subtree
            #expect(counters.verdicts["closed_no_evaluation"] == 1 && counters.verdicts["satisfied"] == nil && counters.satisfactionRate == nil, "\(node)")
        }
        #expect(throws: CaseRuleError.self) { try mesh.perform(Self.verdict(.satisfied), on: id, at: "city") }
        try mesh.engine("city").rebuildProjections()
        clock.advance(by: 86_400)
        #expect(try mesh.tickAndDeliver() == 0, "a replay issues nothing again")

        // Only the city issues it: the street and the district owe nothing for a resolved case.
        let other = try resolvedCase(mesh, subject: "路灯不亮了")
        clock.advance(by: 8 * 86_400)
        #expect(try mesh.tick([Self.street, Self.district]) == 0)
        #expect(try mesh.stateAt("city", other) == "resolved@\(Self.street)")
        #expect(try mesh.tickAndDeliver() == 1)
    }

    @Test func returnVisitsThatCannotReachTheCitizenCloseTheCaseAsUnreachableAfterTheAttempts() throws {
        let mesh = try EngineMesh(clock: ManualClock(Self.monday))
        let id = try resolvedCase(mesh)
        for attempt in 1...2 {
            let c = try mesh.perform(.revisitFailed(note: "无人接听"), on: id, at: "city")
            #expect(c.state == .resolved && c.revisitAttempts == attempt)
        }
        let closed = try mesh.perform(.revisitFailed(note: "关机"), on: id, at: "city")
        #expect(closed.state == .closed && closed.closedAs == .unreachable)
        #expect(try mesh.deliver().isEmpty)
        #expect(try everywhere(mesh, id) == Array(repeating: "closed@\(Self.street)", count: 3))
        #expect(mesh.engine(Self.street).counters.own.verdicts["closed_unreachable"] == 1)
    }

    @Test func verdictsAreTheCitysAndOnlyForAResolvedCase() throws {
        let mesh = try EngineMesh(clock: ManualClock(Self.monday))
        let receipt = try mesh.intake(at: "city", CaseDraft(channel: .hotline, subject: "路灯不亮", location: Location(address: "东湖区湖滨街道"), category: "城乡建设"))
        #expect(try mesh.deliver().isEmpty)
        let id = receipt.case.id
        #expect(throws: CaseRuleError.self) { try mesh.perform(Self.verdict(.satisfied), on: id, at: "city") }
        try handle(mesh, id)
        for node in [Self.district, Self.street] {
            do {
                _ = try mesh.perform(Self.verdict(.satisfied), on: id, at: node)
                Issue.record("\(node) took a verdict")
            } catch let error as CaseRuleError {
                #expect(error.code == .wrongTier, "\(error)")
            }
        }
        #expect(try everywhere(mesh, id) == Array(repeating: "resolved@\(Self.street)", count: 3))
    }

    @Test func theVerdictPolicyDecodesAndRefusesNonsense() throws {
        let decoded = try JSONDecoder().decode(DeadlinePolicy.Verdicts.self, from: Data(#"{"within":{"value":10,"unit":"working_days"},"max_attempts":2}"#.utf8))
        #expect(decoded.within == TimeLimit(10, .workingDays) && decoded.maxAttempts == 2 && decoded.reopenLimit == 1)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(DeadlinePolicy.Verdicts.self, from: Data(#"{"max_attempts":0}"#.utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(DeadlinePolicy.Verdicts.self, from: Data(#"{"reopen_limit":-1}"#.utf8)) }
    }
}
