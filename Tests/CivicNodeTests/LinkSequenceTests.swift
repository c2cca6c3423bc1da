import CivicCases
import CivicNode
import CivicStore
import Foundation
import TestSupport
import Testing

/// Link sequence numbers stay in step on both sides whatever applying a peer's message produces —
/// in particular when applying a message from a peer queues a message back to that same peer.
@Suite(.serialized) final class LinkSequenceTests: OnSampleCity {
    let sample: SampleCity
    var city: LocalCity { sample.city }

    init() throws { sample = try SampleCity("linkseq") }

    /// The district's view of what it sent to the city equals the city's view of what it applied from the district.
    func linkAgrees(_ child: String, _ parent: String) throws -> Bool {
        let up = try city.nodes[child]!.linkFigures(parent)
        let down = try city.nodes[parent]!.linkFigures(child)
        return up.lastAssigned == down.lastApplied && down.lastAssigned == up.lastApplied
    }

    @Test func aCaseQueuedAtADistrictKeepsTheDistrictsLinkInStep() throws {
        let created = try API.post(url("city", "/api/cases"), ["subject": "东湖的路面塌陷了", "address": "东湖区", "category": "城乡建设"])
        #expect(created.status == 201, "\(created.text)")
        let id = try #require(created.string("id"))
        #expect(created.string("case", "holder") == "d990101")
        #expect(eventually { self.state(at: "d990101", id) == "pending" }, "the district queues it for an operator")
        #expect(eventually { (try? self.linkAgrees("d990101", "city")) == true }, "both ends of the link agree on every seq")

        let second = try API.post(url("city", "/api/cases"), ["subject": "东湖区有一处井盖缺失", "address": "东湖区", "category": "城乡建设"])
        let secondId = try #require(second.string("id"))
        #expect(eventually { self.state(at: "d990101", secondId) == "pending" })

        let assigned = try API.post(url("d990101", "/api/cases/\(id)/assign"), ["target": "s990101001"])
        #expect(assigned.status == 200, "\(assigned.text)")
        #expect(eventually { self.state(at: "s990101001", id) == "dispatched" })
        #expect(eventually { self.state(at: "city", id) == "dispatched" })

        // Later cases for the district's streets still arrive, also after a restart of the district.
        city.stop("d990101")
        try city.start("d990101")
        #expect(city.waitUntilLinked())
        let later = try API.post(url("city", "/api/cases"), ["subject": "路灯不亮", "address": "东湖区湖滨街道梨花路1号", "category": "城乡建设"])
        let laterId = try #require(later.string("id"))
        #expect(eventually { self.state(at: "s990101001", laterId) == "dispatched" })
        #expect(eventually { (try? self.linkAgrees("d990101", "city")) == true })
        #expect(eventually { (try? self.city.nodes["d990101"]!.linkFigures("city").outboxDepth) == 0 }, "nothing stays in the outbox")
    }
}

/// Acknowledged lines leave the sender's outbox table in one store operation per pause (`MeshLinks.collectAcked`),
/// not one per acknowledgement: the last acknowledgements, which come during a pause, must still be collected.
@Suite(.serialized) final class AcknowledgedLinesTests: OnSampleCity {
    let sample: SampleCity
    var city: LocalCity { sample.city }

    init() throws { sample = try SampleCity("acked") }

    func outboxRows(_ node: String) throws -> Int {
        let db = try Database(path: city.configs[node]!.dataDir + "/node.sqlite", readOnly: true)
        defer { db.close() }
        return try db.scalarInt("SELECT count(*) FROM outbox") ?? -1
    }

    @Test func everyAcknowledgedLineLeavesTheOutbox() throws {
        let subjects = ["路灯不亮", "井盖缺失", "楼下烧烤油烟扰民", "小区供暖温度不达标", "公交站牌被撞倒", "垃圾清运不及时", "施工噪音夜间扰民", "人行道地砖松动"]
        var ids: [String] = []
        for subject in subjects {
            let created = try API.post(url("city", "/api/cases"), ["subject": subject, "address": "东湖区湖滨街道梨花路12号", "category": "城乡建设"])
            #expect(created.status == 201, "\(created.text)")
            ids.append(try #require(created.string("id")))
        }
        #expect(eventually { ids.allSatisfy { self.state(at: "s990101001", $0) == "dispatched" } }, "every case reached the street")
        #expect(eventually { (try? self.city.nodes["city"]!.linkFigures("d990101").lastAcked) == (try? self.city.nodes["city"]!.linkFigures("d990101").lastAssigned) })
        for node in ["city", "d990101"] {
            #expect(eventually(timeout: 10) { (try? self.outboxRows(node)) == 0 }, "\(node) keeps no acknowledged line")
        }
    }
}
