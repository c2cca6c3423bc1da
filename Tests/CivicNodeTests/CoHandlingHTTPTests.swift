import CivicCases
import CivicNode
import Foundation
import TestSupport
import Testing

/// Co-handling and summonses over real links on the sample city: the parts reach their units' nodes, show in
/// those units' lists, are signed for and answered with the units' own tokens, and the lead resolves after them;
/// the same from the command line.
@Suite(.serialized) final class CoHandlingHTTPTests: OnSampleCity {
    static let street = "s990101001", district = "d990101", otherDistrict = "d990102", otherStreet = "s990102001"
    let sample: SampleCity
    var city: LocalCity { sample.city }

    init() throws { sample = try SampleCity("cohandle") }

    func base(_ node: String) -> String { "http://\(city.nodes[node]!.httpAddress)" }
    func token(_ role: Role, at node: String, department: String? = nil, name: String) throws -> String {
        try NodeTokens.create(config: city.configs[node]!, role: role, unit: nil, name: name, lifetime: 3600, department: department).token
    }
    func parts(_ node: String, _ id: String) -> [String] {
        (show(node, id)?.object("case", "attributes")?["parts"] as? String).flatMap { try? JSONDecoder().decode([CasePart].self, from: Data($0.utf8)) }?
            .map { "\($0.label):\($0.state.rawValue)" } ?? []
    }

    @Test func partsTravelToTheirUnitsWhoAnswerThemWithTheirOwnTokensBeforeTheLeadResolves() throws {
        let lead = try token(.handler, at: Self.street, name: "lead-street")
        let water = try token(.handler, at: Self.district, department: "区水务局", name: "water-bureau")
        let neighbour = try token(.handler, at: Self.otherStreet, name: "nanmen-street")
        let dispatcher = try token(.dispatcher, at: "city", name: "city-desk")
        let r = try API.post(url("city", "/api/cases"), ["subject": "雨后小区积水严重", "address": "东湖区湖滨街道", "category": "城乡建设", "channel": "hotline"])
        let id = try #require(r.string("id"), "\(r.text)")
        #expect(eventually { self.at(Self.street, id) == "dispatched@\(Self.street)" })
        #expect(try API.post(base(Self.street) + "/api/cases/\(id)/accept", [:], token: lead).status == 200)
        #expect(eventually { self.at("city", id) == "accepted@\(Self.street)" })

        #expect(try API.post(base("city") + "/api/cases/\(id)/co_handle", ["units": "d990101", "note": "x"], token: dispatcher).string("error", "field") == "units", "units is a list")
        let named = try API.post(base("city") + "/api/cases/\(id)/co_handle", ["units": ["\(Self.district)/区水务局", Self.otherStreet], "note": "排水管网与相邻街道协办"], token: dispatcher)
        #expect(named.status == 200, "\(named.text)")
        let expected = ["\(Self.district)/区水务局:open", "\(Self.otherStreet):open"]
        #expect(eventually { [Self.district, Self.otherDistrict, Self.otherStreet, Self.street].allSatisfy { self.parts($0, id) == expected } },
                "\([Self.district, Self.otherDistrict, Self.otherStreet, Self.street].map { "\($0): \(self.parts($0, id))" })")
        // Each part's unit lists the case among its parts (held elsewhere), and only its own.
        #expect(try API.get(base(Self.otherStreet) + "/api/cases?parts=true", token: neighbour).array("cases")?.map { $0["id"] as? String } == [id])
        #expect(try API.get(base(Self.district) + "/api/cases?parts=true", token: water).array("cases")?.map { $0["id"] as? String } == [id])
        let dirt = try token(.handler, at: Self.district, department: "区城管局", name: "chengguan")
        #expect(try API.get(base(Self.district) + "/api/cases?parts=true", token: dirt).array("cases")?.isEmpty == true, "another department has no part")

        let ids = try #require(try? JSONDecoder().decode([CasePart].self, from: Data((show("city", id)?.object("case", "attributes")?["parts"] as? String ?? "").utf8))).map(\.id)
        #expect(try API.post(base(Self.street) + "/api/cases/\(id)/resolve", ["reply": "已排水"], token: lead).string("error", "field") == "parts")
        #expect(try API.post(base(Self.district) + "/api/cases/\(id)/part_accept", ["part": ids[0]], token: dirt).status == 403, "not that department's part")
        for verb in ["part_accept", "part_answer"] {
            let step = try API.post(base(Self.district) + "/api/cases/\(id)/\(verb)", ["part": ids[0], "note": "泵车已到场抽排"], token: water)
            #expect(step.status == 200, "\(verb): \(step.text)")
        }
        // The neighbouring street signs for and answers its part from the command line.
        let dir = sample.dir
        for (verb, extra) in [("part-accept", [String]()), ("part-answer", ["--note", "已配合疏导交通"])] {
            let p = try CivicProcess(["case", verb, id, "--part", ids[1]] + extra + ["--url", base(Self.otherStreet), "--token", neighbour], log: dir.file("\(verb).log"))
            #expect(p.wait() == 0, "\(verb): \(p.output)")
        }
        #expect(eventually { self.parts(Self.street, id) == ["\(Self.district)/区水务局:answered", "\(Self.otherStreet):answered"] }, "\(parts(Self.street, id))")
        #expect(try API.post(base(Self.street) + "/api/cases/\(id)/resolve", ["reply": "积水已排净"], token: lead).status == 200)
        #expect(eventually { self.at(Self.otherStreet, id) == "resolved@\(Self.street)" }, "the co-handling street hears the end")
        #expect(try API.get(base(Self.otherStreet) + "/api/cases?parts=true", token: neighbour).array("cases")?.isEmpty == true)
    }

    @Test func aStreetSummonsItsDistrictsDepartmentFromTheCommandLineAndItReports() throws {
        let lead = try token(.handler, at: Self.street, name: "grid-zhou")
        let chengguan = try token(.handler, at: Self.district, department: "区城管局", name: "chengguan-wu")
        let r = try API.post(url("city", "/api/cases"), ["subject": "夜市占道经营", "address": "东湖区湖滨街道", "category": "城乡建设", "channel": "hotline"])
        let id = try #require(r.string("id"), "\(r.text)")
        #expect(eventually { self.at(Self.street, id) == "dispatched@\(Self.street)" })
        #expect(try API.post(base(Self.street) + "/api/cases/\(id)/accept", [:], token: lead).status == 200)
        let dir = sample.dir
        let whistle = try CivicProcess(["case", "summon", id, "--units", "\(Self.district)/区城管局", "--note", "吹哨：请区城管局到场",
                                        "--url", base(Self.street), "--token", lead], log: dir.file("summon.log"))
        #expect(whistle.wait() == 0 && whistle.output.contains("summons"), "\(whistle.output)")
        #expect(eventually { self.parts(Self.district, id) == ["\(Self.district)/区城管局:open"] })
        let part = try #require(try? JSONDecoder().decode([CasePart].self, from: Data((show(Self.district, id)?.object("case", "attributes")?["parts"] as? String ?? "").utf8)).first)
        #expect(part.kind == .summons && part.due != nil)
        let report = try API.post(base(Self.district) + "/api/cases/\(id)/part_answer", ["part": part.id, "note": "已到场"], token: chengguan)
        #expect(report.status == 200, "\(report.text)")
        #expect(eventually { self.parts(Self.street, id) == ["\(Self.district)/区城管局:answered"] })
        #expect(eventually { self.show("city", id)?.array("history")?.last?["action"] as? String == "reported" })
    }
}
