import CivicIO
import CivicNode
import CivicWire
import Foundation
import TestSupport
import Testing

/// A peer written only from docs/protocol.md: literal JSON lines, HMAC over the documented string.
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

    func readMessage(_ s: BlockingSocket, type: String) throws -> [String: Any] {
        while true {
            let line = try #require(try s.readLine(timeout: 10), "expected a \(type) line")
            let obj = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            if obj["type"] as? String == type { return obj }
            #expect(["ping", "pong"].contains(obj["type"] as? String ?? ""), "unexpected \(line)")
            if obj["type"] as? String == "ping" { try s.write(Array(#"{"type":"pong"}"#.utf8) + [0x0A]) }
        }
    }

    @Test func aPeerFromTheDocumentJoinsReceivesAcknowledgesAndReports() throws {
        let secret = try #require(city.configs["d990103"]?.parentSecret)
        let mesh = HostPort.parse(city.nodes["city"]!.meshAddress!)!
        let s = try BlockingSocket.connect(host: mesh.host, port: mesh.port, timeout: 5)
        let myNonce = "00112233445566778899aabbccddeeff"
        try s.write(Array(#"{"type":"hello","v":1,"node":"d990103","tier":"district","nonce":"00112233445566778899aabbccddeeff"}"#.utf8) + [0x0A])
        let challenge = try readMessage(s, type: "challenge")
        let parentNonce = try #require(challenge["nonce"] as? String)
        func hmac(_ text: String) -> String { Hex.encode(HMACSHA256.authenticate(key: Array(secret.utf8), message: Array(text.utf8))) }
        #expect(challenge["proof"] as? String == hmac("civicmesh/1 parent|d990103|city|\(myNonce)|\(parentNonce)"), "the city proves the secret too")
        let proof = hmac("civicmesh/1 child|d990103|city|\(myNonce)|\(parentNonce)")
        try s.write(Array(#"{"type":"auth","proof":"\#(proof)","resume":0}"#.utf8) + [0x0A])
        let welcome = try readMessage(s, type: "welcome")
        #expect(welcome["resume"] as? Int == 0)

        let receipt = try city.nodes["city"]!.intakeAndWait(.init(channel: .hotline, subject: "楼道堆物", location: .init(address: "西岭区枫林街道"), category: "城乡建设"))
        let dispatch = try readMessage(s, type: "dispatch")
        #expect(dispatch["seq"] as? Int == 1)
        let c = try #require(dispatch["case"] as? [String: Any])
        #expect(c["id"] as? String == receipt.case.id && c["holder"] as? String == "s990103001")
        #expect((dispatch["events"] as? [[String: Any]])?.map { $0["action"] as? String } == ["created", "dispatched"])
        try s.write(Array(#"{"type":"ack","seq":1}"#.utf8) + [0x0A])

        // Report that our street accepted it: one update with the case as the event leaves it.
        var updated = c
        updated["state"] = "accepted"
        let event: [String: Any] = ["id": "s990103001-1", "case": receipt.case.id, "at": "2026-11-21T08:00:00.000Z", "node": "s990103001",
                                    "actor": "手写客户端", "action": "accepted", "state": "accepted", "holder": "s990103001", "data": [String: String]()]
        let update: [String: Any] = ["type": "update", "seq": 1, "case": updated, "event": event]
        try s.write(Array(try JSONSerialization.data(withJSONObject: update)) + [0x0A])
        let ack = try readMessage(s, type: "ack")
        #expect(ack["seq"] as? Int == 1, "the city acknowledges after its commit")
        let stored = try #require(try city.nodes["city"]!.caseWithHistory(receipt.case.id))
        #expect(stored.0.state == .accepted && stored.1.last?.actor == "手写客户端")
        // A resend of the same seq is acknowledged again and applied once.
        try s.write(Array(try JSONSerialization.data(withJSONObject: update)) + [0x0A])
        #expect(try readMessage(s, type: "ack")["seq"] as? Int == 1)
        #expect(try city.nodes["city"]!.caseWithHistory(receipt.case.id)?.1.count == 3)
        s.close()
    }
}
