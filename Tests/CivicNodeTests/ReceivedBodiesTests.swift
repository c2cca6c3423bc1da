import CivicCases
import CivicStore
import CivicWire
import Foundation
import TestSupport
import Testing
@testable import CivicNode

/// A node stores a peer's event and case JSON as the line carried them when the fast reader took the line (keys
/// in order, none repeated), and forwards them so; a line it reads the long way is stored as this node writes it.
@Suite struct ReceivedBodiesTests {
    /// The city's dispatch of a new case to the district, with `edit` applied to its text.
    func dispatchToDistrict(_ mesh: EngineMesh, _ edit: (String) -> String) throws -> (line: [UInt8], caseId: String) {
        let draft = CaseDraft(channel: .hotline, subject: "路灯不亮", location: Location(address: "东湖区湖滨街道"), category: "城乡建设")
        let (receipt, lines) = try mesh.engine("city").intake(draft, at: mesh.clock.now())
        let line = try #require(lines.first { $0.peer == "d990101" })
        return (Array(edit(String(decoding: line.line, as: UTF8.self)).utf8), receipt.case.id)
    }

    func storedEventBodies(_ mesh: EngineMesh, _ node: String, _ caseId: String) throws -> [String] {
        let db = try Database(path: mesh.dir.file("\(node).sqlite"), readOnly: true)
        defer { db.close() }
        return try db.query("SELECT body FROM events WHERE case_id = ? ORDER BY ord", [.text(caseId)]).compactMap { $0.string("body") }
    }

    @Test func aFieldFromANewerReleaseIsKeptAndPassedOn() throws {
        let mesh = try EngineMesh()
        // "zz_extra" sorts after every key of an event: the line is still in order.
        let (line, caseId) = try dispatchToDistrict(mesh) { $0.replacingOccurrences(of: #""state":"pending"}"#, with: #""state":"pending","zz_extra":"newer"}"#) }
        #expect(String(decoding: line, as: UTF8.self).contains("zz_extra"))
        let (_, down) = try mesh.engine("d990101").receive(line, from: "city", at: mesh.clock.now())
        #expect(try storedEventBodies(mesh, "d990101", caseId).contains { $0.contains(#""zz_extra":"newer""#) }, "stored as it came")
        let toStreet = try #require(down.first { $0.peer == "s990101001" })
        #expect(String(decoding: toStreet.line, as: UTF8.self).contains(#""zz_extra":"newer""#), "forwarded as it came")
        _ = try mesh.engine("s990101001").receive(toStreet.line, from: "d990101", at: mesh.clock.now())
        #expect(try storedEventBodies(mesh, "s990101001", caseId).contains { $0.contains("zz_extra") })
        // And the case itself is the same at every tier as the city has it.
        let atCity = try #require(try mesh.caseAt("city", caseId)).0, atStreet = try #require(try mesh.caseAt("s990101001", caseId)).0
        #expect(atStreet.subject == atCity.subject && atStreet.holder == "s990101001")
    }

    @Test func aLineReadTheLongWayIsStoredAsThisNodeWritesIt() throws {
        let mesh = try EngineMesh()
        // "aaa_extra" after "state" is out of order: the fast reader declines, Foundation reads the line.
        let (line, caseId) = try dispatchToDistrict(mesh) { $0.replacingOccurrences(of: #""state":"pending"}"#, with: #""state":"pending","aaa_extra":"x"}"#) }
        #expect(try MeshCodec().decodeKeepingBodies(line).bodies == nil, "read the long way")
        _ = try mesh.engine("d990101").receive(line, from: "city", at: mesh.clock.now())
        let stored = try storedEventBodies(mesh, "d990101", caseId)
        #expect(stored.count >= 2 && !stored.contains { $0.contains("aaa_extra") })
        let (_, history) = try #require(try mesh.caseAt("d990101", caseId))
        #expect(stored.prefix(history.count).elementsEqual(history.map { String(decoding: WireJSON.bytes($0), as: UTF8.self) }))
    }

    @Test func theBodiesAreTheLinesBytesAndEqualWhatThisWriterWrites() throws {
        let mesh = try EngineMesh()
        let (line, _) = try dispatchToDistrict(mesh) { $0 }
        let (message, bodies) = try MeshCodec().decodeKeepingBodies(line)
        guard case .dispatch(let d) = message, let bodies else { Issue.record("a dispatch read by the fast reader"); return }
        #expect(bodies.caseJSON == WireJSON.bytes(d.case))
        #expect(bodies.eventsJSON == d.events.map(WireJSON.bytes))
    }
}
