import CivicCases
import CivicStore
import CivicWire
import Foundation

/// The one owner of every link's durable sequence numbers: the next seq to assign outbound, the last one the
/// peer acknowledged, the last one applied from the peer — plus the outbox rows behind them.
/// Domain code never holds a copy of a link's record: it asks this ledger to take a seq, mark one applied
/// or drop acknowledged rows, and each call reads and writes the current record. (A copy held across an
/// apply that itself queued a line to the same peer once wrote a stale `next_out` back and broke a link.)
/// Runs on the store's writer thread, inside the batch's transaction.
final class LinkLedger {
    private let db: Database
    private let codec = MeshCodec()
    private var records: [String: LinkRecord] = [:]
    /// Lines written in the current batch, handed to the link layer after COMMIT.
    private(set) var pendingLines: [OutboxLine] = []

    private let scope: OperationScope

    init(db: Database, scope: OperationScope) throws {
        self.db = db
        self.scope = scope
        for row in try db.query("SELECT peer, next_out, acked_out, applied_in FROM links") {
            records[row.string("peer") ?? ""] = LinkRecord(nextOut: row.int("next_out") ?? 1, ackedOut: row.int("acked_out") ?? 0, appliedIn: row.int("applied_in") ?? 0)
        }
        for row in try db.query("SELECT peer, restored_next_out FROM link_resync") {
            resyncs[row.string("peer") ?? ""] = row.int("restored_next_out") ?? 1
        }
        peersWithLosses = Set(try db.query("SELECT DISTINCT peer FROM restore_losses").compactMap { $0.string("peer") })
    }

    // MARK: - Resync after a restore (docs/protocol.md §3.4)

    /// Links of a node restored from a backup that have not met their peer since: peer → the backup's next seq.
    private var resyncs: [String: Int] = [:]

    /// Sets a restored link right from the peer's handshake figures (ResyncRules): drops what the peer has,
    /// renumbers what was queued since the restore, records the ranges this node lost. Inside one operation.
    func resync(peer: String, peerApplied: Int, peerAcked: Int?, at now: Date) throws -> [RestoreLoss] {
        guard let restoredNextOut = resyncs[peer] else { return [] }
        let current = record(peer)
        let plan: ResyncRules.Plan
        switch ResyncRules.plan(link: .init(nextOut: current.nextOut, ackedOut: current.ackedOut, appliedIn: current.appliedIn),
                                restoredNextOut: restoredNextOut, peerApplied: peerApplied, peerAcked: peerAcked) {
        case .success(let p): plan = p
        case .failure(let refusal): throw ApplyError(code: "resync_refused", message: "cannot resync the link to \(peer): \(refusal)")
        }
        try db.execute("DELETE FROM outbox WHERE peer = ? AND seq < ? AND seq <= ?", [.text(peer), .integer(Int64(restoredNextOut)), .integer(Int64(plan.dropUpTo))])
        if plan.shift > 0 {
            // Highest first, so a moved row never lands on one not yet moved.
            let queued = try db.query("SELECT seq, line FROM outbox WHERE peer = ? AND seq >= ? ORDER BY seq DESC", [.text(peer), .integer(Int64(restoredNextOut))])
            for row in queued {
                let seq = row.int("seq") ?? 0
                guard let line = row["line"].bytes else {
                    // Kept by reference: the seq is all the line takes from its row.
                    try db.execute("UPDATE outbox SET seq = ? WHERE peer = ? AND seq = ?", [.integer(Int64(seq + plan.shift)), .text(peer), .integer(Int64(seq))])
                    continue
                }
                let message: MeshMessage
                do throws(WireError) { message = try codec.decode(line) } catch {
                    throw ApplyError(code: "resync_refused", message: "outbox line \(seq) to \(peer) does not parse: \(error)")
                }
                try db.execute("UPDATE outbox SET seq = ?, line = ? WHERE peer = ? AND seq = ?",
                               [.integer(Int64(seq + plan.shift)), .blob(codec.encode(message.renumbered(seq + plan.shift))), .text(peer), .integer(Int64(seq))])
            }
        }
        // Lines of this batch still to be handed to the link carry the old numbers: the link fetches them again.
        pendingLines.removeAll { $0.peer == peer }
        let losses = plan.losses.map { RestoreLoss($0, notedAt: WireDate.format(now)) }
        for loss in losses {
            try db.execute("INSERT INTO restore_losses(peer, direction, first_seq, last_seq, noted_at) VALUES(?, ?, ?, ?, ?)",
                           [.text(peer), .text(loss.direction), .integer(Int64(loss.first)), .integer(Int64(loss.last)), .text(loss.notedAt)])
        }
        try db.execute("DELETE FROM link_resync WHERE peer = ?", [.text(peer)])
        if !losses.isEmpty, peersWithLosses.insert(peer).inserted {
            scope.onRollback { [unowned self] in _ = peersWithLosses.remove(peer) }
        }
        try update(peer) { $0 = LinkRecord(nextOut: plan.link.nextOut, ackedOut: plan.link.ackedOut, appliedIn: plan.link.appliedIn) }
        let previous = resyncs[peer]
        resyncs[peer] = nil
        scope.onRollback { [unowned self] in resyncs[peer] = previous }
        return losses
    }

    /// Whether a restore left this node without some of what it once had from or for `peer`: such a peer may speak
    /// of cases this node no longer knows (NodeEngine adopts them from the message's header).
    func lostMessages(with peer: String) -> Bool { peersWithLosses.contains(peer) }
    /// Peers with a row in `restore_losses` (read at start, kept by `resync`).
    private var peersWithLosses: Set<String> = []

    private func record(_ peer: String) -> LinkRecord { records[peer] ?? LinkRecord(nextOut: 1, ackedOut: 0, appliedIn: 0) }

    /// How an inbound durable seq relates to what was applied from `peer`.
    enum Inbound: Equatable { case next, duplicate, gap(expected: Int) }

    func classify(inbound seq: Int, from peer: String) -> Inbound {
        let applied = record(peer).appliedIn
        if seq <= applied { return .duplicate }
        return seq == applied + 1 ? .next : .gap(expected: applied + 1)
    }

    func markApplied(_ seq: Int, from peer: String) throws {
        try update(peer) { $0.appliedIn = max($0.appliedIn, seq) }
    }

    /// The largest line the current operation may write; the engine sets it per operation (see NodeEngine).
    var lineBudget = 1 << 20

    /// Writes the next durable message for `peer` into the outbox; `make` builds it around its seq.
    /// A line over the budget is refused here, inside the operation, so the operation rolls back and its
    /// caller hears why — a line the peer would refuse must never reach the outbox, where it would block the link.
    /// A line made wholly of stored JSON (the case's body as this operation made it, each event's body as stored)
    /// is kept by reference (`OutboxReference`); any other line is kept whole.
    func enqueue(to peer: String, storedEvent: (String) -> [UInt8]? = { _ in nil }, caseBody: [UInt8]? = nil,
                 _ make: (Int) -> MeshMessage) throws {
        let seq = record(peer).nextOut
        let message = make(seq)
        let line = codec.encode(message, storedEvent: storedEvent, caseBody: caseBody)
        guard line.count <= lineBudget else {
            throw CaseRuleError(.tooLong, field: "case", "the case with its history would be a \(line.count)-byte mesh message to \(peer); the mesh carries at most \(lineBudget) here (max_line_bytes)")
        }
        if let caseBody, let reference = OutboxReference(message, splicing: storedEvent) {
            try db.execute("INSERT INTO outbox(peer, seq, kind, case_id, events) VALUES(?, ?, ?, ?, ?)",
                           [.text(peer), .integer(Int64(seq)), .text(reference.kind.rawValue), .text(reference.caseId), .utf8Text(reference.eventIdsJSON)])
            operationReferences.append(.init(peer: peer, seq: seq, caseId: reference.caseId, caseBody: caseBody, line: line))
        } else {
            try db.execute("INSERT INTO outbox(peer, seq, line) VALUES(?, ?, ?)", [.text(peer), .integer(Int64(seq)), .blob(line)])
        }
        try update(peer) { $0.nextOut = seq + 1 }
        pendingLines.append(OutboxLine(peer: peer, seq: seq, line: line))
        scope.onRollback { [unowned self] in _ = pendingLines.popLast() }
    }

    // MARK: - Lines kept by reference

    /// Lines this operation kept by reference, with the case body each carries and the line itself. Their case
    /// rows are written at the end of the operation (`CaseRowProjection`), maybe with another body than the line's
    /// (a later event of the same operation moved the case again): `caseRowWillChange` keeps those lines whole.
    private struct OperationReference { var peer: String; var seq: Int; var caseId: String; var caseBody: [UInt8]; var line: [UInt8] }
    private var operationReferences: [OperationReference] = []

    func beginOperation() { operationReferences.removeAll(keepingCapacity: true) }

    /// A case row is about to take `body` (the case row projection, or a replay). A line kept by reference must
    /// read back as it was sent, so before the row changes every unacknowledged line that refers to it is
    /// written out whole: an earlier operation's from the row as it still is, this operation's from memory unless
    /// the row gets exactly the body it carries. Only rows found by the partial index `outbox_by_case`.
    func caseRowWillChange(_ caseId: String, to body: [UInt8]) throws {
        // This operation's lines for the case are settled here, whatever the rows say; those left at the end are not.
        let mine = operationReferences.filter { $0.caseId == caseId }
        operationReferences.removeAll { $0.caseId == caseId }
        let referring = try db.query("SELECT peer, seq, kind, events FROM outbox WHERE case_id = ? AND line IS NULL", [.text(caseId)])
        guard !referring.isEmpty else { return }
        var storedBody: [UInt8]?
        for row in referring {
            let peer = row.string("peer") ?? "", seq = row.int("seq") ?? 0
            let line: [UInt8]
            if let mine = mine.first(where: { $0.peer == peer && $0.seq == seq }) {
                if mine.caseBody == body { continue }
                line = mine.line
            } else {
                if storedBody == nil { storedBody = try storedCaseBody(caseId) }
                if storedBody == body { continue }
                line = try rebuild(peer: peer, seq: seq, row: row, caseId: caseId, caseBody: storedBody)
            }
            try keepWhole(peer: peer, seq: seq, line)
        }
    }

    /// Replaces an outbox row's reference by the line itself.
    private func keepWhole(peer: String, seq: Int, _ line: [UInt8]) throws {
        try db.execute("UPDATE outbox SET line = ?, kind = NULL, case_id = NULL, events = NULL WHERE peer = ? AND seq = ?",
                       [.blob(line), .text(peer), .integer(Int64(seq))])
    }

    /// A case row's body as stored, nil when there is no row.
    private func storedCaseBody(_ caseId: String) throws -> [UInt8]? {
        try db.queryOne("SELECT body FROM cases WHERE id = ?", [.text(caseId)])?.string("body").map { Array($0.utf8) }
    }

    /// After the operation's case rows are written: a line whose case row was not (none is expected: a line's case
    /// is always one the operation moved) is kept whole, as nothing then vouches for the row holding its body.
    func finishOperation() throws {
        for reference in operationReferences { try keepWhole(peer: reference.peer, seq: reference.seq, reference.line) }
        operationReferences.removeAll(keepingCapacity: true)
    }

    /// The line an outbox row refers to, from the case row and the event rows it names.
    private func rebuild(peer: String, seq: Int, row: Row, caseId: String, caseBody known: [UInt8]? = nil) throws -> [UInt8] {
        func broken(_ why: String) -> ApplyError { ApplyError(code: "outbox_reference", message: "outbox line \(seq) to \(peer) refers to \(why)") }
        guard let kind = row.string("kind").flatMap(MeshCodec.DurableKind.init(rawValue:)) else { throw broken("no known kind of message") }
        guard let caseBody = try known ?? storedCaseBody(caseId) else {
            throw broken("case \(caseId), which is not stored")
        }
        let ids: [String]
        do throws(JSONReadError) {
            ids = try Array((row.string("events") ?? "").utf8).withUnsafeBufferPointer { buffer throws(JSONReadError) in
                try JSONReader.read(buffer) { (r: inout JSONReader) throws(JSONReadError) in try r.stringArray() }
            }
        } catch { throw broken("events it cannot name (\(error.problem))") }
        let eventBodies = try ids.map { id in
            guard let body = try db.queryOne("SELECT body FROM events WHERE id = ?", [.text(id)])?.string("body") else { throw broken("event \(id), which is not stored") }
            return Array(body.utf8)
        }
        return MeshCodec.durableLine(kind, seq: seq, caseBody: caseBody, eventBodies: eventBodies)
    }

    /// The peer has everything up to `seq`: forget those outbox rows.
    func acknowledge(peer: String, upTo seq: Int) throws {
        let current = record(peer)
        guard records[peer] != nil, seq > current.ackedOut else { return }
        let acked = min(seq, current.nextOut - 1)
        try db.execute("DELETE FROM outbox WHERE peer = ? AND seq <= ?", [.text(peer), .integer(Int64(acked))])
        try update(peer) { $0.ackedOut = acked }
    }

    /// Unacknowledged lines after `seq`, as they were sent (rebuilt from the rows they refer to, or kept whole).
    func outbox(peer: String, after seq: Int, limit: Int) throws -> [OutboxLine] {
        try db.query("SELECT seq, line, kind, case_id, events FROM outbox WHERE peer = ? AND seq > ? ORDER BY seq LIMIT ?",
                     [.text(peer), .integer(Int64(seq)), .integer(Int64(limit))]).map { row in
            let seq = row.int("seq") ?? 0
            if let line = row["line"].bytes { return OutboxLine(peer: peer, seq: seq, line: line) }
            return OutboxLine(peer: peer, seq: seq, line: try rebuild(peer: peer, seq: seq, row: row, caseId: row.string("case_id") ?? ""))
        }
    }

    func figures(_ peer: String) -> LinkFigures {
        let link = record(peer)
        return LinkFigures(lastAssigned: link.nextOut - 1, lastAcked: link.ackedOut, lastApplied: link.appliedIn, needsResync: resyncs[peer] != nil)
    }

    /// Changes the record in memory; its row is written once per batch (`flushBatch`, inside the batch's
    /// transaction before COMMIT), so a batch of twelve applies costs one `links` write per peer, not twelve.
    private func update(_ peer: String, _ change: (inout LinkRecord) -> Void) throws {
        let previous = records[peer]
        var link = record(peer)
        change(&link)
        records[peer] = link
        // A rolled-back operation restores the record; the peer may stay marked (rewriting its row is harmless).
        dirty.insert(peer)
        scope.onRollback { [unowned self] in records[peer] = previous }
    }

    /// Peers whose record changed since the last flush.
    private var dirty: Set<String> = []

    func flushBatch() throws {
        for peer in dirty {
            let link = record(peer)
            try db.execute("""
                INSERT INTO links(peer, next_out, acked_out, applied_in) VALUES(?, ?, ?, ?)
                ON CONFLICT(peer) DO UPDATE SET next_out = excluded.next_out, acked_out = excluded.acked_out, applied_in = excluded.applied_in
                """, [.text(peer), .integer(Int64(link.nextOut)), .integer(Int64(link.ackedOut)), .integer(Int64(link.appliedIn))])
        }
        dirty.removeAll(keepingCapacity: true)
    }

    /// After COMMIT: the batch's new lines, once.
    func drainPendingLines() -> [OutboxLine] {
        defer { pendingLines = [] }
        return pendingLines
    }
}

/// What an outbox row keeps instead of a line made wholly of stored JSON: the kind of message, its case and its
/// events by id. The seq is the row's own; the case's body and the events' bodies are read back from their rows.
struct OutboxReference {
    var kind: MeshCodec.DurableKind
    var caseId: String
    var eventIds: [String]

    /// Nil unless `message` is a dispatch or an update every event of which `storedEvent` gives stored bytes for
    /// (the case body is the caller's to vouch for).
    init?(_ message: MeshMessage, splicing storedEvent: (String) -> [UInt8]?) {
        switch message {
        case .dispatch(let m): (kind, caseId, eventIds) = (.dispatch, m.case.id, m.events.map(\.id))
        case .update(let m): (kind, caseId, eventIds) = (.update, m.case.id, [m.event.id])
        default: return nil
        }
        guard eventIds.allSatisfy({ storedEvent($0) != nil }) else { return nil }
    }

    /// The `events` column: the ids as a JSON array.
    var eventIdsJSON: [UInt8] {
        var w = JSONWriter(capacity: 16 + eventIds.reduce(0) { $0 + $1.utf8.count + 3 })
        w.beginArray()
        for id in eventIds { w.string(id) }
        w.endArray()
        return w.bytes
    }
}
