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

    @Test func aFutureActionAndStateAreStoredForwardedCountedAndAcknowledged() throws {
        let secret = try #require(city.configs["s990103001"]?.parentSecret)
        let s = try MeshPeer(mesh: city.nodes["d990103"]!.meshAddress!, child: "s990103001", tier: "street", parent: "d990103", secret: secret,
                             features: ["open-vocabulary", "recall", "teleport"])
        defer { s.close() }
        #expect((s.challenge["features"] as? [String])?.contains("open-vocabulary") == true, "the parent names its features")
        #expect(eventually {
            let link = (try? API.get(TestTokens.url(self.city.nodes["d990103"]!, "/status")).array("children"))??.first { $0["id"] as? String == "s990103001" }
            return (link?["features"] as? [String]) == ["open-vocabulary", "recall"]
        }, "the link keeps what both ends named")

        // The city dispatches a case to us.
        let receipt = try city.nodes["city"]!.intakeAndWait(.init(channel: .hotline, subject: "楼道堆物", location: .init(address: "西岭区枫林街道"), category: "城乡建设"))
        let dispatch = try s.read(type: "dispatch")
        try s.send(["type": "ack", "seq": dispatch["seq"] as! Int])
        var c = try #require(dispatch["case"] as? [String: Any])

        // An action from a newer release: "photo_attached" (a site photo, say).
        let warned: [String: Any] = ["id": "s990103001-1", "case": receipt.case.id, "at": "2026-12-02T08:00:00.000Z", "node": "s990103001", "actor": "system",
                                     "action": "photo_attached", "state": "dispatched", "holder": "s990103001", "data": ["photo": "site-1.jpg"]]
        try s.send(["type": "update", "seq": 1, "case": c, "event": warned])
        #expect(try s.read(type: "ack")["seq"] as? Int == 1, "acknowledged, so the stream goes on")
        // A new case in a state from a newer release.
        c = try JSONSerialization.jsonObject(with: WireJSON.encoder().encode(Case(id: "JC-20261202-s990103001-000001", channel: .grid, citizen: Citizen(), subject: "网格巡查",
                                                                                      detail: "", location: Location(), intake: "s990103001", createdAt: Date(), state: CaseState("triaged"), holder: "s990103001"))) as! [String: Any]
        let created: [String: Any] = ["id": "s990103001-2", "case": "JC-20261202-s990103001-000001", "at": "2026-12-02T08:01:00.000Z", "node": "s990103001",
                                      "actor": "网格员", "action": "created", "state": "triaged", "holder": "s990103001", "data": [String: String]()]
        try s.send(["type": "update", "seq": 2, "case": c, "event": created])
        #expect(try s.read(type: "ack")["seq"] as? Int == 2)

        for node in ["d990103", "city"] {
            #expect(eventually { (try? self.city.nodes[node]!.caseWithHistory(receipt.case.id))??.1.contains { $0.action.rawValue == "photo_attached" } == true },
                    "\(node) stores the unknown action (forwarded up by the district)")
            let stored = try #require(try city.nodes[node]!.caseWithHistory(receipt.case.id))
            #expect(stored.0.state == .dispatched, "an unknown action does not move the case")
            #expect(eventually { (try? self.city.nodes[node]!.caseWithHistory("JC-20261202-s990103001-000001"))??.0.state.rawValue == "triaged" })
            #expect(eventually { self.city.nodes[node]!.counters.subtree.byState["other"] == 1 }, "\(node) counts the unknown state as other")
        }
    }
}
