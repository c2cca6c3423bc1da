import CivicCases
import CivicNode
import Foundation
import TestSupport
import Testing

/// Extensions, supervision orders, the supervision list and the status figures over HTTP on the sample city,
/// each call with the role the access table asks for; time from a manual clock the test moves.
@Suite(.serialized) final class SupervisionHTTPTests: OnSampleCity {
    static let street = "s990101001", district = "d990101"
    let clock = ManualClock(Date(timeIntervalSince1970: 1_796_000_400))  // Monday 2026-11-30 09:00 in Shanghai
    let sample: SampleCity
    var city: LocalCity { sample.city }

    init() throws { sample = try SampleCity("suphttp", clock: clock) }

    func token(_ role: Role, at node: String) throws -> String {
        try NodeTokens.create(config: city.configs[node]!, role: role, unit: nil, name: "\(role.rawValue)-\(node)", lifetime: 3600).token
    }
    func base(_ node: String) -> String { "http://\(city.nodes[node]!.httpAddress)" }

    @Test func extensionsOrdersAndTheSupervisionListWorkWithTheirRoles() throws {
        let intake = try token(.intake, at: "city"), handler = try token(.handler, at: Self.street)
        let districtDispatcher = try token(.dispatcher, at: Self.district), cityDispatcher = try token(.dispatcher, at: "city")
        var ids: [String] = []
        for subject in ["路灯不亮", "井边垃圾堆积"] {
            let r = try API.post(base("city") + "/api/cases", ["subject": subject, "address": "东湖区湖滨街道", "category": "城乡建设", "channel": "hotline"], token: intake)
            ids.append(try #require(r.string("id"), "\(r.text)"))
        }
        let (extended, ordered) = (ids[0], ids[1])
        for id in ids {
            #expect(eventually { self.at(Self.street, id) == "dispatched@\(Self.street)" })
            #expect(try API.post(base(Self.street) + "/api/cases/\(id)/accept", [:], token: handler).status == 200)
        }
        // The holder asks for more time; a bad time names its field; the district sees the request in its list.
        #expect(try API.post(base(Self.street) + "/api/cases/\(extended)/extend", ["reason": "需协调供电公司", "until": "next week"], token: handler).string("error", "field") == "until")
        let asked = try API.post(base(Self.street) + "/api/cases/\(extended)/extend", ["reason": "需协调供电公司"], token: handler)
        #expect(asked.status == 200 && asked.string("case", "attributes", "extension_pending") != nil, "\(asked.text)")
        #expect(eventually {
            (try? API.get(self.base(Self.district) + "/api/cases?supervised=true", token: districtDispatcher).array("cases"))??.map { $0["id"] as? String } == [extended]
        }, "the district's supervision list has the request")
        // The handler may not grant itself time; the district's dispatcher may, and the new due time reaches the street.
        let selfGrant = try API.post(base(Self.street) + "/api/cases/\(extended)/approve_extension", ["until": "2026-12-03T12:00:00+08:00"], token: handler)
        #expect(selfGrant.status == 403 && selfGrant.string("error", "field") == "role", "\(selfGrant.text)")
        #expect(try API.post(base(Self.district) + "/api/cases/\(extended)/approve_extension", [:], token: districtDispatcher).string("error", "field") == "until")
        let granted = try API.post(base(Self.district) + "/api/cases/\(extended)/approve_extension", ["until": "2026-12-03T12:00:00+08:00", "reason": "同意"], token: districtDispatcher)
        #expect(granted.status == 200, "\(granted.text)")
        #expect(eventually { self.show(Self.street, extended)?.string("case", "attributes", "handling_due") == "2026-12-03T04:00:00.000Z" })

        // A city supervision order reaches the street, which lists and answers it.
        let order = try API.post(base("city") + "/api/cases/\(ordered)/supervise", ["note": "请说明进展", "answer_by": "2026-11-30T16:00:00+08:00"], token: cityDispatcher)
        #expect(order.status == 200, "\(order.text)")
        #expect(eventually {
            (try? API.get(self.base(Self.street) + "/api/cases?supervised=true", token: handler).array("cases"))??.contains { $0["id"] as? String == ordered } == true
        }, "the order reached the holder's list")
        #expect(eventually { (try? API.get(self.base("city") + "/status", token: cityDispatcher).object("deadlines", "subtree"))??["orders_open"] as? Int == 1 })
        let answer = try API.post(base(Self.street) + "/api/cases/\(ordered)/answer", ["note": "已联系供电公司"], token: handler)
        #expect(answer.status == 200, "\(answer.text)")
        #expect(eventually { self.show("city", ordered)?.array("history")?.last?["action"] as? String == "supervision_answered" })
        #expect(eventually { (try? API.get(self.base("city") + "/status", token: cityDispatcher).object("deadlines", "subtree"))??["orders_open"] as? Int == 0 })

        // Two days on: the ticker of each node issues what it owes (the extended case is not overdue; the other is).
        clock.advance(by: 2 * 86_400)
        #expect(eventually {
            let figures = (try? API.get(self.base("city") + "/status", token: cityDispatcher).object("deadlines", "subtree")) ?? nil
            return figures?["overdue"] as? Int == 1 && figures?["escalated"] as? Int == 1
        }, "\((try? API.get(base("city") + "/status", token: cityDispatcher).object("deadlines")) ?? nil)")
        let overdue = try API.get(base(Self.district) + "/api/cases?supervised=true", token: districtDispatcher)
        #expect(overdue.array("cases")?.map { $0["id"] as? String } == [ordered], "escalated to the district: \(overdue.text)")
        let history = try #require(show("city", ordered)?.array("history"))
        #expect(history.filter { $0["action"] as? String == "escalated" }.map { $0["node"] as? String } == [Self.district])
        #expect(try API.get(base(Self.street) + "/api/cases?supervised=maybe", token: handler).string("error", "field") == "supervised")

        // The same from the command line: an order from the district on the extended case, answered by the street.
        let dir = sample.dir
        let supervise = try CivicProcess(["case", "supervise", extended, "--note", "请加快", "--answer-by", "2026-12-02T17:00:00+08:00",
                                          "--url", base(Self.district), "--token", districtDispatcher], log: dir.file("supervise.log"))
        #expect(supervise.wait() == 0 && supervise.output.contains("\"order_by\" : \"\(Self.district)\""), "\(supervise.output)")
        #expect(eventually { self.show(Self.street, extended)?.string("case", "attributes", "order") != nil })
        let listed = try CivicProcess(["cases", "--supervised", "--url", base(Self.street), "--token", handler], log: dir.file("listed.log"))
        #expect(listed.wait() == 0 && listed.output.contains(extended), "\(listed.output)")
        let answered = try CivicProcess(["case", "answer", extended, "--note", "本周内修复", "--url", base(Self.street), "--token", handler], log: dir.file("answer.log"))
        #expect(answered.wait() == 0, "\(answered.output)")
        let refused = try CivicProcess(["case", "refuse", extended, "--reason", "无申请", "--url", base(Self.district), "--token", districtDispatcher], log: dir.file("refuse.log"))
        #expect(refused.wait() == 1 && refused.output.contains("no request for more time"), "nothing to refuse: \(refused.output)")
    }
}
