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

    func url(_ node: String, _ path: String) -> String { "http://\(city.nodes[node]!.httpAddress)\(path)" }

    /// Joins the city as d990103 (the handshake of docs/protocol.md) and returns the socket.
    func join() throws -> BlockingSocket {
        let secret = try #require(city.configs["d990103"]?.parentSecret)
        let mesh = HostPort.parse(city.nodes["city"]!.meshAddress!)!
        let s = try BlockingSocket.connect(host: mesh.host, port: mesh.port, timeout: 5)
        let myNonce = Hex.encode((0..<16).map { _ in UInt8.random(in: 0...255) })
        try send(s, ["type": "hello", "v": 1, "node": "d990103", "tier": "district", "nonce": myNonce])
        let challenge = try read(s, type: "challenge")
        let parentNonce = try #require(challenge["nonce"] as? String)
        let proof = Hex.encode(HMACSHA256.authenticate(key: Array(secret.utf8), message: Array("civicmesh/1 child|d990103|city|\(myNonce)|\(parentNonce)".utf8)))
        let resume = try city.nodes["city"]!.linkFigures("d990103").lastApplied
        try send(s, ["type": "auth", "proof": proof, "resume": resume])
        _ = try read(s, type: "welcome")
        return s
    }

    func send(_ s: BlockingSocket, _ obj: [String: Any]) throws { try s.write(Array(try JSONSerialization.data(withJSONObject: obj)) + [0x0A]) }

    /// The next message of `type`, answering pings and acknowledging the city's durable lines on the way.
    func read(_ s: BlockingSocket, type: String) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(10)
        while true {
            let line = try #require(Date() < deadline ? try s.readLine(timeout: 10) : nil, "expected a \(type) line within 10 s")
            let obj = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            if obj["type"] as? String == type { return obj }
            if obj["type"] as? String == "ping" { try send(s, ["type": "pong"]) }
            if ["dispatch", "update"].contains(obj["type"] as? String ?? ""), let seq = obj["seq"] as? Int { try send(s, ["type": "ack", "seq": seq]) }
        }
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
        _ = try read(s, type: "dispatch")  // our own case arrives

        // Resolving a case held in another district: refused, not acknowledged, nothing changes.
        var forged = try caseJSON(elsewhere.case)
        forged["state"] = "resolved"
        try send(s, ["type": "update", "seq": 1, "case": forged,
                     "event": event("s990103001-1", case: elsewhere.case.id, node: "s990103001", action: "resolved", state: "resolved", holder: "s990103001")])
        let refused = try read(s, type: "error")
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
        try send(s2, ["type": "update", "seq": 1, "case": rewritten,
                      "event": event("s990103001-1", case: ours.case.id, node: "s990103001", action: "accepted", state: "accepted", holder: "s990103001")])
        #expect(try read(s2, type: "ack")["seq"] as? Int == 1)
        let stored = try #require(try city.nodes["city"]!.caseWithHistory(ours.case.id)).0
        #expect(stored.state == .accepted)
        #expect(stored.subject == "楼道堆物" && stored.citizen.phone == "13800000002", "the header is the city's, not the child's")
    }

    @Test func aChildCannotSquatTheParentsEventIds() throws {
        let ours = try city.nodes["city"]!.intakeAndWait(.init(channel: .hotline, subject: "楼道堆物", location: .init(address: "西岭区枫林街道"), category: "城乡建设"))
        let s = try join()
        defer { s.close() }
        _ = try read(s, type: "dispatch")
        // The city numbers its own events city-N; a child sending the next ones as its own must be refused.
        let next = try #require(Int(try city.nodes["city"]!.caseWithHistory(ours.case.id)!.1.last!.id.split(separator: "-").last!)) + 1
        var c = try caseJSON(ours.case)
        c["state"] = "accepted"
        try send(s, ["type": "update", "seq": 1, "case": c,
                     "event": event("city-\(next)", case: ours.case.id, node: "s990103001", action: "accepted", state: "accepted", holder: "s990103001")])
        let refused = try read(s, type: "error")
        #expect(refused["code"] as? String == "invalid_event", "\(refused)")
        // Claiming to be the city itself is refused too: the city's events never come up from a child.
        let s2 = try join()
        defer { s2.close() }
        try send(s2, ["type": "update", "seq": 1, "case": c,
                      "event": event("city-\(next)", case: ours.case.id, node: "city", action: "accepted", state: "accepted", holder: "s990103001")])
        #expect(try read(s2, type: "error")["code"] as? String == "not_in_subtree")

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
        _ = try read(s, type: "dispatch")
        var c = try caseJSON(ours.case)
        c["state"] = "accepted"
        try send(s, ["type": "update", "seq": 1, "case": c,
                     "event": event("s990103001-7", case: ours.case.id, node: "s990103001", action: "accepted", state: "accepted", holder: "s990103001")])
        #expect(try read(s, type: "ack")["seq"] as? Int == 1)
        var other = event("s990103001-7", case: ours.case.id, node: "s990103001", action: "progress", state: "accepted", holder: "s990103001")
        other["note"] = "another event under the same id"
        try send(s, ["type": "update", "seq": 2, "case": c, "event": other])
        #expect(try read(s, type: "error")["code"] as? String == "event_id_clash")
        #expect(try city.nodes["city"]!.caseWithHistory(ours.case.id)?.1.count == 3, "created, dispatched, accepted — the clash changed nothing")
    }
}
