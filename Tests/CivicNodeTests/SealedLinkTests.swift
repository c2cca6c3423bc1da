import CivicCases
import CivicNode
import CivicWire
import Foundation
import TestSupport
import Testing

/// Mesh lines are sealed: a line altered, replayed or injected on the path is refused, the link is dropped
/// and comes back with fresh keys, and nothing is lost or applied twice. A real district dials the city
/// through a man in the middle; a hand-written peer replays a durable line it had sealed itself.
@Suite(.serialized) final class SealedLinkTests {
    let dir = TempDirectory("sealed")
    let city: LocalCity

    init() throws {
        city = try LocalCity(topology: SampleTopology.load(), directory: dir.path, heartbeat: 0.5)
        #expect(city.waitUntilLinked())
    }

    deinit { city.stopAll() }

    func statusLink(_ child: String) -> [String: Any]? {
        let status = try? API.get(TestTokens.url(city.nodes["city"]!, "/status"))
        return status?.array("children")?.first { $0["id"] as? String == child }
    }

    /// Runs d990103 through a proxy that changes its first connection's lines with `mutate`, then checks the
    /// city refused the line, the link came back, and a case handled below reaches the city exactly once.
    func throughAttacker(_ mutate: @escaping @Sendable (Int, [UInt8]) -> [[UInt8]], expectCode: String) throws {
        let proxy = try LineProxy(upstream: city.nodes["city"]!.meshAddress!, mutate: mutate)
        defer { proxy.close() }
        city.stop("d990103")
        var config = try #require(city.configs["d990103"])
        config.parentAddress = proxy.address
        let district = try MeshNode(config: config, logLevel: .error)
        defer { district.stop() }
        #expect(eventually(timeout: 20) { (self.statusLink("d990103")?["bad_seal_lines"] as? Int ?? 0) >= 1 }, "the city refused the changed line: \(statusLink("d990103") ?? [:])")
        #expect(eventually(timeout: 20) { proxy.connectionCount >= 2 && district.parentLinkState == "up" && self.statusLink("d990103")?["state"] as? String == "up" },
                "the district reconnected with fresh keys")
        #expect(statusLink("d990103")?["sealed"] as? Bool == true)

        // A case dispatched down and accepted at the street comes back up once.
        let receipt = try city.nodes["city"]!.intakeAndWait(.init(channel: .hotline, subject: "楼道堆物", location: .init(address: "西岭区枫林街道"), category: "城乡建设"))
        #expect(eventually(timeout: 20) { (try? self.city.nodes["s990103001"]!.caseWithHistory(receipt.case.id)) != nil })
        _ = try API.post(TestTokens.url(city.nodes["s990103001"]!, "/api/cases/\(receipt.case.id)/accept"), [:])
        #expect(eventually(timeout: 20) { (try? self.city.nodes["city"]!.caseWithHistory(receipt.case.id))??.0.state == .accepted })
        let history = try #require(try city.nodes["city"]!.caseWithHistory(receipt.case.id)).1
        #expect(history.map(\.action.rawValue) == ["created", "dispatched", "accepted"], "each event once: \(history.map(\.action.rawValue))")
        _ = expectCode
    }

    /// The handshake is the first two lines from the child (hello, auth); line 2 is the first sealed one.
    @Test func aTamperedLineIsRefusedAndTheLinkComesBack() throws {
        try throughAttacker({ index, line in
            guard index == 2 else { return [line] }
            var changed = line
            let at = changed.count / 2
            changed[at] = changed[at] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            return [changed]
        }, expectCode: "bad_seal")
    }

    @Test func aReplayedLineIsRefusedAndTheLinkComesBack() throws {
        try throughAttacker({ index, line in index == 2 ? [line, line] : [line] }, expectCode: "bad_seal")
    }

    @Test func anInjectedLineIsRefusedAndTheLinkComesBack() throws {
        try throughAttacker({ index, line in index == 2 ? [Array(#"{"type":"ping"}"#.utf8) + [0x0A], line] : [line] }, expectCode: "not_sealed")
    }

    /// A durable update applied and acknowledged, then its sealed bytes sent again on the same connection:
    /// refused (the counter moved on) and the link dropped; resent legitimately after rejoining, it is
    /// acknowledged and not applied a second time.
    @Test func aReplayedDurableLineIsNotAppliedTwice() throws {
        city.stop("d990103")
        let secret = try #require(city.configs["d990103"]?.parentSecret)
        let receipt = try city.nodes["city"]!.intakeAndWait(.init(channel: .hotline, subject: "楼道堆物", location: .init(address: "西岭区枫林街道"), category: "城乡建设"))
        var peer = try MeshPeer(mesh: city.nodes["city"]!.meshAddress!, child: "d990103", tier: "district", parent: "city", secret: secret,
                                resume: try city.nodes["city"]!.linkFigures("d990103").lastApplied)
        let dispatch = try peer.read(type: "dispatch", ack: false)
        try peer.send(["type": "ack", "seq": dispatch["seq"] as! Int])
        var c = try #require(dispatch["case"] as? [String: Any])
        c["state"] = "accepted"
        let seq = try city.nodes["city"]!.linkFigures("d990103").lastApplied + 1
        let update: [String: Any] = ["type": "update", "seq": seq, "case": c,
                                     "event": ["id": "s990103001-1", "case": receipt.case.id, "at": "2026-12-03T08:00:00.000Z", "node": "s990103001", "actor": "x",
                                               "action": "accepted", "state": "accepted", "holder": "s990103001", "data": [String: String]()]]
        let sealed = try peer.sealed(update)
        try peer.writeRaw(sealed)
        #expect(try peer.read(type: "ack")["seq"] as? Int == seq)
        try peer.writeRaw(sealed)
        let refusal = try peer.read(type: "error")
        #expect(refusal["code"] as? String == "bad_seal" && refusal["fatal"] as? Bool == true, "\(refusal)")
        let next = (try? peer.readLine(timeout: 5)) ?? nil
        #expect(next == nil, "the connection is closed")
        peer.close()

        peer = try MeshPeer(mesh: city.nodes["city"]!.meshAddress!, child: "d990103", tier: "district", parent: "city", secret: secret,
                            resume: try city.nodes["city"]!.linkFigures("d990103").lastApplied)
        try peer.send(update)
        #expect(try peer.read(type: "ack")["seq"] as? Int == seq)
        let history = try #require(try city.nodes["city"]!.caseWithHistory(receipt.case.id)).1
        #expect(history.map(\.action.rawValue) == ["created", "dispatched", "accepted"])
        #expect((statusLink("d990103")?["bad_seal_lines"] as? Int ?? 0) == 1)
        peer.close()
    }
}
