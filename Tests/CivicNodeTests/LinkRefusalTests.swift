import CivicCases
import CivicIO
import CivicNode
import CivicWire
import Foundation
import TestSupport
import Testing

/// Hostile or broken peers on the city's mesh port: each gets an error naming the problem, and the real
/// links keep carrying cases.
@Suite(.serialized) final class LinkRefusalTests {
    let dir = TempDirectory("refusals")
    let city: LocalCity
    let mesh: HostPort

    init() throws {
        city = try LocalCity(topology: SampleTopology.load(), directory: dir.path, heartbeat: 0.5)
        #expect(city.waitUntilLinked())
        mesh = HostPort.parse(city.nodes["city"]!.meshAddress!)!
    }

    deinit { city.stopAll() }

    func connect() throws -> BlockingSocket { try BlockingSocket.connect(host: mesh.host, port: mesh.port, timeout: 5) }

    func send(_ s: BlockingSocket, _ line: String) throws { try s.write(Array((line + "\n").utf8)) }

    func reply(_ s: BlockingSocket) throws -> [String: Any] {
        let line = try #require(try s.readLine(timeout: 5))
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    func expectRefused(_ s: BlockingSocket, code: String) throws {
        let r = try reply(s)
        #expect(r["type"] as? String == "error" && r["code"] as? String == code && r["fatal"] as? Bool == true, "\(r)")
        #expect(try s.readLine(timeout: 5) == nil, "connection closed after a fatal error")
    }

    func hello(_ node: String, _ tier: String, nonce: String = Hex.encode(SecureRandom.bytes(16)), v: Int = 2, seal: String = "chacha20-poly1305") -> String {
        #"{"type":"hello","v":\#(v),"node":"\#(node)","tier":"\#(tier)","nonce":"\#(nonce)","seal":"\#(seal)"}"#
    }

    /// The mesh still works: a case flows city → street after the abuse.
    func expectMeshStillWorks() throws {
        let c = try city.nodes["city"]!.intakeAndWait(CaseDraft(channel: .web, subject: "仍然畅通", location: Location(address: "南山区南门街道"), category: "城乡建设"))
        #expect(eventually { (try? self.city.nodes["s990102001"]!.caseWithHistory(c.case.id)) != nil }, "cases still reach the street")
    }

    @Test func unknownNodeWrongTierAndVersionAreRefused() throws {
        let a = try connect(); try send(a, hello("d999", "district")); try expectRefused(a, code: "unknown_node")
        let b = try connect(); try send(b, hello("d990101", "street")); try expectRefused(b, code: "wrong_tier")
        let c = try connect(); try send(c, hello("d990101", "district", v: 9)); try expectRefused(c, code: "unsupported_version")
        // A node of the first release (plain lines, protocol 1) is told to upgrade.
        let old = try connect(); try send(old, hello("d990101", "district", v: 1))
        let refusal = try reply(old)
        #expect(refusal["code"] as? String == "unsupported_version" && (refusal["message"] as? String ?? "").contains("upgrade d990101"), "\(refusal)")
        // A peer that will not seal its lines is refused by a node that requires it.
        let plain = try connect(); try send(plain, hello("d990101", "district", seal: "none")); try expectRefused(plain, code: "encryption_mismatch")
        try expectMeshStillWorks()
    }

    @Test func wrongSecretAndReplayedProofAreRefused() throws {
        let s = try connect()
        let nonce = Hex.encode(SecureRandom.bytes(16))
        try send(s, hello("d990101", "district", nonce: nonce))
        let challenge = try reply(s)
        #expect(challenge["type"] as? String == "challenge")
        let parentNonce = try #require(challenge["nonce"] as? String)
        let wrong = HandshakeProof.make(role: "child", secret: "not-the-secret-at-all", child: "d990101", parent: "city", childNonce: nonce, parentNonce: parentNonce)
        try send(s, #"{"type":"auth","proof":"\#(wrong)","resume":0}"#)
        try expectRefused(s, code: "bad_proof")

        // A proof that was right for one connection is useless on the next: the parent's nonce changed.
        let secret = try #require(city.configs["d990101"]?.parentSecret)
        let captured = HandshakeProof.make(role: "child", secret: secret, child: "d990101", parent: "city", childNonce: nonce, parentNonce: parentNonce)
        let again = try connect()
        try send(again, hello("d990101", "district"))
        _ = try reply(again)
        try send(again, #"{"type":"auth","proof":"\#(captured)","resume":0}"#)
        try expectRefused(again, code: "bad_proof")
        // And a replayed hello nonce is refused outright.
        let replay = try connect()
        try send(replay, hello("d990101", "district", nonce: nonce))
        try expectRefused(replay, code: "replayed_nonce")
        #expect(city.nodes["d990101"]!.parentLinkState == "up", "the real district link was not disturbed")
        try expectMeshStillWorks()
    }

    @Test func malformedOversizedAndOutOfOrderLinesAreRefused() throws {
        let a = try connect(); try send(a, "this is not json"); try expectRefused(a, code: "malformed_json")
        let b = try connect(); try send(b, #"{"type":"ack","seq":1}"#); try expectRefused(b, code: "handshake_required")
        let c = try connect(); try send(c, #"{"type":"hello","v":2,"node":7}"#); try expectRefused(c, code: "invalid_message")
        let d = try connect()
        let big = String(repeating: "x", count: 1 << 20 + 10)
        try? d.write(Array(#"{"type":"hello","pad":""#.utf8) + Array(big.utf8))
        try expectRefused(d, code: "frame_too_large")
        try expectMeshStillWorks()
    }

    @Test func afterTheHandshakeBadLinesGetNonFatalErrors() throws {
        // Impersonate a real district with its real secret (its own process is stopped first).
        city.stop("d990103")
        let secret = try #require(city.configs["d990103"]?.parentSecret)
        let s = try MeshPeer(mesh: city.nodes["city"]!.meshAddress!, child: "d990103", tier: "district", parent: "city", secret: secret)
        try s.sendLine(#"{"type":"teleport","to":"moon"}"#)
        var r = try s.read(type: "error")
        #expect(r["code"] as? String == "unknown_type" && r["fatal"] as? Bool == false)
        try s.sendLine("{broken")
        r = try s.read(type: "error")
        #expect(r["code"] as? String == "malformed_json")
        try s.sendLine(#"{"type":"ping"}"#)
        #expect(try s.read(type: "pong")["type"] as? String == "pong", "the link is still alive after non-fatal errors")
        s.close()
        try city.start("d990103")
        #expect(city.waitUntilLinked())
        try expectMeshStillWorks()
    }
}

/// Before a peer has proven itself, every field it sends is bounded, and what it sends is logged on one line.
@Suite(.serialized) final class HandshakeBoundsTests: OnSampleCity {
    let sample: SampleCity
    var city: LocalCity { sample.city }
    var mesh: HostPort { HostPort.parse(city.nodes["city"]!.meshAddress!)! }

    init() throws { sample = try SampleCity("hsbounds") }

    func refusal(after line: String) throws -> [String: Any] {
        let s = try BlockingSocket.connect(host: mesh.host, port: mesh.port, timeout: 5)
        defer { s.close() }
        try? s.write(Array((line + "\n").utf8))
        let reply = try #require(try s.readLine(timeout: 5))
        return try #require(try JSONSerialization.jsonObject(with: Data(reply.utf8)) as? [String: Any])
    }

    @Test func oversizedHandshakeFieldsAreRefusedAndNotKept() throws {
        let bigNonce = String(repeating: "ab", count: 500_000)
        let huge = try refusal(after: #"{"type":"hello","v":1,"node":"d990101","tier":"district","nonce":"\#(bigNonce)"}"#)
        #expect(huge["code"] as? String == "frame_too_large", "a 1 MB hello is refused at 4 KB: \(huge)")
        let longNonce = try refusal(after: #"{"type":"hello","v":2,"node":"d990101","tier":"district","nonce":"\#(String(repeating: "ab", count: 100))","seal":"chacha20-poly1305"}"#)
        #expect(longNonce["code"] as? String == "invalid_message", "\(longNonce)")
        let forged = try refusal(after: #"{"type":"hello","v":2,"node":"x\n2026-01-01T00:00:00.000Z info [city] forged","tier":"district","nonce":"00112233445566778899aabbccddeeff"}"#)
        #expect(forged["code"] as? String == "unknown_node")
        #expect(!(forged["message"] as? String ?? "").contains("\n"), "the peer's text comes back escaped: \(forged)")
        // The real links still carry cases.
        let c = try city.nodes["city"]!.intakeAndWait(CaseDraft(channel: .web, subject: "仍然畅通", location: Location(address: "南山区南门街道"), category: "城乡建设"))
        #expect(eventually { (try? self.city.nodes["s990102001"]!.caseWithHistory(c.case.id)) != nil })
    }

    @Test func logLinesEscapeControlCharactersAndAreCut() {
        #expect(Logger.clip("a\nb\rc\u{1B}[31m", 100) == "a\\nb\\rc\\u{1b}[31m")
        let cut = Logger.clip(String(repeating: "长", count: 1000), 30)
        #expect(cut.hasPrefix(String(repeating: "长", count: 10)) && cut.hasSuffix("(2970 more bytes)"), "\(cut)")
    }
}
