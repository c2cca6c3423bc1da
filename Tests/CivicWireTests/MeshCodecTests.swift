import CivicCases
import CivicWire
import Foundation
import Testing

@Suite struct MeshCodecTests {
    let codec = MeshCodec()

    func sample() -> (Case, CaseEvent) {
        let at = WireDate.parse("2026-11-21T06:24:00.123Z")!
        let c = Case(id: "JC-20261121-000001", channel: .wechat, citizen: Citizen(name: "李四", phone: "13900000000"), subject: "噪音扰民",
                     detail: "晚上\n施工", location: Location(address: "东湖区湖滨街道", division: nil), intake: "city", createdAt: at,
                     state: .dispatched, holder: "s1")
        let e = CaseEvent(id: "city-2", caseId: c.id, at: at, node: "city", actor: "system", action: .dispatched, state: .dispatched,
                          holder: "s1", note: "address matched", data: [.reason: "address matched"], lists: [.route: ["city", "d1", "s1"]])
        return (c, e)
    }

    @Test func everyMessageRoundTripsAsOneLine() throws {
        let (c, e) = sample()
        let messages: [MeshMessage] = [
            .hello(Hello(node: "d1", tier: .district, nonce: "00112233445566778899aabbccddeeff")),
            .challenge(Challenge(node: "city", nonce: "ff", proof: "ab")),
            .auth(Auth(proof: "cd", resume: 4)), .welcome(Welcome(resume: 9, heartbeat: 1)),
            .error(ErrorMessage(code: "bad_proof", message: "no", fatal: true, seq: nil)), .ping, .pong, .ack(Ack(seq: 17)),
            .dispatch(Dispatch(seq: 3, case: c, events: [e])), .update(Update(seq: 4, case: c, event: e)),
            .summary(Summary(node: "d1", at: e.at, counters: CounterSet(), children: [ChildSummary(id: "s1", state: "up", subtree: nil)])),
        ]
        for m in messages {
            let line = codec.encode(m)
            #expect(line.last == 0x0A)
            #expect(!line.dropLast().contains(0x0A), "a message must be exactly one line: \(m.type)")
            #expect(try codec.decode(Array(line.dropLast())) == m)
        }
    }

    @Test func eventListsTravelAsJSONArraysAndAreOptional() throws {
        let (_, e) = sample()
        let json = try #require(try JSONSerialization.jsonObject(with: WireJSON.encoder().encode(e)) as? [String: Any])
        #expect(json["lists"] as? [String: [String]] == ["route": ["city", "d1", "s1"]])
        #expect(json["data"] as? [String: String] == ["reason": "address matched"])
        // An event from a peer that predates lists, and one without any, have none; an empty list is never sent.
        let old = #"{"id":"d1-1","case":"X","at":"2026-11-21T06:24:00.123Z","node":"d1","action":"accepted","state":"accepted","holder":"s1","data":{}}"#
        let decoded = try WireJSON.decoder().decode(CaseEvent.self, from: Data(old.utf8))
        #expect(decoded[.route] == [] && decoded.lists.isEmpty)
        var bare = decoded
        bare[.candidates] = []
        let bareJSON = String(decoding: try WireJSON.encoder().encode(bare), as: UTF8.self)
        #expect(!bareJSON.contains("lists"), "\(bareJSON)")
    }

    @Test func badLinesNameWhatWasWrong() {
        #expect(throws: WireError.self) { try codec.decode(Array("not json".utf8)) }
        do { _ = try codec.decode(Array(#"{"type":"teleport"}"#.utf8)); Issue.record("unknown type accepted") } catch {
            #expect(error == .unknownType("teleport") && error.code == "unknown_type")
        }
        do { _ = try codec.decode(Array(#"{"seq":1}"#.utf8)); Issue.record("missing type accepted") } catch { #expect(error == .missingType) }
        do { _ = try codec.decode(Array(#"{"type":"ack","seq":"seven"}"#.utf8)); Issue.record("wrong type accepted") } catch {
            #expect(error.code == "invalid_message" && error.description.contains("seq"))
        }
        do { _ = try codec.decode(Array(#"{"type":"hello","v":1,"tier":"street","nonce":"aa"}"#.utf8)); Issue.record("missing node accepted") } catch {
            #expect(error.description.contains("missing field \"node\""))
        }
    }

    @Test func datesKeepMillisecondsAndAcceptOffsets() {
        let d = WireDate.parse("2026-11-21T06:24:00.123Z")!
        #expect(WireDate.format(d) == "2026-11-21T06:24:00.123Z")
        #expect(WireDate.parse("2026-11-21T14:24:00.123+08:00") == d)
        #expect(WireDate.parse("2026-13-21T06:24:00Z") == nil && WireDate.parse("yesterday") == nil)
    }

    @Test func proofsDependOnRoleSecretAndBothNonces() {
        let base = HandshakeProof.make(role: "child", secret: "s3cret-s3cret-s3cret", child: "d1", parent: "city", childNonce: "aa", parentNonce: "bb")
        #expect(HandshakeProof.verify(base, role: "child", secret: "s3cret-s3cret-s3cret", child: "d1", parent: "city", childNonce: "aa", parentNonce: "bb"))
        #expect(!HandshakeProof.verify(base, role: "parent", secret: "s3cret-s3cret-s3cret", child: "d1", parent: "city", childNonce: "aa", parentNonce: "bb"))
        #expect(!HandshakeProof.verify(base, role: "child", secret: "other-secret-000000", child: "d1", parent: "city", childNonce: "aa", parentNonce: "bb"))
        #expect(!HandshakeProof.verify(base, role: "child", secret: "s3cret-s3cret-s3cret", child: "d1", parent: "city", childNonce: "aa", parentNonce: "cc"))
        // The worked example of docs/protocol.md §2; expected values computed independently with python3 hmac.
        let parentProof = HandshakeProof.make(role: "parent", secret: "0123456789abcdef0123456789abcdef", child: "d1", parent: "city",
                                              childNonce: "00112233445566778899aabbccddeeff", parentNonce: "ffeeddccbbaa99887766554433221100")
        let childProof = HandshakeProof.make(role: "child", secret: "0123456789abcdef0123456789abcdef", child: "d1", parent: "city",
                                             childNonce: "00112233445566778899aabbccddeeff", parentNonce: "ffeeddccbbaa99887766554433221100")
        #expect(parentProof == "ea9e66c31e9155fa941cc6e6560b860fd4132569dad4f98b89623d782fbf2a4a")
        #expect(childProof == "449cb0bc227aae1bcb6f834349195cf14336b07730bdd0af36fd81f36d7f1676")
    }
}
