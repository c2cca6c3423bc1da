import CivicCases
import CivicNode
import Foundation
import TestSupport
import Testing

/// Departments at every tier: the catalogue's `handled_at` sends a topic to a department of the district (or the
/// city), which signs for, handles, resolves and returns the case there; operators assign to any department of a
/// unit in their subtree, their own node's included.
@Suite struct DepartmentTests {
    static let street = "s990101001", district = "d990101"

    func intake(_ mesh: EngineMesh, _ subject: String, category: String?, address: String = "东湖区湖滨街道") throws -> String {
        let receipt = try mesh.intake(at: "city", CaseDraft(channel: .hotline, subject: subject, location: Location(address: address), category: category))
        #expect(try mesh.deliver().isEmpty)
        return receipt.case.id
    }

    @Test func theTopologyGivesEveryUnitItsDepartmentsAndSaysWhereATopicIsHandled() throws {
        let topology = SampleTopology.load()
        let district = try #require(topology.find(Self.district))
        #expect(district.departments.prefix(3) == ["区城管局", "区水务局", "区市场监管局"], "its own first: \(district.departments)")
        #expect(district.hasDepartment("区人社局") && district.hasDepartment("区住建局"), "and the catalogue's for its tier")
        #expect(try #require(topology.find(Self.street)).hasDepartment("街道城建科"))
        #expect(topology.handlingUnit(for: "劳动和社会保障", placedAt: Self.street)! == (unit: Self.district, department: "区人社局"))
        #expect(topology.handlingUnit(for: "城乡建设", placedAt: Self.street) == nil, "no handled_at entry: the place decides")
        var broken = topology
        broken.handledAt["城乡建设"] = .city
        broken.catalogue["城乡建设"]?["city"] = nil
        #expect(broken.problems().contains { $0.contains("城乡建设") && $0.contains("city") }, "\(broken.problems())")
    }

    @Test func aCaseForADistrictDepartmentIsSignedForAndResolvedThereAndNeverReachesTheStreet() throws {
        let mesh = try EngineMesh()
        let id = try intake(mesh, "养老保险断缴怎么补", category: "劳动和社会保障")
        for node in ["city", Self.district] {
            let c = try #require(try mesh.caseAt(node, id)).0
            #expect(c.state == .dispatched && c.holder == Self.district && c.holdingDepartment == "区人社局", "\(node): \(c.state)@\(c.holder) \(c.attributes)")
        }
        #expect(try mesh.caseAt(Self.street, id) == nil, "the street never gets it")
        let dispatched = try #require(try mesh.caseAt("city", id)).1.last
        #expect(dispatched?.action == .dispatched && dispatched?.note?.contains("区人社局") == true && dispatched?[.departmentHolds] == "区人社局")
        #expect(try #require(try mesh.caseAt(Self.district, id)).0.attributes["response_due"] != nil, "the department's response clock runs")

        _ = try mesh.perform(.accept, on: id, at: Self.district)
        _ = try mesh.perform(.progress(note: "已核对缴费记录"), on: id, at: Self.district)
        _ = try mesh.perform(.resolve(reply: "可在区人社局窗口办理补缴"), on: id, at: Self.district)
        #expect(try mesh.deliver().isEmpty)
        #expect(try mesh.stateAt("city", id) == "resolved@\(Self.district)")
        #expect(mesh.engine(Self.district).counters.own.resolved == 1)
        _ = try mesh.perform(.evaluate(Verdict(satisfaction: .satisfied, solved: true, comment: nil, source: .citizen)), on: id, at: "city")
        #expect(try mesh.deliver().isEmpty)
        #expect(try mesh.stateAt(Self.district, id) == "closed@\(Self.district)")
        #expect(mesh.engine(Self.district).counters.own.verdicts["satisfied"] == 1)
    }

    @Test func aDepartmentThatReturnsACaseGivesItBackToTheNodeAboveAsAWhole() throws {
        let mesh = try EngineMesh()
        let id = try intake(mesh, "工伤认定进度查询", category: "劳动和社会保障")
        let back = try mesh.perform(.returnUp(reason: "应由市人社局办理"), on: id, at: Self.district)
        #expect(back.holdingDepartment == nil && back.state == .returned && back.holder == "city")
        #expect(try mesh.deliver().isEmpty)
        let atCity = try #require(try mesh.caseAt("city", id)).0
        #expect(atCity.holdingDepartment == nil && atCity.holder == "city", "\(atCity.state)@\(atCity.holder)")
    }

    @Test func operatorsAssignToAnyDepartmentOfAUnitInTheirSubtreeTheirOwnNodeIncluded() throws {
        let mesh = try EngineMesh()
        let id = try intake(mesh, "小区二次供水水质差", category: nil, address: "")
        #expect(try mesh.stateAt("city", id) == "pending@city", "no place: the city's manual queue")
        // A department the unit does not have, and the city itself without a department, are refused with the field named.
        for (command, field) in [(CaseCommand.assign(target: Self.district, reason: nil, department: "区气象局"), "department"),
                                 (CaseCommand.assign(target: "city"), "target")] {
            do {
                _ = try mesh.perform(command, on: id, at: "city")
                Issue.record("\(command) was accepted")
            } catch let error as CaseRuleError {
                #expect(error.code == .badTarget && error.field == field, "\(error)")
            }
        }
        let toCity = try mesh.perform(.assign(target: "city", reason: "涉及全市供水管网", department: "市水务局"), on: id, at: "city")
        #expect(toCity.state == .dispatched && toCity.holder == "city" && toCity.holdingDepartment == "市水务局")
        _ = try mesh.perform(.accept, on: id, at: "city")
        #expect(try mesh.perform(.resolve(reply: "已安排水质检测"), on: id, at: "city").state == .resolved)

        // Another case to a department of a district.
        let other = try intake(mesh, "菜市场缺斤短两", category: nil, address: "")
        _ = try mesh.perform(.assign(target: Self.district, reason: nil, department: "区商务局"), on: other, at: "city")
        #expect(try mesh.deliver().isEmpty)
        let there = try #require(try mesh.caseAt(Self.district, other)).0
        #expect(there.state == .dispatched && there.holdingDepartment == "区商务局", "the district keeps it for its department: \(there.state)@\(there.holder)")
        // The district's own dispatcher may move it to another of its departments.
        let moved = try mesh.perform(.assign(target: Self.district, reason: "属市场监管", department: "区市场监管局"), on: other, at: Self.district)
        #expect(moved.holdingDepartment == "区市场监管局" && moved.holder == Self.district)
    }
}
