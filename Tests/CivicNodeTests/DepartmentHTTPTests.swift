import CivicCases
import CivicNode
import Foundation
import TestSupport
import Testing

/// Departments over HTTP on the sample city: handler tokens bound to one department of a district, what each
/// may see and do, tokens for departments that do not exist, and assignment to a department from the CLI.
@Suite(.serialized) final class DepartmentHTTPTests: OnSampleCity {
    static let district = "d990101"
    let sample: SampleCity
    var city: LocalCity { sample.city }

    init() throws { sample = try SampleCity("dept") }

    func base(_ node: String) -> String { "http://\(city.nodes[node]!.httpAddress)" }
    func token(_ role: Role, at node: String, department: String? = nil, name: String) throws -> String {
        try NodeTokens.create(config: city.configs[node]!, role: role, unit: nil, name: name, lifetime: 3600, department: department).token
    }

    @Test func eachDepartmentsHandlerActsOnItsOwnCasesOnly() throws {
        let social = try token(.handler, at: Self.district, department: "区人社局", name: "renshe-zhao")
        let water = try token(.handler, at: Self.district, department: "区水务局", name: "shuiwu-qian")
        let r = try API.post(url("city", "/api/cases"), ["subject": "失业金申领进度", "address": "东湖区湖滨街道", "category": "劳动和社会保障", "channel": "hotline", "citizen_phone": "13900000002"])
        let id = try #require(r.string("id"), "\(r.text)")
        #expect(eventually { self.at(Self.district, id) == "dispatched@\(Self.district)" })
        #expect(show(Self.district, id)?.string("case", "attributes", "holding_department") == "区人社局")

        let refused = try API.post(base(Self.district) + "/api/cases/\(id)/accept", [:], token: water)
        #expect(refused.status == 403 && refused.string("error", "message")?.contains("not with 区水务局") == true, "\(refused.text)")
        #expect(try API.get(base(Self.district) + "/api/cases", token: water).array("cases")?.isEmpty == true, "the water bureau lists nothing of it")
        #expect(try API.get(base(Self.district) + "/api/cases", token: social).array("cases")?.map { $0["id"] as? String } == [id])
        #expect(try API.post(base(Self.district) + "/api/cases/\(id)/accept", [:], token: social).status == 200)
        let resolved = try API.post(base(Self.district) + "/api/cases/\(id)/resolve", ["reply": "已发放"], token: social)
        #expect(resolved.status == 200 && resolved.string("case", "state") == "resolved", "\(resolved.text)")
        #expect(eventually { self.at("city", id) == "resolved@\(Self.district)" })
        let history = try #require(show("city", id)?.array("history"))
        #expect(history.last?["actor"] as? String == "renshe-zhao", "留痕 names the department's handler")
        // The citizen sees the department, never the handler's name.
        let tracked = try API.post(base("city") + "/track/\(id)", ["phone": "0002"], token: "")
        #expect(tracked.string("unit", "department") == "区人社局" && !tracked.text.contains("renshe-zhao"), "\(tracked.text)")
    }

    @Test func aTokenForADepartmentTheUnitLacksIsRefusedNamingIt() throws {
        #expect(throws: TokenError.self) { try self.token(.handler, at: Self.district, department: "区气象局", name: "nobody-1") }
        #expect(throws: TokenError.self) { try self.token(.viewer, at: Self.district, department: "区水务局", name: "nobody-2") }
        let overHTTP = try API.post(url(Self.district, "/api/tokens"), ["role": "handler", "department": "区气象局", "name": "nobody-3"])
        #expect(overHTTP.status == 422 && overHTTP.string("error", "field") == "department" && overHTTP.string("error", "message")?.contains("区水务局") == true, "\(overHTTP.text)")
        let dir = sample.dir
        let configPath = dir.file("\(Self.district).json")
        try ConfigGenerator.write(city.configs[Self.district]!, to: configPath)
        let cli = try CivicProcess(["token", "create", "--config", configPath, "--role", "handler", "--department", "区气象局"], log: dir.file("token.log"))
        #expect(cli.wait() != 0 && cli.output.contains("区气象局"), "\(cli.output)")
    }

    @Test func aDispatcherAssignsToADepartmentFromTheCommandLine() throws {
        let dispatcher = try token(.dispatcher, at: "city", name: "city-dispatcher")
        let r = try API.post(url("city", "/api/cases"), ["subject": "全市自来水水压偏低", "channel": "hotline"])
        let id = try #require(r.string("id"), "\(r.text)")
        #expect(eventually { self.at("city", id) == "pending@city" }, "\(self.at("city", id) ?? "?")")
        let dir = sample.dir
        let bad = try CivicProcess(["assign", id, "--target", "city", "--department", "市气象局", "--url", base("city"), "--token", dispatcher], log: dir.file("bad.log"))
        #expect(bad.wait() == 1 && bad.output.contains("市水务局"), "names the departments it has: \(bad.output)")
        let assigned = try CivicProcess(["assign", id, "--target", "city", "--department", "市水务局", "--reason", "全市管网", "--url", base("city"), "--token", dispatcher], log: dir.file("assign.log"))
        #expect(assigned.wait() == 0 && assigned.output.contains("\"holding_department\" : \"市水务局\""), "\(assigned.output)")
    }
}
