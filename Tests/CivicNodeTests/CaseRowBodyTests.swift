import CivicCases
import CivicStore
import CivicWire
import Foundation
import TestSupport
import Testing
@testable import CivicNode

/// The case row stores the JSON a mesh line already made for the case only while the case is still that value
/// at the end of the operation; a case moved again after the line is encoded afresh.
@Suite struct CaseRowBodyTests {
    func setUp() throws -> (TempDirectory, Database, CaseRowProjection, Case, CaseEvent) {
        let dir = TempDirectory("case-row-body")
        let db = try Database(path: dir.file("node.sqlite"))
        try db.migrate(Schema.migrations)
        let at = WireDate.parse("2026-11-30T01:00:00.000Z")!
        let c = Case(id: "JC-20261130-000001", channel: .hotline, citizen: Citizen(name: "张三", phone: "13800000000"), subject: "路灯不亮",
                     detail: "湖滨街道某路路灯不亮", location: Location(address: "东湖区湖滨街道某路", division: nil), intake: "city", createdAt: at,
                     state: .dispatched, holder: "s990101001")
        let e = CaseEvent(id: "city-2", caseId: c.id, at: at, node: "city", actor: "system", action: .dispatched, state: .dispatched, holder: c.holder)
        return (dir, db, CaseRowProjection(db: db, links: try LinkLedger(db: db, scope: OperationScope())), c, e)
    }

    func storedBody(_ db: Database, _ id: String) throws -> String? { try db.queryOne("SELECT body FROM cases WHERE id = ?", [.text(id)])?.string("body") }

    @Test func theLinesBodyIsStoredWhenTheCaseIsStillTheSame() throws {
        let (_, db, rows, c, e) = try setUp()
        // A stand-in body, unlike what the writer makes, proves which one was stored.
        let lineBody = Array(#"{"made":"for the line"}"#.utf8)
        rows.beginOperation()
        try rows.apply(e, before: nil, after: c)
        rows.remember(c, body: lineBody)
        try rows.finishOperation()
        #expect(try storedBody(db, c.id) == #"{"made":"for the line"}"#)
    }

    @Test func aCaseMovedAfterTheLineIsEncodedAfresh() throws {
        let (_, db, rows, c, e) = try setUp()
        rows.beginOperation()
        try rows.apply(e, before: nil, after: c)
        rows.remember(c, body: Array(#"{"made":"for the line"}"#.utf8))
        var moved = c
        moved.state = .accepted
        try rows.apply(e, before: c, after: moved)
        try rows.finishOperation()
        #expect(try storedBody(db, c.id) == String(decoding: WireJSON.bytes(moved), as: UTF8.self))
    }

    @Test func aBodyRememberedInAnEarlierOperationIsNotUsed() throws {
        let (_, db, rows, c, e) = try setUp()
        rows.beginOperation()
        rows.remember(c, body: Array(#"{"made":"for the line"}"#.utf8))
        try rows.finishOperation()  // an operation that failed before its row, or wrote none
        rows.beginOperation()
        try rows.apply(e, before: nil, after: c)
        try rows.finishOperation()
        #expect(try storedBody(db, c.id) == String(decoding: WireJSON.bytes(c), as: UTF8.self))
    }
}
