import CivicCases
import CivicNode
import Foundation
import TestSupport
import Testing

/// Lead and co-handling units (主办 / 协办) and summonses (吹哨报到) on a city of engines with a manual clock: parts
/// travel to their units like cases, each with its own limit, and the lead resolves only when every part is done.
@Suite struct CoHandlingTests {
    static let street = "s990101001", district = "d990101", otherDistrict = "d990102"
    static let monday = Date(timeIntervalSince1970: 1_796_000_400)  // Monday 2026-11-30 09:00 in Shanghai

    func acceptedCase(_ mesh: EngineMesh, subject: String = "小区污水外溢") throws -> String {
        let receipt = try mesh.intake(at: "city", CaseDraft(channel: .hotline, subject: subject, location: Location(address: "东湖区湖滨街道"), category: "城乡建设"))
        #expect(try mesh.deliver().isEmpty)
        _ = try mesh.perform(.accept, on: receipt.case.id, at: Self.street)
        #expect(try mesh.deliver().isEmpty)
        return receipt.case.id
    }

    func parts(_ mesh: EngineMesh, _ id: String, at node: String) throws -> [String] {
        try #require(try mesh.caseAt(node, id)).0.parts.map { "\($0.label):\($0.state.rawValue)" }
    }

    func refused(_ mesh: EngineMesh, _ command: CaseCommand, _ id: String, at node: String) -> CaseRuleError? {
        do {
            _ = try mesh.perform(command, on: id, at: node)
            return nil
        } catch let error as CaseRuleError { return error } catch { return nil }
    }

    @Test func aLeadStreetWithTwoCoHandlingDepartmentsResolvesOnlyAfterBothPartsAreAnsweredOrReleased() throws {
        let mesh = try EngineMesh(clock: ManualClock(Self.monday))
        let id = try acceptedCase(mesh)
        let requested = try mesh.perform(.coHandle(units: ["\(Self.district)/区水务局", "\(Self.otherDistrict)/区住建局"], note: "管网和小区物业共同处理"), on: id, at: "city")
        #expect(requested.parts.map(\.id) == ["\(requested.parts.first?.id.split(separator: "#").first ?? "")#1", "\(requested.parts.first?.id.split(separator: "#").first ?? "")#2"])
        #expect(try mesh.deliver().isEmpty)
        let expected = ["\(Self.district)/区水务局:open", "\(Self.otherDistrict)/区住建局:open"]
        for node in ["city", Self.district, Self.street, Self.otherDistrict] {
            #expect(try parts(mesh, id, at: node) == expected, "\(node) knows the parts")
        }
        // The other district stores the case for its part, held where it is.
        #expect(try mesh.stateAt(Self.otherDistrict, id) == "accepted@\(Self.street)")
        let water = try #require(try mesh.caseAt(Self.district, id)).0.parts[0], housing = try #require(try mesh.caseAt("city", id)).0.parts[1]
        #expect(water.due != nil && water.escalateAt != nil, "each part has its own limit: \(water)")

        // The lead cannot resolve yet; the wrong unit cannot sign for a part; a part is signed for before it is answered.
        #expect(refused(mesh, .resolve(reply: "已处理"), id, at: Self.street)?.field == "parts")
        #expect(refused(mesh, .partAccept(part: water.id), id, at: Self.otherDistrict)?.code == .notHolder)
        #expect(refused(mesh, .partAnswer(part: water.id, note: "x"), id, at: Self.district)?.code == .badTransition)
        _ = try mesh.perform(.partAccept(part: water.id), on: id, at: Self.district)
        let accepted = try #require(try mesh.caseAt(Self.district, id)).0.part(water.id)
        #expect(accepted?.state == .accepted && accepted?.clock != water.clock, "signing starts the part's handling limit")
        _ = try mesh.perform(.partAnswer(part: water.id, note: "主管网已疏通"), on: id, at: Self.district)
        #expect(try mesh.deliver().isEmpty)
        #expect(refused(mesh, .resolve(reply: "已处理"), id, at: Self.street)?.field == "parts", "one part still open")
        // Only the node that named a part, or one above it, releases it.
        #expect(refused(mesh, .partRelease(part: housing.id, reason: "x"), id, at: Self.otherDistrict)?.code == .notHolder)
        _ = try mesh.perform(.partRelease(part: housing.id, reason: "物业已自行整改"), on: id, at: "city")
        #expect(try mesh.deliver().isEmpty)
        for node in ["city", Self.district, Self.street, Self.otherDistrict] {
            #expect(try parts(mesh, id, at: node) == ["\(Self.district)/区水务局:answered", "\(Self.otherDistrict)/区住建局:released"], "\(node)")
        }
        _ = try mesh.perform(.resolve(reply: "管网疏通，污水已清理"), on: id, at: Self.street)
        #expect(try mesh.deliver().isEmpty)
        #expect(try mesh.stateAt(Self.otherDistrict, id) == "resolved@\(Self.street)", "the part's unit hears how it ended")
        let history = try #require(try mesh.caseAt("city", id)).1.map(\.action.rawValue)
        #expect(history.suffix(5) == ["co_handling_requested", "part_accepted", "part_answered", "part_released", "resolved"], "\(history)")
    }

    @Test func twoCoHandlingDepartmentsThatBothAnswerLetTheLeadResolve() throws {
        let mesh = try EngineMesh(clock: ManualClock(Self.monday))
        let id = try acceptedCase(mesh, subject: "小区供水水压不足")
        let named = try mesh.perform(.coHandle(units: ["\(Self.district)/区水务局", "\(Self.district)/区住建局"], note: "供水与二次加压设施"), on: id, at: Self.district)
        #expect(try mesh.deliver().isEmpty)
        for part in named.parts {
            _ = try mesh.perform(.partAccept(part: part.id), on: id, at: Self.district)
            #expect(refused(mesh, .resolve(reply: "x"), id, at: Self.street)?.field == "parts")
            _ = try mesh.perform(.partAnswer(part: part.id, note: "已处理"), on: id, at: Self.district)
        }
        #expect(try mesh.deliver().isEmpty)
        #expect(try mesh.perform(.resolve(reply: "水压已恢复"), on: id, at: Self.street).state == .resolved)
        #expect(try mesh.deliver().isEmpty)
        #expect(try parts(mesh, id, at: "city") == ["\(Self.district)/区水务局:answered", "\(Self.district)/区住建局:answered"])
    }

    @Test func coHandlingUnitsAreUnitsOfTheDispatchersSubtree() throws {
        let mesh = try EngineMesh(clock: ManualClock(Self.monday))
        let id = try acceptedCase(mesh)
        #expect(refused(mesh, .coHandle(units: ["\(Self.otherDistrict)/区住建局"], note: "x"), id, at: Self.district)?.field == "units", "another district's unit")
        #expect(refused(mesh, .coHandle(units: ["\(Self.district)/区气象局"], note: "x"), id, at: Self.district)?.field == "units", "a department it lacks")
        #expect(refused(mesh, .coHandle(units: [Self.street], note: "x"), id, at: Self.district)?.field == "units", "the lead itself")
        #expect(refused(mesh, .coHandle(units: ["s990101002"], note: " "), id, at: Self.district)?.field == "note")
        _ = try mesh.perform(.coHandle(units: ["s990101002"], note: "相邻街道配合"), on: id, at: Self.district)
        #expect(refused(mesh, .coHandle(units: ["s990101002"], note: "again"), id, at: Self.district)?.field == "units", "one open part per unit")
        #expect(try mesh.deliver().isEmpty)
        #expect(try parts(mesh, id, at: "s990101002") == ["s990101002:open"], "a neighbouring street gets its part")
    }

    @Test func aSummonsReportedLateIsMarkedOverdueByTheDepartmentsNodeAndEscalatedToTheCity() throws {
        let clock = ManualClock(Self.monday)
        let mesh = try EngineMesh(clock: clock)
        let id = try acceptedCase(mesh, subject: "占道经营堵塞消防通道")
        #expect(refused(mesh, .summon(units: ["\(Self.district)/区城管局"], note: "x"), id, at: Self.district)?.code == .notHolder, "a summons comes from the street")
        #expect(refused(mesh, .summon(units: ["s990101002"], note: "x"), id, at: Self.street)?.field == "units", "only the district or the city above it")
        #expect(refused(mesh, .summon(units: [Self.district], note: "x"), id, at: Self.street)?.field == "units", "departments, not a whole unit")
        let summoned = try mesh.perform(.summon(units: ["\(Self.district)/区城管局", "city/市城市管理委员会"], note: "吹哨：请城管到场"), on: id, at: Self.street)
        #expect(try mesh.deliver().isEmpty)
        let (district, city) = (summoned.parts[0], summoned.parts[1])
        #expect(district.kind == .summons && district.due == "2026-11-30T01:30:00.000Z", "30 minutes to report: \(district)")

        // The city's bureau reports in time; the district's department does not.
        clock.advance(by: 20 * 60)
        _ = try mesh.perform(.partAnswer(part: city.id, note: "市城管委已到场"), on: id, at: "city")
        #expect(try mesh.deliver().isEmpty)
        clock.advance(by: 11 * 60)
        #expect(try mesh.tickAndDeliver() == 2, "warned and overdue, both by the district, for its own department")
        clock.advance(by: 86_400)
        // A working day later: the escalation to the city (and the lead's own 24-hour limit runs out too).
        #expect(try mesh.tickAndDeliver() >= 1)
        #expect(try mesh.tickAndDeliver() == 0)
        for node in ["city", Self.district, Self.street] {
            let marks = try #require(try mesh.caseAt(node, id)).1.filter { $0[.part] == district.id && [.warned, .overdue, .escalated].contains($0.action) }
            #expect(marks.map { "\($0.action.rawValue)@\($0.node)" } == ["warned@\(Self.district)", "overdue@\(Self.district)", "escalated@city"], "\(node)")
            #expect(try parts(mesh, id, at: node) == ["\(Self.district)/区城管局:open", "city/市城市管理委员会:answered"], "\(node)")
        }
        // A late report is still taken, and stops the escalations.
        _ = try mesh.perform(.partAnswer(part: district.id, note: "区城管局已到场"), on: id, at: Self.district)
        #expect(try mesh.deliver().isEmpty)
        #expect(try parts(mesh, id, at: Self.street) == ["\(Self.district)/区城管局:answered", "city/市城市管理委员会:answered"])
        let history = try #require(try mesh.caseAt(Self.street, id)).1.map(\.action.rawValue)
        #expect(history.contains("summoned") && history.filter { $0 == "reported" }.count == 2)
        // The street can still resolve (a summons does not hold the case), and a replay issues nothing again.
        try mesh.engine(Self.district).rebuildProjections()
        #expect(try mesh.tickAndDeliver() == 0)
        #expect(try mesh.perform(.resolve(reply: "通道已清理"), on: id, at: Self.street).state == .resolved)
    }
}
