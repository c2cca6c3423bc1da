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

    /// A ledger on a fresh node database holding one case row and one event, and the update line it queues for them.
    final class LedgerFixture {
        let dir = TempDirectory("outboxref")
        let db: Database
        let ledger: LinkLedger
        let c = Case(id: "JC-1", channel: .hotline, citizen: Citizen(), subject: "路灯不亮", detail: "", location: Location(), intake: "city",
                     createdAt: Date(timeIntervalSince1970: 1_790_000_000), state: .dispatched, holder: "d1")
        let event: CaseEvent
        let eventBody: [UInt8]

        init() throws {
            db = try Database(path: dir.file("node.sqlite"), synchronousFull: false)
            try db.migrate(Schema.migrations)
            ledger = try LinkLedger(db: db, scope: OperationScope())
            event = CaseEvent(id: "city-1", caseId: c.id, at: c.createdAt, node: "city", actor: "system", action: .dispatched, state: c.state, holder: "d1")
            eventBody = WireJSON.bytes(event)
            try db.execute("INSERT INTO events(id, case_id, body) VALUES(?, ?, ?)", [.text(event.id), .text(c.id), .utf8Text(eventBody)])
            try db.execute("INSERT INTO cases(id, state, holder, created_at, updated_at, body) VALUES(?, 'dispatched', 'd1', 't', 't', ?)",
                           [.text(c.id), .utf8Text(WireJSON.bytes(c))])
        }
        deinit { db.close() }

        /// Begins an operation and queues an update of the case to "d1" by reference; the line as sent.
        func queueUpdate() throws -> [UInt8] {
            ledger.beginOperation()
            let (c, event, eventBody) = (c, event, eventBody)
            try ledger.enqueue(to: "d1", storedEvent: { $0 == event.id ? eventBody : nil }, caseBody: WireJSON.bytes(c)) { .update(Update(seq: $0, case: c, event: event)) }
            return try #require(ledger.drainPendingLines().first?.line)
        }

        func wholeRows() throws -> Int? { try db.scalarInt("SELECT count(*) FROM outbox WHERE line IS NOT NULL") }
        func readBack() throws -> [[UInt8]] { try ledger.outbox(peer: "d1", after: 0, limit: 10).map(\.line) }
    }

    @Test func aLineWhoseCaseRowEndsTheOperationWithAnotherBodyIsKeptWhole() throws {
        let f = try LedgerFixture()
        let line = try f.queueUpdate()
        var moved = f.c
        moved.subject = "路灯不亮（已督办）"
        try f.ledger.caseRowWillChange(f.c.id, to: WireJSON.bytes(moved))
        try f.db.execute("UPDATE cases SET body = ? WHERE id = ?", [.utf8Text(WireJSON.bytes(moved)), .text(f.c.id)])
        try f.ledger.finishOperation()
        #expect(try f.wholeRows() == 1)
        #expect(try f.readBack() == [line])
    }

    @Test func aLineWhoseCaseRowTheOperationNeverWroteIsKeptWhole() throws {
        let f = try LedgerFixture()
        let line = try f.queueUpdate()
        try f.ledger.finishOperation()
        #expect(try f.wholeRows() == 1)
        #expect(try f.readBack() == [line])
    }

    @Test func aLineWhoseCaseRowGetsItsBodyStaysAReference() throws {
        let f = try LedgerFixture()
        let line = try f.queueUpdate()
        try f.ledger.caseRowWillChange(f.c.id, to: WireJSON.bytes(f.c))
        try f.ledger.finishOperation()
        #expect(try f.db.scalarInt("SELECT count(*) FROM outbox WHERE line IS NULL AND kind = 'update'") == 1)
        #expect(try f.readBack() == [line])
        // A row that refers to an event that is gone says so instead of sending something else.
        try f.db.execute("DELETE FROM events")
        #expect(throws: ApplyError.self) { try f.readBack() }
    }
}
