import CivicCases
import Foundation
import Testing

private let street = TopologyNode(id: "s1", tier: .street, name: "湖滨街道", codes: ["990101001"])
private let district = TopologyNode(id: "d1", tier: .district, name: "东湖区", codes: ["990101"], children: [street, TopologyNode(id: "s2", tier: .street, name: "梨园街道")])
private let city = TopologyNode(id: "city", tier: .city, name: "江城市", children: [district])

private func sampleCase(state: CaseState, holder: String) -> Case {
    Case(id: "JC-20261121-000001", channel: .hotline, citizen: Citizen(name: "张三", phone: "13800000000"), subject: "路灯不亮",
         detail: "", location: Location(address: "湖滨街道"), intake: "city", createdAt: Date(timeIntervalSince1970: 0),
         state: state, holder: holder)
}

@Suite struct CaseRulesTests {
    func apply(_ command: CaseCommand, _ c: Case, at node: TopologyNode, parent: String?) throws(CaseRuleError) -> CaseEvent {
        try CaseRules.event(for: command, on: c, node: node, parent: parent, actor: "王五", eventId: "\(node.id)-1", at: Date())
    }

    @Test func streetAcceptsProgressesAndResolves() throws {
        let accepted = try apply(.accept, sampleCase(state: .dispatched, holder: "s1"), at: street, parent: "d1")
        #expect(accepted.action == .accepted && accepted.state == .accepted && accepted.holder == "s1" && accepted.actor == "王五")
        let progress = try apply(.progress(note: "已派人查看"), sampleCase(state: .accepted, holder: "s1"), at: street, parent: "d1")
        #expect(progress.state == .accepted && progress.note == "已派人查看")
        let resolved = try apply(.resolve(reply: "已修复"), sampleCase(state: .accepted, holder: "s1"), at: street, parent: "d1")
        #expect(resolved.state == .resolved && resolved.data["reply"] == "已修复")
    }

    @Test func resolvingACaseNeverAcceptedIsRefusedNamingTheRule() {
        #expect(throws: CaseRuleError(.badTransition, field: "state", "resolve requires state accepted; case JC-20261121-000001 is dispatched")) {
            try apply(.resolve(reply: "done"), sampleCase(state: .dispatched, holder: "s1"), at: street, parent: "d1")
        }
    }

    @Test func onlyTheHolderMayAct() {
        do {
            _ = try apply(.accept, sampleCase(state: .dispatched, holder: "s2"), at: street, parent: "d1")
            Issue.record("accept by a non-holder must fail")
        } catch {
            #expect(error.code == .notHolder && error.message.contains("held by s2"))
        }
    }

    @Test func emptyReplyReasonAndNoteAreMissingFields() {
        for command in [CaseCommand.resolve(reply: "  "), .progress(note: "")] {
            #expect(throws: CaseRuleError.self) { try apply(command, sampleCase(state: .accepted, holder: "s1"), at: street, parent: "d1") }
        }
        do {
            _ = try apply(.returnUp(reason: ""), sampleCase(state: .accepted, holder: "s1"), at: street, parent: "d1")
            Issue.record("empty reason must fail")
        } catch { #expect(error.field == "reason" && error.code == .missingField) }
    }

    @Test func returnGoesToTheParentAndRecordsWhoReturned() throws {
        let e = try apply(.returnUp(reason: "不属于本街道"), sampleCase(state: .accepted, holder: "s1"), at: street, parent: "d1")
        #expect(e.state == .returned && e.holder == "d1" && e.data["from"] == "s1" && e.data["reason"] == "不属于本街道")
    }

    @Test func theCityHasNothingToReturnTo() {
        do {
            _ = try apply(.returnUp(reason: "x"), sampleCase(state: .pending, holder: "city"), at: city, parent: nil)
            Issue.record("city return must fail")
        } catch { #expect(error.field == "parent") }
    }

    @Test func onlyStreetsSignFor() {
        do {
            _ = try apply(.accept, sampleCase(state: .dispatched, holder: "d1"), at: district, parent: "city")
            Issue.record("district accept must fail")
        } catch { #expect(error.field == "tier" && error.code == .wrongTier, "a tier error has its own code: \(error.code)") }
    }

    @Test func assignReachesAnyUnitBelowWithItsRoute() throws {
        let e = try apply(.assign(target: "s2"), sampleCase(state: .pending, holder: "city"), at: city, parent: nil)
        #expect(e.action == .assigned && e.state == .dispatched && e.holder == "s2" && e[.route] == ["city", "d1", "s2"])
        do {
            _ = try apply(.assign(target: "nowhere"), sampleCase(state: .pending, holder: "city"), at: city, parent: nil)
            Issue.record("unknown target must fail")
        } catch { #expect(error.code == .badTarget && error.field == "target") }
        do {
            _ = try apply(.assign(target: "s1"), sampleCase(state: .resolved, holder: "city"), at: city, parent: nil)
            Issue.record("resolved case cannot be assigned")
        } catch { #expect(error.code == .badTransition) }
    }
}

@Suite struct CounterRulesTests {
    let subtree: Set<String> = ["d1", "s1", "s2"]

    func deltas(_ before: (CaseState, String)?, _ action: CaseAction, _ state: CaseState, _ holder: String, node: String = "d1") -> [String: Int] {
        let e = CaseEvent(id: "x-1", caseId: "c", at: Date(), node: node, actor: "system", action: action, state: state, holder: holder)
        var out: [String: Int] = [:]
        for d in CounterRules.deltas(before: before.map { (state: $0.0, holder: $0.1) }, event: e, me: "d1", inSubtree: { subtree.contains($0) }) {
            out["\(d.scope).\(d.key)", default: 0] += d.amount
        }
        return out.filter { $0.value != 0 }
    }

    @Test func aCaseEnteringTheSubtreeCountsAsReceivedOnce() {
        #expect(deltas(nil, .dispatched, .dispatched, "d1", node: "city") == ["self.state.dispatched": 1, "self.received": 1, "subtree.state.dispatched": 1, "subtree.received": 1])
        // d1 routes it to s1: leaves self, stays in subtree
        #expect(deltas((.dispatched, "d1"), .dispatched, .dispatched, "s1") == ["self.state.dispatched": -1])
    }

    @Test func resolvingMovesStateAndCountsResolved() {
        #expect(deltas((.accepted, "s1"), .resolved, .resolved, "s1", node: "s1") == ["subtree.state.accepted": -1, "subtree.state.resolved": 1, "subtree.resolved": 1])
    }

    @Test func returningUpAndOutOfTheSubtree() {
        #expect(deltas((.pending, "d1"), .returned, .returned, "city") == ["self.state.pending": -1, "subtree.state.pending": -1, "self.returned": 1, "subtree.returned": 1])
    }

    @Test func countersSubscriptReadsAndWritesStateKeys() {
        var c = Counters()
        c["state.pending"] += 2
        c["received"] += 3
        c["state.resolved"] += 1
        #expect(c.manualQueue == 2 && c.open == 2 && c.received == 3)
        c["state.pending"] -= 2
        #expect(c.byState["pending"] == nil)
    }
}

@Suite struct TopologyTests {
    @Test func pathsParentsAndProblems() {
        let t = Topology(casePrefix: "JC", root: city)
        #expect(t.root.path(to: "s2") == ["city", "d1", "s2"])
        #expect(t.parent(of: "s1") == "d1" && t.parent(of: "city") == nil)
        #expect(t.problems().isEmpty)
        var bad = t
        bad.root.children[0].children[0].tier = .district
        bad.casePrefix = "J C"
        let problems = bad.problems()
        #expect(problems.contains { $0.contains("case_prefix") })
        #expect(problems.contains { $0.contains("node s1 has tier district") })
    }

    @Test func caseIdsAreReadableAndDistinctPerIntakeNode() {
        let date = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18 in UTC+8
        #expect(CaseID.make(prefix: "WH", day: CaseID.dayStamp(date), intakeNode: "city", isCity: true, sequence: 123) == "WH-\(CaseID.dayStamp(date))-000123")
        #expect(CaseID.make(prefix: "WH", day: CaseID.dayStamp(date), intakeNode: "s1", isCity: false, sequence: 45).hasSuffix("-s1-000045"))
        #expect(CaseID.dayStamp(Date(timeIntervalSince1970: 16 * 3600)) == "19700102")  // 16:00 UTC is the next day in China
    }
}

@Suite struct RecallAndRulingTests {
    func apply(_ command: CaseCommand, _ c: Case, at node: TopologyNode, parent: String?) throws(CaseRuleError) -> CaseEvent {
        try CaseRules.event(for: command, on: c, node: node, parent: parent, actor: "调度", eventId: "\(node.id)-9", at: Date())
    }

    @Test func aDispatcherAboveTheHolderRecallsWithAReason() throws {
        let held = sampleCase(state: .accepted, holder: "s1")
        do {
            _ = try apply(.assign(target: "s2"), held, at: city, parent: nil)
            Issue.record("a recall without a reason must fail")
        } catch { #expect(error.field == "reason") }
        let e = try apply(.assign(target: "s2", reason: "群众多次反映，改派梨园街道"), held, at: city, parent: nil)
        #expect(e.action == .recallRequested && e.holder == "s1" && e.state == .accepted && e.data["target"] == "s2")
        // The request changes nobody's hold; the holder hands the case up, tier by tier, to the city, which assigns it.
        var c = held
        CaseRules.fold(e, into: &c)
        #expect(c.holder == "s1" && c.state == .accepted && c.recall?.by == "city" && c.recall?.to == "s2")
        var n = 0
        func next() -> String { n += 1; return "x-\(n)" }
        #expect(CaseRules.carryOutRecall(c, node: district, parent: "city", eventId: next, at: Date()) == nil, "only the holder acts")
        let up1 = try #require(CaseRules.carryOutRecall(c, node: street, parent: "d1", eventId: next, at: Date()))
        #expect(up1.action == .handedUp && up1.holder == "d1")
        CaseRules.fold(up1, into: &c)
        let up2 = try #require(CaseRules.carryOutRecall(c, node: district, parent: "city", eventId: next, at: Date()))
        #expect(up2.action == .handedUp && up2.holder == "city")
        CaseRules.fold(up2, into: &c)
        let assigned = try #require(CaseRules.carryOutRecall(c, node: city, parent: nil, eventId: next, at: Date()))
        #expect(assigned.action == .assigned && assigned.holder == "s2" && assigned[.route] == ["city", "d1", "s2"])
        CaseRules.fold(assigned, into: &c)
        #expect(c.recall == nil && c.holder == "s2" && c.state == .dispatched)
        #expect(CaseRules.carryOutRecall(c, node: city, parent: nil, eventId: next, at: Date()) == nil)
        // A case resolved before the request reached its holder is not recalled.
        var resolved = held
        CaseRules.fold(e, into: &resolved)
        CaseRules.fold(CaseEvent(id: "s1-5", caseId: c.id, at: Date(), node: "s1", actor: "x", action: .resolved, state: .resolved, holder: "s1"), into: &resolved)
        #expect(resolved.recall == nil && CaseRules.carryOutRecall(resolved, node: street, parent: "d1", eventId: next, at: Date()) == nil)
        // …and a request arriving after the resolution leaves no pending recall behind.
        var late = held
        CaseRules.fold(CaseEvent(id: "s1-6", caseId: c.id, at: Date(), node: "s1", actor: "x", action: .resolved, state: .resolved, holder: "s1"), into: &late)
        CaseRules.fold(e, into: &late)
        #expect(late.recall == nil && late.state == .resolved)
        do {
            _ = try apply(.assign(target: "s1", reason: "x"), held, at: city, parent: nil)
            Issue.record("recalling to the holder itself must fail")
        } catch { #expect(error.field == "target") }
        do {
            _ = try apply(.assign(target: "s2", reason: "x"), sampleCase(state: .resolved, holder: "s1"), at: city, parent: nil)
            Issue.record("a resolved case cannot be recalled")
        } catch { #expect(error.field == "state") }
        do {
            _ = try apply(.assign(target: "s1", reason: "x"), sampleCase(state: .accepted, holder: "s2"), at: street, parent: "d1")
            Issue.record("a sibling is not above the holder")
        } catch { #expect(error.code == .notHolder) }
    }

    @Test func aRulingHoldsTheUnitUntilTheRulerAllowsAReturn() throws {
        var c = sampleCase(state: .pending, holder: "d1")
        do {
            _ = try apply(.assign(target: "s1", ruling: true), c, at: district, parent: "city")
            Issue.record("a ruling needs a case that bounced")
        } catch { #expect(error.field == "ruling") }
        CaseRules.fold(CaseEvent(id: "s2-1", caseId: c.id, at: Date(), node: "s2", actor: "x", action: .returned, state: .returned, holder: "d1", data: ["from": "s2"]), into: &c)
        #expect(c.returnCount == 1)
        let ruling = try apply(.assign(target: "s1", ruling: true), c, at: district, parent: "city")
        CaseRules.fold(ruling, into: &c)
        #expect(c.ruling?.unit == "s1" && c.ruling?.by == "d1")
        do {
            _ = try apply(.returnUp(reason: "不归我们"), c, at: street, parent: "d1")
            Issue.record("the ruled unit may not return")
        } catch { #expect(error.field == "ruling" && error.message.contains("d1")) }
        do {
            _ = try apply(.allowReturn(reason: "x"), c, at: city, parent: nil)
            Issue.record("only the ruler lifts its ruling")
        } catch { #expect(error.field == "ruling") }
        let allowed = try apply(.allowReturn(reason: "确属辖区外"), c, at: district, parent: "city")
        #expect(allowed.action == .returnAllowed && allowed.holder == "s1" && allowed.state == c.state)
        CaseRules.fold(allowed, into: &c)
        #expect(c.ruling == nil)
        #expect(try apply(.returnUp(reason: "不归我们"), c, at: street, parent: "d1").action == .returned)
    }
}

@Suite struct RoutingAndPropagationRulesTests {
    let s3 = TopologyNode(id: "s3", tier: .street, name: "南门街道")
    var city2: TopologyNode {
        TopologyNode(id: "city", tier: .city, name: "江城市", children: [district, TopologyNode(id: "d2", tier: .district, name: "南山区", children: [s3])])
    }

    @Test func routingDispatchesAPlacedCaseAndQueuesTheRest() {
        #expect(RoutingRules.decide(Placement(target: "s2", reason: "address"), returners: [], me: city2) == .dispatch(target: "s2", path: ["city", "d1", "s2"], reason: "address"))
        #expect(RoutingRules.decide(Placement(target: nil, candidates: ["s1", "s3"], reason: "ambiguous"), returners: [], me: city2) == .queue(reason: "ambiguous", candidates: ["s1", "s3"]))
        #expect(RoutingRules.decide(Placement(target: "nowhere", reason: "x"), returners: [], me: city2) == .queue(reason: "x", candidates: []))
        #expect(RoutingRules.decide(Placement(target: "city", reason: "x"), returners: [], me: city2) == .queue(reason: "x", candidates: []), "never to itself")
    }

    @Test func routingNeverSendsACaseBackIntoTheSubtreeOfAUnitThatReturnedIt() {
        guard case .queue(let reason, _) = RoutingRules.decide(Placement(target: "s1", reason: "address"), returners: ["d1"], me: city2) else {
            Issue.record("a target inside a returner's subtree must be queued"); return
        }
        #expect(reason.contains("d1 returned the case"))
        #expect(RoutingRules.decide(Placement(target: "s3", reason: "address"), returners: ["d1", "s1"], me: city2) == .dispatch(target: "s3", path: ["city", "d2", "s3"], reason: "address"))
    }

    func event(_ action: CaseAction, holder: String) -> CaseEvent {
        CaseEvent(id: "x-1", caseId: "c", at: Date(), node: "d1", actor: "x", action: action, state: .dispatched, holder: holder)
    }

    @Test func propagationGoesUpUnlessFromTheParentAndDownTowardsTheHolderUnlessFromThere() {
        let held = sampleCase(state: .dispatched, holder: "s1")
        #expect(PropagationRules.sends(event(.dispatched, holder: "s1"), case: held, me: district, parent: "city", origin: .parent) == [.dispatch("s1")])
        #expect(PropagationRules.sends(event(.accepted, holder: "s1"), case: held, me: district, parent: "city", origin: .child("s1")) == [.update("city")])
        #expect(PropagationRules.sends(event(.linked, holder: "s1"), case: held, me: district, parent: "city", origin: .parent) == [.update("s1")])
        #expect(PropagationRules.sends(event(.assigned, holder: "s1"), case: held, me: district, parent: "city", origin: .local) == [.update("city"), .dispatch("s1")])
        let atDistrict = sampleCase(state: .pending, holder: "d1")
        #expect(PropagationRules.sends(event(.queued, holder: "d1"), case: atDistrict, me: district, parent: "city", origin: .local) == [.update("city")])
        #expect(PropagationRules.sends(event(.queued, holder: "city"), case: sampleCase(state: .pending, holder: "city"), me: city, parent: nil, origin: .local).isEmpty)
    }
}
