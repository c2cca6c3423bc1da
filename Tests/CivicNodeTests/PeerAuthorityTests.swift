import CivicCases
import CivicIO
import CivicNode
import CivicWire
import Foundation
import TestSupport
import Testing

/// A child may only say what the protocol allows it for a case: events of its own subtree, about cases held
/// there, under ids that belong to their node. Played by a hand-written district against a real city node.
@Suite(.serialized) final class PeerAuthorityTests {
    let dir = TempDirectory("authority")
    let city: LocalCity

    init() throws {
        city = try LocalCity(topology: SampleTopology.load(), directory: dir.path, heartbeat: 3)
        city.stop("d990103")  // we play this district ourselves
    }

    deinit { city.stopAll() }

    func url(_ node: String, _ path: String) -> String { TestTokens.url(city.nodes[node]!, path) }

    /// Joins the city as d990103 (the handshake and sealed lines of docs/protocol.md).
    func join() throws -> MeshPeer {
        let secret = try #require(city.configs["d990103"]?.parentSecret)
        let resume = try city.nodes["city"]!.linkFigures("d990103").lastApplied
        return try MeshPeer(mesh: city.nodes["city"]!.meshAddress!, child: "d990103", tier: "district", parent: "city", secret: secret, resume: resume)
    }

    func caseJSON(_ c: Case) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: WireJSON.encoder().encode(c)) as! [String: Any]
    }

    func event(_ id: String, case caseId: String, node: String, action: String, state: String, holder: String) -> [String: Any] {
        ["id": id, "case": caseId, "at": "2026-12-02T08:00:00.000Z", "node": node, "actor": "x", "action": action, "state": state, "holder": holder, "data": [String: String]()]
    }

    @Test func aChildCannotChangeACaseOutsideItsSubtreeNorRewriteAHeader() throws {
        let elsewhere = try city.nodes["city"]!.intakeAndWait(.init(channel: .hotline, citizen: .init(name: "张三", phone: "13800000001"), subject: "路灯不亮",
                                                                     location: .init(address: "东湖区湖滨街道"), category: "城乡建设"))
        #expect(elsewhere.case.holder == "s990101001")
        let ours = try city.nodes["city"]!.intakeAndWait(.init(channel: .hotline, citizen: .init(phone: "13800000002"), subject: "楼道堆物",
                                                                location: .init(address: "西岭区枫林街道"), category: "城乡建设"))
        #expect(ours.case.holder == "s990103001")
        let s = try join()
        defer { s.close() }
        _ = try s.read(type: "dispatch")  // our own case arrives

        // Resolving a case held in another district: refused, not acknowledged, nothing changes.
        var forged = try caseJSON(elsewhere.case)
        forged["state"] = "resolved"
        try s.send(["type": "update", "seq": 1, "case": forged,
                     "event": event("s990103001-1", case: elsewhere.case.id, node: "s990103001", action: "resolved", state: "resolved", holder: "s990103001")])
        let refused = try s.read(type: "error")
        #expect(refused["code"] as? String == "not_in_subtree", "\(refused)")
        #expect(try city.nodes["city"]!.caseWithHistory(elsewhere.case.id)?.0.state == .dispatched)
        let link = try #require(try API.get(url("city", "/status")).array("children")?.first { $0["id"] as? String == "d990103" })
        #expect((link["refused_lines"] as? Int ?? 0) >= 1, "the refusal is counted on the link: \(link)")

        // A legitimate event about our own case, carrying a rewritten header: the event applies, the header does not.
        let s2 = try join()
        defer { s2.close() }
        var rewritten = try caseJSON(ours.case)
        rewritten["subject"] = "改写的标题"
        rewritten["citizen"] = ["name": "冒名", "phone": "13999999999"]
        rewritten["state"] = "accepted"
        try s2.send(["type": "update", "seq": 1, "case": rewritten,
                      "event": event("s990103001-1", case: ours.case.id, node: "s990103001", action: "accepted", state: "accepted", holder: "s990103001")])
        #expect(try s2.read(type: "ack")["seq"] as? Int == 1)
        let stored = try #require(try city.nodes["city"]!.caseWithHistory(ours.case.id)).0
        #expect(stored.state == .accepted)
        #expect(stored.subject == "楼道堆物" && stored.citizen.phone == "13800000002", "the header is the city's, not the child's")
    }

    @Test func aChildCannotSquatTheParentsEventIds() throws {
        let ours = try city.nodes["city"]!.intakeAndWait(.init(channel: .hotline, subject: "楼道堆物", location: .init(address: "西岭区枫林街道"), category: "城乡建设"))
        let s = try join()
        defer { s.close() }
        _ = try s.read(type: "dispatch")
        // The city numbers its own events city-N; a child sending the next ones as its own must be refused.
        let next = try #require(Int(try city.nodes["city"]!.caseWithHistory(ours.case.id)!.1.last!.id.split(separator: "-").last!)) + 1
        var c = try caseJSON(ours.case)
        c["state"] = "accepted"
        try s.send(["type": "update", "seq": 1, "case": c,
                     "event": event("city-\(next)", case: ours.case.id, node: "s990103001", action: "accepted", state: "accepted", holder: "s990103001")])
        let refused = try s.read(type: "error")
        #expect(refused["code"] as? String == "invalid_event", "\(refused)")
        // Claiming to be the city itself is refused too: the city's events never come up from a child.
        let s2 = try join()
        defer { s2.close() }
        try s2.send(["type": "update", "seq": 1, "case": c,
                      "event": event("city-\(next)", case: ours.case.id, node: "city", action: "accepted", state: "accepted", holder: "s990103001")])
        #expect(try s2.read(type: "error")["code"] as? String == "not_in_subtree")

        // The city's next intake gets an id that answers.
        let created = try API.post(url("city", "/api/cases"), ["subject": "噪音扰民", "address": "南山区南门街道", "category": "环境保护"])
        #expect(created.status == 201, "\(created.text)")
        let id = try #require(created.string("id"))
        #expect(try API.get(url("city", "/api/cases/\(id)")).status == 200)
    }

    @Test func aResendWithTheSameIdButAnotherEventIsAClash() throws {
        let ours = try city.nodes["city"]!.intakeAndWait(.init(channel: .hotline, subject: "楼道堆物", location: .init(address: "西岭区枫林街道"), category: "城乡建设"))
        let s = try join()
        defer { s.close() }
        _ = try s.read(type: "dispatch")
        var c = try caseJSON(ours.case)
        c["state"] = "accepted"
        try s.send(["type": "update", "seq": 1, "case": c,
                     "event": event("s990103001-7", case: ours.case.id, node: "s990103001", action: "accepted", state: "accepted", holder: "s990103001")])
        #expect(try s.read(type: "ack")["seq"] as? Int == 1)
        var other = event("s990103001-7", case: ours.case.id, node: "s990103001", action: "progress", state: "accepted", holder: "s990103001")
        other["note"] = "another event under the same id"
        try s.send(["type": "update", "seq": 2, "case": c, "event": other])
        #expect(try s.read(type: "error")["code"] as? String == "event_id_clash")
        #expect(try city.nodes["city"]!.caseWithHistory(ours.case.id)?.1.count == 3, "created, dispatched, accepted — the clash changed nothing")
    }
}
