import CivicCases
import CivicNode
import Foundation
import TestSupport
import Testing

/// End to end on the sample city, in one process: real TCP links on loopback, one SQLite file per node.
@Suite(.serialized) final class CityFlowTests {
    let dir = TempDirectory("cityflow")
    let city: LocalCity

    init() throws {
        city = try LocalCity(topology: SampleTopology.load(), directory: dir.path, heartbeat: 0.5)
        #expect(city.waitUntilLinked(), "every link comes up")
    }

    deinit { city.stopAll() }

    func url(_ node: String, _ path: String) -> String { TestTokens.url(city.nodes[node]!, path) }

    func caseAt(_ node: String, _ id: String) throws -> JSONResponse { try API.get(url(node, "/api/cases/\(id)")) }

    func state(at node: String, _ id: String) -> String? { try? caseAt(node, id).string("case", "state") }

    @Test func aCaseFromTheCityReachesItsStreetAndComesBackResolvedWithItsHistory() throws {
        let created = try API.post(url("city", "/api/cases"), [
            "channel": "hotline", "subject": "路灯不亮", "detail": "晚上小区门口一片漆黑", "category": "城乡建设",
            "citizen_name": "张三", "citizen_phone": "13800000001", "address": "东湖区湖滨街道梨花路12号",
        ])
        #expect(created.status == 201, "\(created.text)")
        let id = try #require(created.string("id"))
        #expect(created.string("case", "holder") == "s990101001")
        #expect(created.string("case", "attributes", "department") == "街道城建科", "the catalogue names the street's department")
        #expect(eventually { self.state(at: "s990101001", id) == "dispatched" }, "the street receives the case")
        #expect(state(at: "d990101", id) == "dispatched")

        let accepted = try API.post(url("s990101001", "/api/cases/\(id)/accept"), ["actor": "李网格"])
        #expect(accepted.status == 200 && accepted.string("case", "state") == "accepted")
        let progress = try API.post(url("s990101001", "/api/cases/\(id)/progress"), ["note": "已联系供电所"])
        #expect(progress.status == 200)
        let resolved = try API.post(url("s990101001", "/api/cases/\(id)/resolve"), ["reply": "路灯已修复，感谢反映"])
        #expect(resolved.status == 200 && resolved.string("case", "state") == "resolved")

        #expect(eventually { self.state(at: "city", id) == "resolved" }, "the city sees it resolved")
        let history = try #require(try caseAt("city", id).array("history"))
        let actions = history.compactMap { $0["action"] as? String }
        #expect(actions == ["created", "dispatched", "accepted", "progress", "resolved"])
        let resolution = history.last?["data"] as? [String: String]
        #expect(resolution?["reply"] == "路灯已修复，感谢反映" && resolution?.keys.sorted() == ["reply", "verdict_due"], "the reply, and when the city closes it without a verdict: \(String(describing: resolution))")
        // Lists travel as JSON arrays, one entry per decision (never a joined string).
        let triage = (history.first?["lists"] as? [String: [String]])?["triage"] ?? []
        for line in ["place: address matched", "type: complaint", "topic: 城乡建设 (given at intake)", "department: 街道城建科"] {
            #expect(triage.contains { $0.hasPrefix(line) }, "the first event records every intake decision: \(triage)")
        }
        let route = (history.dropFirst().first?["lists"] as? [String: [String]])?["route"]
        #expect(route == ["city", "d990101", "s990101001"], "the dispatch names its route node by node")
        #expect(eventually { self.city.nodes["city"]!.counters.subtree.resolved >= 1 })
    }

    @Test func aReturnedCaseIsRoutedAgainAndAssignedByTheDistrict() throws {
        let created = try API.post(url("city", "/api/cases"), ["subject": "井盖缺失", "address": "东湖区湖滨街道湖边路3号", "category": "城乡建设"])
        let id = try #require(created.string("id"))
        #expect(eventually { self.state(at: "s990101001", id) == "dispatched" })
        let returned = try API.post(url("s990101001", "/api/cases/\(id)/return"), ["reason": "该路段属梨园街道管辖"])
        #expect(returned.status == 200 && returned.string("case", "holder") == "d990101")
        // The district's rules point back at the street that returned it, so it waits for an operator there.
        #expect(eventually { self.state(at: "d990101", id) == "pending" })
        let status = try API.get(url("d990101", "/status"))
        #expect((status.array("manual_queue") ?? []).contains { $0["id"] as? String == id })
        let assigned = try API.post(url("d990101", "/api/cases/\(id)/assign"), ["target": "s990101002", "actor": "区调度"])
        #expect(assigned.status == 200, "\(assigned.text)")
        #expect(eventually { self.state(at: "s990101002", id) == "dispatched" })
        #expect(eventually { self.state(at: "city", id) == "dispatched" && (try? self.caseAt("city", id).string("case", "holder")) == "s990101002" })
        let actions = try #require(try caseAt("s990101002", id).array("history")).compactMap { $0["action"] as? String }
        #expect(actions == ["created", "dispatched", "returned", "queued", "assigned"], "the new street sees every bounce (留痕)")
    }

    @Test func aGridReportAtAStreetAppearsAtTheCity() throws {
        let created = try API.post(url("s990102001", "/api/cases"), ["subject": "路面塌陷", "detail": "网格员巡查发现", "address": "南门街道", "category": "城乡建设"])
        #expect(created.status == 201, "\(created.text)")
        let id = try #require(created.string("id"))
        #expect(id.contains("-s990102001-"))
        #expect(created.string("case", "channel") == "grid" && created.string("case", "state") == "accepted")
        #expect(eventually { self.state(at: "city", id) == "accepted" })
        #expect(state(at: "d990102", id) == "accepted")
        let listed = try API.get(url("city", "/api/cases?node=s990102001"))
        #expect((listed.array("cases") ?? []).contains { $0["id"] as? String == id })
    }

    @Test func anUnplaceableCaseWaitsInTheCityQueueUntilAssigned() throws {
        let created = try API.post(url("city", "/api/cases"), ["subject": "咨询社保卡办理", "detail": "请问在哪里办理", "category": "劳动和社会保障"])
        let id = try #require(created.string("id"))
        #expect(created.string("case", "state") == "pending" && created.string("case", "holder") == "city")
        let queue = try API.get(url("city", "/status")).array("manual_queue") ?? []
        let entry = try #require(queue.first { $0["id"] as? String == id })
        #expect((entry["reason"] as? String ?? "").contains("no district or street name"), "\(entry)")
        let assigned = try API.post(url("city", "/api/cases/\(id)/assign"), ["target": "d990103"])
        #expect(assigned.status == 200)
        // The district cannot place it either: it waits in the district's queue.
        #expect(eventually { self.state(at: "d990103", id) == "pending" })
        #expect(eventually { self.state(at: "city", id) == "pending" && (try? self.caseAt("city", id).string("case", "holder")) == "d990103" })
    }

    @Test func badRequestsAreRefusedNamingTheFieldAndChangeNothing() throws {
        let before = city.nodes["city"]!.counters.own.received
        let noSubject = try API.post(url("city", "/api/cases"), ["detail": "x"])
        #expect(noSubject.status == 422 && noSubject.string("error", "field") == "subject")
        let wrongType = try API.request("POST", url("city", "/api/cases"), ["subject": 12])
        #expect(wrongType.status == 400 && wrongType.string("error", "field") == "subject")
        let badJSON = try API.request("POST", url("city", "/api/cases"), raw: Array("{nope".utf8))
        #expect(badJSON.status == 400 && badJSON.string("error", "code") == "bad_json")
        let badChannel = try API.post(url("city", "/api/cases"), ["subject": "x", "channel": "fax"])
        #expect(badChannel.status == 422 && badChannel.string("error", "field") == "channel")
        #expect(try API.get(url("city", "/api/cases/NOPE-1")).status == 404)
        #expect(try API.post(url("city", "/api/cases/NOPE-1/accept"), [:]).status == 404)
        #expect(try API.get(url("city", "/api/cases?limit=0")).string("error", "field") == "limit")
        #expect(try API.get(url("city", "/api/cases?state=lost")).string("error", "field") == "state")
        #expect(try API.get(url("city", "/nowhere")).status == 404)

        let created = try API.post(url("city", "/api/cases"), ["subject": "垃圾清运不及时", "address": "南山区青石街道", "category": "环境保护"])
        let id = try #require(created.string("id"))
        #expect(eventually { self.state(at: "s990102002", id) == "dispatched" })
        let early = try API.post(url("s990102002", "/api/cases/\(id)/resolve"), ["reply": "done"])
        #expect(early.status == 409 && early.string("error", "field") == "state")
        let noReply = try API.post(url("s990102002", "/api/cases/\(id)/resolve"), [:])
        #expect(noReply.status == 422 && noReply.string("error", "field") == "reply")
        let notHolder = try API.post(url("s990102001", "/api/cases/\(id)/accept"), [:])
        #expect(notHolder.status == 404 || notHolder.status == 409)
        #expect(state(at: "s990102002", id) == "dispatched", "refused requests changed nothing")
        #expect(city.nodes["city"]!.counters.own.received == before + 1)
    }

    @Test func listsArePagedWithACursor() throws {
        var ids: [String] = []
        for i in 0..<5 {
            let r = try API.post(url("city", "/api/cases"), ["subject": SyntheticCases.subject(i), "detail": SyntheticCases.detail(i), "address": "西岭区枫林街道\(i)号", "category": "环境保护"])
            ids.append(try #require(r.string("id")))
        }
        var seen: [String] = []
        var after: String? = nil
        repeat {
            let page = try API.get(url("city", "/api/cases?limit=2" + (after.map { "&after=\($0)" } ?? "")))
            #expect(page.status == 200)
            seen += (page.array("cases") ?? []).compactMap { $0["id"] as? String }
            after = page.string("next")
        } while after != nil
        #expect(Set(ids).isSubset(of: Set(seen)) && seen.count == Set(seen).count)
    }

    @Test func statusShowsLinksCountersAndChildSummaries() throws {
        _ = try API.post(url("city", "/api/cases"), ["subject": "占道经营", "address": "西岭区龙湾街道", "category": "城乡建设"])
        #expect(eventually {
            let s = try? API.get(self.url("city", "/status"))
            let children = s?.array("children") ?? []
            return children.count == 3 && children.allSatisfy { $0["state"] as? String == "up" }
                && children.contains { (($0["summary"] as? [String: Any])?["children"] as? [Any])?.count == 3 }
        })
        let s = try API.get(url("d990103", "/status"))
        #expect(s.string("tier") == "district" && s.string("parent", "state") == "up")
        #expect(s.object("counters", "subtree") != nil)
        #expect(try API.get(url("s990103001", "/healthz")).string("status") == "ok")
    }

    @Test func anUncertainTopicWaitsForAnOperatorWhoSeesTheTopGuesses() throws {
        // A vague message: the place is clear, the topic is not, and the topic picks the department.
        let created = try API.post(url("city", "/api/cases"), ["subject": "您好，请帮忙看看", "detail": "有个情况想反映一下", "address": "东湖区梨园街道"])
        let id = try #require(created.string("id"))
        #expect(created.string("case", "state") == "pending", "\(created.text)")
        let entry = try #require((try API.get(url("city", "/status")).array("manual_queue") ?? []).first { $0["id"] as? String == id })
        let topics = entry["topics"] as? [String] ?? []
        #expect(topics.count == 3 && (entry["reason"] as? String ?? "").contains("topic uncertain"), "\(entry)")
        let assigned = try API.post(url("city", "/api/cases/\(id)/assign"), ["target": "s990101002", "category": "城乡建设"])
        #expect(assigned.status == 200 && assigned.string("case", "category") == "城乡建设")
        #expect(eventually { self.state(at: "s990101002", id) == "dispatched" })
        #expect(try caseAt("s990101002", id).string("case", "category") == "城乡建设")
    }

    @Test func aRepeatReportIsLinkedToTheOpenCaseInsteadOfDispatchedAgain() throws {
        let first = try API.post(url("city", "/api/cases"), ["subject": "小区门口下水道堵塞污水横流", "detail": "下水道堵塞已经三天，污水流到马路上，气味难闻",
                                                             "address": "南山区南门街道", "category": "城乡建设", "citizen_phone": "13700000001"])
        let id = try #require(first.string("id"))
        #expect(eventually { self.state(at: "s990102001", id) == "dispatched" })
        let again = try API.post(url("city", "/api/cases"), ["subject": "下水道堵塞污水横流", "detail": "小区门口下水道堵塞好几天了，污水流到马路上，气味难闻",
                                                             "address": "南山区南门街道", "channel": "wechat", "citizen_phone": "13700000002"])
        #expect(again.status == 200 && again.string("linked_to") == id && again.string("id") == id, "\(again.text)")
        #expect(eventually { ((try? self.caseAt("s990102001", id).array("history")) ?? []).contains { $0["action"] as? String == "linked" } },
                "the street handling it learns of the repeat report")
        let other = try API.post(url("city", "/api/cases"), ["subject": "下水道堵塞污水横流", "detail": "小区门口下水道堵塞好几天了，污水流到马路上，气味难闻",
                                                             "address": "西岭区枫林街道", "category": "城乡建设"])
        #expect(other.status == 201 && other.string("linked_to") == nil, "the same text about another place is a new case")
    }

    @Test func anAmbiguousPlaceIsNotGuessed() throws {
        // Two streets of the sample city share no name, so make the address name two streets of two districts.
        let created = try API.post(url("city", "/api/cases"), ["subject": "占道经营", "address": "湖滨街道和南门街道交界处", "category": "城乡建设"])
        let id = try #require(created.string("id"))
        #expect(created.string("case", "state") == "pending" && created.string("case", "holder") == "city", "\(created.text)")
        let entry = try #require((try API.get(url("city", "/status")).array("manual_queue") ?? []).first { $0["id"] as? String == id })
        #expect(!(entry["reason"] as? String ?? "").isEmpty)
    }
}
