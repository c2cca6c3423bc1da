import CivicCases
import CivicNode
import Foundation
import TestSupport
import Testing

/// Domain behaviour on a city of engines without sockets (EngineMesh): routing, returns, recalls raced
/// deterministically against the holder, rulings, counters, repeat reports over days of manual time.
@Suite struct EngineMeshTests {
    func draft(_ subject: String, address: String? = nil, category: String? = "城乡建设", phone: String? = nil) -> CaseDraft {
        CaseDraft(channel: .hotline, citizen: Citizen(phone: phone), subject: subject, detail: subject + "，请尽快处理", location: Location(address: address), category: category)
    }

    @Test func routingPlacesByAddressAndQueuesWhatNoRuleCanPlace() throws {
        let mesh = try EngineMesh()
        let street = try mesh.intake(at: "city", draft("路灯不亮", address: "东湖区湖滨街道梨花路12号"))
        let district = try mesh.intake(at: "city", draft("东湖的路面塌陷了", address: "东湖区"))
        let nowhere = try mesh.intake(at: "city", draft("咨询社保卡办理", category: "劳动和社会保障"))
        #expect(try mesh.deliver().isEmpty)
        #expect(try mesh.stateAt("s990101001", street.case.id) == "dispatched@s990101001")
        #expect(try mesh.stateAt("city", street.case.id) == "dispatched@s990101001")
        #expect(try mesh.stateAt("d990101", district.case.id) == "pending@d990101", "the district cannot place it: its operator decides")
        #expect(try mesh.stateAt("city", district.case.id) == "pending@d990101")
        #expect(try mesh.stateAt("city", nowhere.case.id) == "pending@city")
        #expect(try mesh.caseAt("d990102", street.case.id) == nil, "other districts never see it")
        for (a, b) in [("d990101", "city"), ("s990101001", "d990101")] {
            let up = mesh.engine(a).linkFigures(b), down = mesh.engine(b).linkFigures(a)
            #expect(up.lastAssigned == down.lastApplied && down.lastAssigned == up.lastApplied && up.outboxDepth == 0 && down.outboxDepth == 0)
        }
    }

    @Test func errorsHaveCodesOfTheirOwn() throws {
        let mesh = try EngineMesh()
        #expect(throws: CaseRuleError(.wrongTier, field: "tier", "cases enter at the city or at a street; d990101 is a district")) {
            try mesh.intake(at: "d990101", draft("路灯不亮"))
        }
        let long = String(repeating: "路", count: 600)
        do { _ = try mesh.intake(at: "city", draft(long)); Issue.record("a 1,800-byte subject must be refused") }
        catch let error as CaseRuleError { #expect(error.code == .tooLong && error.field == "subject", "\(error)") }
    }

    @Test func aCaseIsNeverRoutedBackToAnyUnitThatReturnedIt() throws {
        let mesh = try EngineMesh()
        let id = try mesh.intake(at: "city", draft("井盖缺失", address: "东湖区湖滨街道湖边路3号")).case.id
        try mesh.deliver()
        try mesh.perform(.returnUp(reason: "属梨园街道"), on: id, at: "s990101001")
        try mesh.deliver()
        #expect(try mesh.stateAt("d990101", id) == "pending@d990101")
        try mesh.perform(.assign(target: "s990101002"), on: id, at: "d990101")
        try mesh.deliver()
        try mesh.perform(.returnUp(reason: "属湖滨街道"), on: id, at: "s990101002")
        try mesh.deliver()
        #expect(try mesh.stateAt("d990101", id) == "pending@d990101", "the address points at the first street, which returned it too")
        let history = try #require(try mesh.caseAt("city", id)).1
        #expect(history.map(\.action.rawValue) == ["created", "dispatched", "returned", "queued", "assigned", "returned", "queued"])
        #expect(history.last?.note?.contains("s990101001 returned") == true)
    }

    @Test func aRecallCrossingTheHoldersOwnActionLeavesOneHolderEverywhere() throws {
        let mesh = try EngineMesh()
        let id = try mesh.intake(at: "city", draft("噪音扰民", address: "东湖区湖滨街道", category: "环境保护")).case.id
        try mesh.deliver()
        // Both act before either hears of the other: the street signs for it, the city recalls it.
        try mesh.perform(.accept, on: id, at: "s990101001")
        try mesh.perform(.assign(target: "s990102001", reason: "实为南门街道辖区"), on: id, at: "city")
        #expect(try mesh.deliver().isEmpty, "nothing is refused")
        for node in ["city", "d990102", "s990102001"] {
            #expect(try mesh.stateAt(node, id) == "dispatched@s990102001", "\(node)")
        }
        #expect(try mesh.stateAt("s990101001", id) == "returned@d990101", "the old holder handed it up and can act no more")
        let moved = try #require(try mesh.caseAt("city", id)).1.filter(\.action.movesCase).map(\.action.rawValue)
        #expect(moved == ["created", "dispatched", "accepted", "handed_up", "handed_up", "assigned"], "\(moved)")
        #expect(throws: CaseRuleError.self) { try mesh.perform(.resolve(reply: "x"), on: id, at: "s990101001") }
    }

    @Test func aRulingHoldsTheUnitUntilTheRulerAllowsAReturn() throws {
        let mesh = try EngineMesh()
        let id = try mesh.intake(at: "city", draft("占道经营", address: "南山区南门街道")).case.id
        try mesh.deliver()
        try mesh.perform(.returnUp(reason: "不属本街道"), on: id, at: "s990102001")
        try mesh.deliver()
        try mesh.perform(.assign(target: "s990102002", reason: "经核实属青石街道", ruling: true), on: id, at: "d990102")
        try mesh.deliver()
        do {
            try mesh.perform(.returnUp(reason: "仍不属本街道"), on: id, at: "s990102002")
            Issue.record("the ruled unit may not return it")
        } catch let error as CaseRuleError { #expect(error.field == "ruling") }
        try mesh.perform(.allowReturn(reason: "同意退回复核"), on: id, at: "d990102")
        try mesh.deliver()
        try mesh.perform(.returnUp(reason: "仍不属本街道"), on: id, at: "s990102002")
        #expect(try mesh.deliver().isEmpty)
        #expect(try mesh.caseAt("city", id)?.0.returnCount == 2)
    }

    @Test func countersFollowTheCaseAtEveryTier() throws {
        let mesh = try EngineMesh()
        let id = try mesh.intake(at: "city", draft("垃圾清运不及时", address: "南山区青石街道", category: "环境保护")).case.id
        try mesh.deliver()
        try mesh.perform(.accept, on: id, at: "s990102002")
        try mesh.perform(.resolve(reply: "已清运"), on: id, at: "s990102002")
        try mesh.deliver()
        for node in ["city", "d990102", "s990102002"] {
            let subtree = mesh.engine(node).counters.subtree
            #expect(subtree.received == 1 && subtree.resolved == 1 && subtree.open == 0, "\(node): \(subtree)")
        }
        #expect(mesh.engine("city").counters.own.received == 1 && mesh.engine("city").counters.own.open == 0)
        #expect(mesh.engine("d990101").counters.subtree.received == 0)
    }

    @Test func aRepeatReportLinksWithinSevenDaysOfTheClockAndNotAfter() throws {
        let mesh = try EngineMesh()
        let first = try mesh.intake(at: "city", draft("小区门口下水道堵塞污水横流", address: "南山区南门街道", phone: "13700000001"))
        #expect(first.case.createdAt == mesh.clock.now(), "the engine takes its time from the injected clock")
        try mesh.deliver()
        mesh.clock.advance(by: 3 * 86400)
        let again = try mesh.intake(at: "city", draft("小区门口下水道堵塞污水横流", address: "南山区南门街道", phone: "13700000001"))
        #expect(again.linkedTo == first.case.id)
        try mesh.deliver()
        #expect(try mesh.caseAt("s990102001", first.case.id)?.1.last?.action == .linked, "the street handling it hears of the repeat")
        mesh.clock.advance(by: 8 * 86400)
        let later = try mesh.intake(at: "city", draft("小区门口下水道堵塞污水横流", address: "南山区南门街道", phone: "13700000001"))
        #expect(later.linkedTo == nil && later.case.id != first.case.id, "eleven days on it is a new case")
    }

    @Test func aRestartInTheMiddleLosesNothingAndKeepsTheLinksInStep() throws {
        let mesh = try EngineMesh()
        var ids: [String] = []
        for i in 0..<6 { ids.append(try mesh.intake(at: "city", draft(SyntheticCases.subject(i), address: "西岭区枫林街道\(i)号")).case.id) }
        try mesh.deliver(limit: 4)
        try mesh.restart("d990103")
        try mesh.restart("city")
        #expect(try mesh.deliver().isEmpty)
        for id in ids { #expect(try mesh.stateAt("s990103001", id) == "dispatched@s990103001") }
        let up = mesh.engine("d990103").linkFigures("city"), down = mesh.engine("city").linkFigures("d990103")
        #expect(up.lastApplied == down.lastAssigned && down.outboxDepth == 0)
    }

    @Test func aRolledBackOperationLeavesNoTraceInAnyInMemoryMirror() throws {
        // Lines of at most 4 KiB: a case with a 3 KB detail is recorded, then its dispatch does not fit, and
        // the whole intake is refused after it had already touched the counters, the event counter, the link
        // ledger and the repeat-report index.
        let mesh = try EngineMesh { $0.maxLineBytes = 4096 }
        let city = mesh.engine("city")
        let small = try mesh.intake(at: "city", draft("路灯不亮", address: "东湖区湖滨街道"))
        let (counters, index, link) = (city.counters, city.duplicateIndexCount, city.linkFigures("d990101"))
        let big = CaseDraft(channel: .hotline, subject: "井盖缺失", detail: String(repeating: "详", count: 1000), location: Location(address: "东湖区湖滨街道"), category: "城乡建设")
        #expect(throws: CaseRuleError.self) { try mesh.intake(at: "city", big) }
        #expect(city.counters == counters, "counters")
        #expect(city.duplicateIndexCount == index, "the repeat-report index")
        #expect(city.linkFigures("d990101") == link, "link sequence numbers")
        #expect(try mesh.deliver().isEmpty)
        let next = try mesh.intake(at: "city", draft("噪音扰民", address: "东湖区湖滨街道", category: "环境保护"))
        let ids = try #require(try mesh.caseAt("city", next.case.id)).1.map(\.id)
        let previous = try #require(try mesh.caseAt("city", small.case.id)).1.map(\.id)
        #expect(ids.first == "city-\(previous.count + 1)", "the refused intake's event ids are taken again: \(previous) then \(ids)")
        #expect(small.case.id.hasSuffix("-000001") && next.case.id.hasSuffix("-000002"), "the refused intake's case number is taken again: \(small.case.id) then \(next.case.id)")
        #expect(try mesh.stateAt("s990101001", next.case.id) == nil)
        try mesh.deliver()
        #expect(try mesh.stateAt("s990101001", next.case.id) == "dispatched@s990101001")
    }

    @Test func aRefusedOperationInsideABatchTakesBackOnlyItsOwnCounts() throws {
        // One commit holding an intake, a refused intake and another intake, as group commit runs them: the counters
        // keep the two that stood, in memory and as written, and the case numbers run on without a gap.
        let mesh = try EngineMesh { $0.maxLineBytes = 4096 }
        let city = mesh.engine("city")
        let big = CaseDraft(channel: .hotline, subject: "井盖缺失", detail: String(repeating: "详", count: 1000), location: Location(address: "东湖区湖滨街道"), category: "城乡建设")
        let ids = try city.batch { () throws -> [String] in
            let first = try city.intake(draft("路灯不亮", address: "东湖区湖滨街道"), at: mesh.clock.now()).0.case.id
            #expect(throws: CaseRuleError.self) { try city.intake(big, at: mesh.clock.now()) }
            let second = try city.intake(draft("噪音扰民", address: "东湖区湖滨街道", category: "环境保护"), at: mesh.clock.now()).0.case.id
            return [first, second]
        }
        #expect(ids[0].hasSuffix("-000001") && ids[1].hasSuffix("-000002"), "\(ids)")
        #expect(city.counters.subtree.received == 2 && city.counters.own.received == 2, "\(city.counters)")
        let inMemory = city.counters
        try mesh.restart("city")
        #expect(mesh.engine("city").counters == inMemory, "the counters as written are the counters as kept")
    }

    @Test func aCaseDispatchedToANewUnitCountsEachReturnOnce() throws {
        let mesh = try EngineMesh()
        let id = try mesh.intake(at: "city", draft("井盖缺失", address: "东湖区湖滨街道湖边路3号")).case.id
        try mesh.deliver()
        try mesh.perform(.returnUp(reason: "不属本街道"), on: id, at: "s990101001")
        try mesh.deliver()
        try mesh.perform(.assign(target: "s990101002", reason: "改派"), on: id, at: "d990101")
        try mesh.deliver()
        // The dispatch carries the header (which counted the return) and the return event itself.
        for node in ["city", "d990101", "s990101001", "s990101002"] {
            #expect(try mesh.caseAt(node, id)?.0.returnCount == 1, "\(node)")
        }
    }

    @Test func everyProjectionIsRebuiltFromTheEventLogAsItWas() throws {
        let mesh = try EngineMesh()
        let a = try mesh.intake(at: "city", draft("井盖缺失", address: "东湖区湖滨街道湖边路3号")).case.id
        let b = try mesh.intake(at: "city", draft("噪音扰民", address: "南山区南门街道", category: "环境保护")).case.id
        _ = try mesh.intake(at: "city", draft("咨询社保卡办理", category: "劳动和社会保障"))
        _ = try mesh.intake(at: "s990103001", CaseDraft(channel: .grid, subject: "网格巡查发现占道", category: "城乡建设"))
        try mesh.deliver()
        try mesh.perform(.returnUp(reason: "不属本街道"), on: a, at: "s990101001")
        try mesh.perform(.accept, on: b, at: "s990102001")
        try mesh.perform(.assign(target: "s990103002", reason: "改派"), on: b, at: "city")
        try mesh.deliver()
        try mesh.perform(.assign(target: "s990101002", reason: "裁定", ruling: true), on: a, at: "d990101")
        try mesh.deliver()
        for node in ["city", "d990101", "d990102", "s990101002", "s990103002"] {
            let engine = mesh.engine(node)
            let (cases, counters) = (try engine.allCases().sorted { $0.id < $1.id }, engine.counters)
            try engine.corruptCountersForTest()
            try engine.rebuildProjections()
            #expect(engine.counters == counters, "\(node): counters replayed")
            let replayed = try engine.allCases().sorted { $0.id < $1.id }
            #expect(replayed == cases, "\(node): case rows replayed: \(zip(replayed, cases).filter { $0 != $1 }.map { "\($0)\n  vs \($1)" })")
            try mesh.restart(node)
            #expect(mesh.engine(node).counters == counters, "\(node): the rebuilt counters are what is stored")
        }
    }
}
