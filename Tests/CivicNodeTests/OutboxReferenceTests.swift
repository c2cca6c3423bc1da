import CivicCases
import CivicStore
import CivicWire
import Foundation
import TestSupport
import Testing
@testable import CivicNode

/// An outbox row keeps a dispatch or an update by reference (its kind, case and events) when the line is made
/// wholly of stored JSON, and the line it reads back is always the line that was sent: also when the case moves
/// before the peer acknowledges it, after a restart, and when the operation's case row ends with another body.
@Suite struct OutboxReferenceTests {
    static let draft = CaseDraft(channel: .hotline, subject: "路灯不亮", detail: "小区门口的路灯已经坏了两个星期", location: Location(address: "东湖区湖滨街道梨花路12号"),
                                 category: "城乡建设")

    /// (seq, kept whole?, kind) of every outbox row of `node` towards `peer`.
    func rows(_ mesh: EngineMesh, _ node: String, to peer: String) throws -> [String] {
        let db = try Database(path: mesh.dir.file("\(node).sqlite"), readOnly: true)
        defer { db.close() }
        return try db.query("SELECT seq, line IS NOT NULL AS whole, kind FROM outbox WHERE peer = ? ORDER BY seq", [.text(peer)]).map {
            "\($0.int("seq") ?? -1):\($0.int("whole") == 1 ? "whole" : $0.string("kind") ?? "?")"
        }
    }

    @Test func aDispatchIsKeptByReferenceAndReadsBackAsItWasSent() throws {
        let mesh = try EngineMesh()
        let (_, lines) = try mesh.engine("city").intake(Self.draft, at: mesh.clock.now())
        let sent = lines.filter { $0.peer == "d990101" }
        #expect(sent.count == 1)
        #expect(try rows(mesh, "city", to: "d990101") == ["1:dispatch"], "no copy of the line")
        #expect(try mesh.engine("city").unacknowledged(to: "d990101") == sent, "rebuilt byte for byte")
        try mesh.restart("city")
        #expect(try mesh.engine("city").unacknowledged(to: "d990101") == sent, "and after a restart")
        // The district keeps its dispatch to the street by reference too (the city's JSON spliced as it came).
        let (_, down) = try mesh.engine("d990101").receive(sent[0].line, from: "city", at: mesh.clock.now())
        let toStreet = down.filter { $0.peer == "s990101001" }
        #expect(toStreet.count == 1)
        #expect(try rows(mesh, "d990101", to: "s990101001") == ["1:dispatch"])
        #expect(try mesh.engine("d990101").unacknowledged(to: "s990101001") == toStreet)
    }

    /// Fails without `caseRowWillChange`: the first line would be rebuilt around the case as it is now.
    @Test func aLineWhoseCaseMovesBeforeItIsAcknowledgedStillReadsBackAsItWasSent() throws {
        let mesh = try EngineMesh()
        let (receipt, first) = try mesh.engine("city").intake(Self.draft, at: mesh.clock.now())
        let dispatch = try #require(first.first { $0.peer == "d990101" })
        mesh.clock.advance(by: 600)
        // Before the district acknowledges the dispatch, the city supervises the case: its row changes.
        let (_, second) = try mesh.engine("city").perform(.supervise(note: "请尽快处理", answerBy: nil), on: receipt.case.id, actor: "operator", at: mesh.clock.now())
        let update = try #require(second.first { $0.peer == "d990101" })
        #expect(try mesh.engine("city").unacknowledged(to: "d990101") == [dispatch, update])
        #expect(try rows(mesh, "city", to: "d990101") == ["1:whole", "2:update"], "the dispatch written out whole before the row moved")
        // Both still apply at the district, in order, and then leave the outbox.
        for line in [dispatch, update] {
            _ = try mesh.engine("d990101").receive(line.line, from: "city", at: mesh.clock.now())
            try mesh.engine("city").acknowledge(peer: "d990101", upTo: line.seq)
        }
        #expect(try rows(mesh, "city", to: "d990101").isEmpty)
        #expect(try mesh.stateAt("d990101", receipt.case.id) == "dispatched@s990101001")
    }

    @Test func aReplayOfTheLogKeepsTheUnacknowledgedLinesAsSent() throws {
        let mesh = try EngineMesh()
        let (_, lines) = try mesh.engine("city").intake(Self.draft, at: mesh.clock.now())
        let sent = lines.filter { $0.peer == "d990101" }
        try mesh.engine("city").rebuildProjections()
        #expect(try mesh.engine("city").unacknowledged(to: "d990101") == sent)
    }

    // MARK: - The ledger's rule, on its own

    func ledger() throws -> (TempDirectory, Database, LinkLedger, Case, CaseEvent, [UInt8]) {
        let dir = TempDirectory("outboxref")
        let db = try Database(path: dir.file("node.sqlite"), synchronousFull: false)
        try db.migrate(Schema.migrations)
        let ledger = try LinkLedger(db: db, scope: OperationScope())
        let c = Case(id: "JC-1", channel: .hotline, citizen: Citizen(), subject: "路灯不亮", detail: "", location: Location(), category: nil, requestType: nil,
                     intake: "city", createdAt: Date(timeIntervalSince1970: 1_790_000_000), state: CaseState("dispatched"), holder: "d1", attributes: TextMap())
        let e = CaseEvent(id: "city-1", caseId: c.id, at: c.createdAt, node: "city", actor: "system", action: CaseAction("dispatched"), state: c.state, holder: "d1", note: nil)
        let eventBody = WireJSON.bytes(e)
        try db.execute("INSERT INTO events(id, case_id, body) VALUES(?, ?, ?)", [.text(e.id), .text(c.id), .utf8Text(eventBody)])
        try db.execute("INSERT INTO cases(id, state, holder, created_at, updated_at, body) VALUES(?, 'dispatched', 'd1', 't', 't', ?)", [.text(c.id), .utf8Text(WireJSON.bytes(c))])
        return (dir, db, ledger, c, e, eventBody)
    }

    func queueUpdate(_ ledger: LinkLedger, _ c: Case, _ e: CaseEvent, _ eventBody: [UInt8]) throws -> [UInt8] {
        try ledger.enqueue(to: "d1", storedEvent: { $0 == e.id ? eventBody : nil }, caseBody: WireJSON.bytes(c)) { .update(Update(seq: $0, case: c, event: e)) }
        return try #require(ledger.drainPendingLines().first?.line)
    }

    @Test func aLineWhoseCaseRowEndsTheOperationWithAnotherBodyIsKeptWhole() throws {
        let (dir, db, ledger, c, e, eventBody) = try ledger()
        _ = dir
        defer { db.close() }
        ledger.beginOperation()
        let line = try queueUpdate(ledger, c, e, eventBody)
        var moved = c
        moved.subject = "路灯不亮（已督办）"
        try ledger.caseRowWillChange(c.id, to: WireJSON.bytes(moved))
        try db.execute("UPDATE cases SET body = ? WHERE id = ?", [.utf8Text(WireJSON.bytes(moved)), .text(c.id)])
        try ledger.finishOperation()
        #expect(try db.scalarInt("SELECT count(*) FROM outbox WHERE line IS NOT NULL") == 1)
        #expect(try ledger.outbox(peer: "d1", after: 0, limit: 10).map(\.line) == [line])
    }

    @Test func aLineWhoseCaseRowTheOperationNeverWroteIsKeptWhole() throws {
        let (dir, db, ledger, c, e, eventBody) = try ledger()
        _ = dir
        defer { db.close() }
        ledger.beginOperation()
        let line = try queueUpdate(ledger, c, e, eventBody)
        try ledger.finishOperation()
        #expect(try db.scalarInt("SELECT count(*) FROM outbox WHERE line IS NOT NULL") == 1)
        #expect(try ledger.outbox(peer: "d1", after: 0, limit: 10).map(\.line) == [line])
    }

    @Test func aLineWhoseCaseRowGetsItsBodyStaysAReference() throws {
        let (dir, db, ledger, c, e, eventBody) = try ledger()
        _ = dir
        defer { db.close() }
        ledger.beginOperation()
        let line = try queueUpdate(ledger, c, e, eventBody)
        try ledger.caseRowWillChange(c.id, to: WireJSON.bytes(c))
        try ledger.finishOperation()
        #expect(try db.scalarInt("SELECT count(*) FROM outbox WHERE line IS NULL AND kind = 'update'") == 1)
        #expect(try ledger.outbox(peer: "d1", after: 0, limit: 10).map(\.line) == [line])
        // A row that refers to an event that is gone says so instead of sending something else.
        try db.execute("DELETE FROM events")
        #expect(throws: ApplyError.self) { try ledger.outbox(peer: "d1", after: 0, limit: 10) }
    }

    @Test func aLineFromBeforeTheMigrationIsKeptAndARowWithNeitherLineNorReferenceIsRefused() throws {
        let dir = TempDirectory("outboxmigrate")
        let path = dir.file("node.sqlite")
        do {
            let db = try Database(path: path, synchronousFull: false)
            try db.migrate(Array(Schema.migrations.prefix { $0.name != "outbox rows by reference" }))
            try db.execute("INSERT INTO outbox(peer, seq, line) VALUES('d1', 7, ?)", [.blob(Array("{\"seq\":7}\n".utf8))])
            db.close()
        }
        let db = try Database(path: path, synchronousFull: false)
        defer { db.close() }
        try db.migrate(Schema.migrations)
        #expect(try db.queryOne("SELECT line FROM outbox WHERE peer = 'd1' AND seq = 7")?["line"].bytes == Array("{\"seq\":7}\n".utf8))
        #expect(throws: (any Error).self) { try db.execute("INSERT INTO outbox(peer, seq, case_id) VALUES('d1', 8, 'JC-1')") }
    }
}
