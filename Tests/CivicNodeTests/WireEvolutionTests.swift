import CivicCases
import CivicIO
import CivicNode
import CivicWire
import Foundation
import TestSupport
import Testing

/// A newer node's vocabulary crosses a real link: an action and a state this release does not know are
/// stored, forwarded, counted as "other" and acknowledged — the link never stalls. A hand-written street
/// (literal JSON, as docs/protocol.md describes) plays the newer node under a real district.
@Suite(.serialized) final class WireEvolutionTests {
    let dir = TempDirectory("wire")
    let city: LocalCity

    init() throws {
        city = try LocalCity(topology: SampleTopology.load(), directory: dir.path, heartbeat: 3)
        city.stop("s990103001")  // we play this street
        #expect(eventually { self.city.nodes["d990103"]?.parentLinkState == "up" })
    }

    deinit { city.stopAll() }

    func send(_ s: BlockingSocket, _ obj: [String: Any]) throws { try s.write(Array(try JSONSerialization.data(withJSONObject: obj)) + [0x0A]) }

    func read(_ s: BlockingSocket, type: String) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(10)
        while true {
            let line = try #require(Date() < deadline ? try s.readLine(timeout: 10) : nil, "expected a \(type) line")
            let obj = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            if obj["type"] as? String == type { return obj }
            if obj["type"] as? String == "ping" { try send(s, ["type": "pong"]) }
        }
    }

    @Test func aFutureActionAndStateAreStoredForwardedCountedAndAcknowledged() throws {
        let secret = try #require(city.configs["s990103001"]?.parentSecret)
        let mesh = HostPort.parse(city.nodes["d990103"]!.meshAddress!)!
        let s = try BlockingSocket.connect(host: mesh.host, port: mesh.port, timeout: 5)
        defer { s.close() }
        let nonce = Hex.encode((0..<16).map { _ in UInt8.random(in: 0...255) })
        try send(s, ["type": "hello", "v": 1, "node": "s990103001", "tier": "street", "nonce": nonce, "features": ["open-vocabulary", "recall", "teleport"]])
        let challenge = try read(s, type: "challenge")
        #expect((challenge["features"] as? [String])?.contains("open-vocabulary") == true, "the parent names its features")
        let proof = Hex.encode(HMACSHA256.authenticate(key: Array(secret.utf8), message: Array("civicmesh/1 child|s990103001|d990103|\(nonce)|\(challenge["nonce"] as! String)".utf8)))
        try send(s, ["type": "auth", "proof": proof, "resume": 0])
        _ = try read(s, type: "welcome")
        #expect(eventually {
            let link = (try? API.get("http://\(self.city.nodes["d990103"]!.httpAddress)/status").array("children"))??.first { $0["id"] as? String == "s990103001" }
            return (link?["features"] as? [String]) == ["open-vocabulary", "recall"]
        }, "the link keeps what both ends named")

        // The city dispatches a case to us.
        let receipt = try city.nodes["city"]!.intakeAndWait(.init(channel: .hotline, subject: "楼道堆物", location: .init(address: "西岭区枫林街道"), category: "城乡建设"))
        let dispatch = try read(s, type: "dispatch")
        try send(s, ["type": "ack", "seq": dispatch["seq"] as! Int])
        var c = try #require(dispatch["case"] as? [String: Any])

        // An action from a newer release: "warned" (a deadline warning, say).
        let warned: [String: Any] = ["id": "s990103001-1", "case": receipt.case.id, "at": "2026-12-02T08:00:00.000Z", "node": "s990103001", "actor": "system",
                                     "action": "warned", "state": "dispatched", "holder": "s990103001", "data": ["due": "2026-12-03T08:00:00Z"]]
        try send(s, ["type": "update", "seq": 1, "case": c, "event": warned])
        #expect(try read(s, type: "ack")["seq"] as? Int == 1, "acknowledged, so the stream goes on")
        // A new case in a state from a newer release.
        c = try JSONSerialization.jsonObject(with: WireJSON.encoder().encode(Case(id: "JC-20261202-s990103001-000001", channel: .grid, citizen: Citizen(), subject: "网格巡查",
                                                                                      detail: "", location: Location(), intake: "s990103001", createdAt: Date(), state: CaseState("triaged"), holder: "s990103001"))) as! [String: Any]
        let created: [String: Any] = ["id": "s990103001-2", "case": "JC-20261202-s990103001-000001", "at": "2026-12-02T08:01:00.000Z", "node": "s990103001",
                                      "actor": "网格员", "action": "created", "state": "triaged", "holder": "s990103001", "data": [String: String]()]
        try send(s, ["type": "update", "seq": 2, "case": c, "event": created])
        #expect(try read(s, type: "ack")["seq"] as? Int == 2)

        for node in ["d990103", "city"] {
            #expect(eventually { (try? self.city.nodes[node]!.caseWithHistory(receipt.case.id))??.1.contains { $0.action.rawValue == "warned" } == true },
                    "\(node) stores the unknown action (forwarded up by the district)")
            let stored = try #require(try city.nodes[node]!.caseWithHistory(receipt.case.id))
            #expect(stored.0.state == .dispatched, "an unknown action does not move the case")
            #expect(eventually { (try? self.city.nodes[node]!.caseWithHistory("JC-20261202-s990103001-000001"))??.0.state.rawValue == "triaged" })
            #expect(eventually { self.city.nodes[node]!.counters.subtree.byState["other"] == 1 }, "\(node) counts the unknown state as other")
        }
    }
}
