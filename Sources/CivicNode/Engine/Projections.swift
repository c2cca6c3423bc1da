import CivicCases
import CivicStore
import CivicWire
import Foundation

/// A read model kept from the event log: the engine records an event once and hands it to every projection,
/// each owning its tables (and any in-memory mirror, which registers its undo with the operation scope).
/// Each can be rebuilt by replaying the `events` table (`NodeEngine.rebuildProjections`). Later: the
/// deadline index, unit statistics, topic statistics — one file each, added to `NodeEngine.projections`.
protocol Projection: AnyObject {
    var name: String { get }
    /// One recorded event; `before` is the case as it was here (nil when the event brought it), `after` as
    /// the event leaves it.
    func apply(_ event: CaseEvent, before: Case?, after: Case) throws
    /// The operation (an intake, a command, a peer's message) is done: write what was held back. A projection
    /// may keep its rows in hand during one operation — a case moved by three events is written once.
    func finishOperation() throws
    /// The operation is starting (the last one may have thrown and been rolled back): drop anything held.
    func beginOperation()
    /// Empties the projection's tables and mirrors, before a replay.
    func reset() throws
}

extension Projection {
    func finishOperation() throws {}
    func beginOperation() {}
}

/// The `cases` table: each case as its latest event here left it. Written once per operation, however many
/// events moved the case in it; no read inside an operation comes after a write of the same case (the engine
/// carries the case in hand), so nothing reads a stale row.
final class CaseRowProjection: Projection {
    let name = "cases"
    private let db: Database
    /// Told before a row changes: outbox lines may refer to it (`LinkLedger.caseRowWillChange`).
    private let links: LinkLedger
    private var pending: [String: Case] = [:]
    /// A case's JSON already made in this operation (for a mesh line), with the case it was made from.
    private var madeBodies: [String: (of: Case, body: [UInt8])] = [:]
    init(db: Database, links: LinkLedger) {
        self.db = db
        self.links = links
    }

    func apply(_ event: CaseEvent, before: Case?, after c: Case) throws { pending[c.id] = c }

    /// The body a line carries for `c`: stored as it is if the case is still `c` when the operation ends.
    func remember(_ c: Case, body: [UInt8]) { madeBodies[c.id] = (c, body) }

    func beginOperation() {
        pending.removeAll(keepingCapacity: true)
        madeBodies.removeAll(keepingCapacity: true)
    }

    func finishOperation() throws {
        for c in pending.values { try save(c) }
        pending.removeAll(keepingCapacity: true)
        madeBodies.removeAll(keepingCapacity: true)
    }

    func save(_ c: Case) throws {
        // Equal values share their storage here (the line's case is the row's, copied), so the check is cheap.
        let body = madeBodies[c.id].flatMap { $0.of == c ? $0.body : nil } ?? WireJSON.bytes(c)
        try links.caseRowWillChange(c.id, to: body)
        try db.execute("""
            INSERT INTO cases(id, state, holder, created_at, updated_at, body) VALUES(?, ?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET state = excluded.state, holder = excluded.holder, updated_at = excluded.updated_at, body = excluded.body
            """, [.text(c.id), .text(c.state.rawValue), .text(c.holder), .text(WireDate.format(c.createdAt)), .text(WireDate.format(c.updatedAt)), .utf8Text(body)])
    }

    /// Case rows are not dropped: a header (subject, citizen, place) is not in the events, and a replay
    /// re-folds each stored case's state from its events instead (see `NodeEngine.rebuildProjections`).
    func reset() throws {}
}

/// The `counters` table and its mirror for `/status` and summaries: never a scan of the cases.
final class CounterProjection: Projection {
    let name = "counters"
    private let db: Database
    private let scope: OperationScope
    private let me: String
    private let inSubtree: (String) -> Bool
    private(set) var counters = CounterSet()
    /// Whether the counters moved since the last commit report.
    var changed = false

    init(db: Database, scope: OperationScope, me: String, subtree: Set<String>) throws {
        self.db = db
        self.scope = scope
        self.me = me
        inSubtree = { subtree.contains($0) }
        for row in try db.query("SELECT scope, key, value FROM counters") {
            let key = row.string("key") ?? "", value = row.int("value") ?? 0
            if row.string("scope") == "self" { counters.own[key] = value } else { counters.subtree[key] = value }
        }
    }

    func apply(_ event: CaseEvent, before: Case?, after c: Case) throws {
        // Counters move by what the case became (an annotating event leaves state and holder as they were).
        var effect = event
        (effect.state, effect.holder) = (c.state, c.holder)
        for delta in CounterRules.deltas(before: before.map { (state: $0.state, holder: $0.holder) }, event: effect, me: me, inSubtree: inSubtree) {
            try bump(delta)
        }
        for delta in SupervisionCounts.deltas(before: before, after: c, event: event, me: me, inSubtree: inSubtree) { try bump(delta) }
    }

    /// Net change per (scope, key) since the last flush, written once per batch (`flushBatch`, before COMMIT):
    /// a batch's twelve intakes cost one statement per counter key instead of one per operation and key. A
    /// rolled-back operation takes its share back out (each bump registers its undo).
    private var unflushed: [PendingKey: Int] = [:]
    private struct PendingKey: Hashable { var scope: String; var key: String }

    func flushBatch() throws {
        for (k, amount) in unflushed where amount != 0 {
            try db.execute("""
                INSERT INTO counters(scope, key, value) VALUES(?, ?, ?)
                ON CONFLICT(scope, key) DO UPDATE SET value = value + excluded.value
                """, [.text(k.scope), .text(k.key), .integer(Int64(amount))])
        }
        unflushed.removeAll(keepingCapacity: true)
    }

    /// This operation's deltas, undone together should it roll back: one undo registered per operation, not a
    /// closure per delta (a case's intake moves a dozen counters).
    private var operationDeltas: [CounterRules.Delta] = []
    private var deltasGeneration = -1

    private func bump(_ delta: CounterRules.Delta) throws {
        if deltasGeneration != scope.generation {
            deltasGeneration = scope.generation
            operationDeltas.removeAll(keepingCapacity: true)
            let wasChanged = changed
            scope.onRollback { [unowned self] in
                for undone in operationDeltas.reversed() { add(-undone.amount, scope: undone.scope, key: undone.key) }
                operationDeltas.removeAll(keepingCapacity: true)
                changed = wasChanged
            }
        }
        operationDeltas.append(delta)
        add(delta.amount, scope: delta.scope, key: delta.key)
        changed = true
    }

    private func add(_ amount: Int, scope: String, key: String) {
        unflushed[PendingKey(scope: scope, key: key), default: 0] += amount
        if scope == "self" { counters.own.add(amount, to: key) } else { counters.subtree.add(amount, to: key) }
    }

    func reset() throws {
        try db.execute("DELETE FROM counters")
        unflushed.removeAll()
        counters = CounterSet()
        changed = true
    }
}
