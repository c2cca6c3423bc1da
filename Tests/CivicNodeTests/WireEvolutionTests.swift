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

/// The `deadlines` feature on a real link: a peer that did not name it is not sent timer events (it would
/// refuse their ids), one that did gets them. A hand-written street plays both under a real district.
@Suite(.serialized) final class FeatureGatingTests {
    let dir = TempDirectory("features")
    let clock = ManualClock(Date(timeIntervalSince1970: 1_796_000_400))  // Monday 2026-11-30 09:00 in Shanghai
    let city: LocalCity

    init() throws {
        city = try LocalCity(topology: SampleTopology.load(), directory: dir.path, heartbeat: 3, clock: clock)
        city.stop("s990103001")  // we play this street
        #expect(eventually { self.city.nodes["d990103"]?.parentLinkState == "up" })
    }

    deinit { city.stopAll() }

    /// Reads lines until `seconds` pass, acknowledging durable ones; returns the actions of the updates seen.
    func updates(_ peer: MeshPeer, for seconds: Double) throws -> [String] {
        var actions: [String] = []
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            // A read that times out is the quiet we are waiting for.
            guard let line = (try? peer.readLine(timeout: max(0.1, deadline.timeIntervalSinceNow))) ?? nil else { break }
            if let seq = line["seq"] as? Int { try peer.send(["type": "ack", "seq": seq]) }
            if line["type"] as? String == "update", let event = line["event"] as? [String: Any] { actions.append(event["action"] as? String ?? "?") }
        }
        return actions
    }

    @Test func timerEventsGoOnlyToAPeerThatNamedDeadlines() throws {
        let secret = try #require(city.configs["s990103001"]?.parentSecret)
        let district = city.nodes["d990103"]!
        var old: MeshPeer? = try MeshPeer(mesh: district.meshAddress!, child: "s990103001", tier: "street", parent: "d990103", secret: secret,
                                          features: ["open-vocabulary", "recall", "ruling"])
        #expect(eventually { ((try? API.get(TestTokens.url(district, "/status")).array("children"))??.first { $0["id"] as? String == "s990103001" }?["features"] as? [String]) == ["open-vocabulary", "recall", "ruling"] })
        let first = try city.nodes["city"]!.intakeAndWait(.init(channel: .hotline, subject: "楼道堆物", location: .init(address: "西岭区枫林街道"), category: "城乡建设"))
        let dispatch = try old!.read(type: "dispatch")
        try old!.send(["type": "ack", "seq": dispatch["seq"] as! Int])
        // Three days on, the district escalates the case its street let run out: the old street is not told.
        clock.advance(by: 3 * 86_400)
        #expect(try district.fireTimersNow().issued == 1)
        #expect(try city.nodes["city"]!.fireTimersNow().issued == 1)
        #expect(eventually { (try? district.caseWithHistory(first.case.id))??.1.filter { $0.action == .escalated }.count == 2 }, "both escalations at the district")
        #expect(try updates(old!, for: 1.5).isEmpty, "no timer event crosses to a peer without the feature")
        old!.close()
        old = nil

        // The street comes back upgraded: events from now on reach it.
        let upgraded = try MeshPeer(mesh: district.meshAddress!, child: "s990103001", tier: "street", parent: "d990103", secret: secret,
                                    resume: dispatch["seq"] as! Int, features: meshFeatures)
        #expect(eventually { ((try? API.get(TestTokens.url(district, "/status")).array("children"))??.first { $0["id"] as? String == "s990103001" }?["features"] as? [String]) == meshFeatures })
        Thread.sleep(forTimeInterval: 0.3)  // the district's engine hears the features after the link is up
        let second = try city.nodes["city"]!.intakeAndWait(.init(channel: .hotline, subject: "井盖松动", location: .init(address: "西岭区枫林街道"), category: "城乡建设"))
        let next = try upgraded.read(type: "dispatch")
        try upgraded.send(["type": "ack", "seq": next["seq"] as! Int])
        clock.advance(by: 3 * 86_400)
        #expect(try district.fireTimersNow().issued == 1)
        #expect(try updates(upgraded, for: 1.5) == ["escalated"], "the upgraded street hears of its escalation (\(second.case.id))")
        upgraded.close()
    }
}
