import CivicIO
import CivicNode
import CivicWire
import Foundation
import TestSupport
import Testing

/// A peer written only from docs/protocol.md: JSON lines, HMAC over the documented string, lines sealed as §2.4 says.
/// It joins a real city node as district d990103 and receives a dispatched case, acknowledges it, and
/// reports an event up — exactly what a peer in another language would do.
@Suite(.serialized) final class HandwrittenPeerTests {
    let dir = TempDirectory("handwritten")
    let city: LocalCity

    init() throws {
        // A slow heartbeat: this peer answers pings only while it is reading.
        city = try LocalCity(topology: SampleTopology.load(), directory: dir.path, heartbeat: 3)
        city.stop("d990103")  // we play this district ourselves
    }

    deinit { city.stopAll() }

    @Test func aPeerFromTheDocumentJoinsReceivesAcknowledgesAndReports() throws {
        let secret = try #require(city.configs["d990103"]?.parentSecret)
        // Lines after the welcome are sealed by Python's `cryptography` when it is here (CI requires it),
        // so the sealing recipe of docs/protocol.md §2.4 is checked against an implementation we did not write.
        let peer = try MeshPeer(mesh: city.nodes["city"]!.meshAddress!, child: "d990103", tier: "district", parent: "city", secret: secret,
                                independent: PythonCrypto.available)
        #expect(peer.challenge["seal"] as? String == "chacha20-poly1305" && peer.challenge["v"] as? Int == 2)
        #expect(peer.welcome["resume"] as? Int == 0)

        let receipt = try city.nodes["city"]!.intakeAndWait(.init(channel: .hotline, subject: "楼道堆物", location: .init(address: "西岭区枫林街道"), category: "城乡建设"))
        let dispatch = try peer.read(type: "dispatch", ack: false)
        #expect(dispatch["seq"] as? Int == 1)
        let c = try #require(dispatch["case"] as? [String: Any])
        #expect(c["id"] as? String == receipt.case.id && c["holder"] as? String == "s990103001")
        #expect((dispatch["events"] as? [[String: Any]])?.map { $0["action"] as? String } == ["created", "dispatched"])
        try peer.sendLine(#"{"type":"ack","seq":1}"#)

        // Report that our street accepted it: one update with the case as the event leaves it.
        var updated = c
        updated["state"] = "accepted"
        let event: [String: Any] = ["id": "s990103001-1", "case": receipt.case.id, "at": "2026-11-21T08:00:00.000Z", "node": "s990103001",
                                    "actor": "手写客户端", "action": "accepted", "state": "accepted", "holder": "s990103001", "data": [String: String]()]
        let update: [String: Any] = ["type": "update", "seq": 1, "case": updated, "event": event]
        try peer.send(update)
        let ack = try peer.read(type: "ack")
        #expect(ack["seq"] as? Int == 1, "the city acknowledges after its commit")
        let stored = try #require(try city.nodes["city"]!.caseWithHistory(receipt.case.id))
        #expect(stored.0.state == .accepted && stored.1.last?.actor == "手写客户端")
        // A resend of the same seq is acknowledged again and applied once.
        try peer.send(update)
        #expect(try peer.read(type: "ack")["seq"] as? Int == 1)
        #expect(try city.nodes["city"]!.caseWithHistory(receipt.case.id)?.1.count == 3)
        peer.close()
    }
}
