import CivicCases
import CivicStore
import CivicWire
import Foundation

/// What this node has to do about time limits, kept from the events like every projection:
/// - `timers`: for each open case, when this node next issues a timer event (`TimerRules`: the holder warns and
///   marks overdue, the units above escalate), indexed by that time — a tick reads only the head of the index,
///   never the open cases, so an idle case costs nothing;
/// - `supervised`: the cases in this node's view that are escalated, under a supervision order or waiting for an
///   answer to a request for more time (`GET /api/cases?supervised=true`).
final class SupervisionProjection: Projection {
    let name = "supervision"
    private let db: Database
    private let me: TopologyNode
    /// Per case touched in this operation: its rows as stored before (`stored`) and as they are now.
    private var pending: [String: (stored: Rows, now: Rows)] = [:]

    /// This node's rows for one case: when it next issues a timer event, and the holder it is listed under.
    struct Rows: Equatable {
        /// Wire timestamp text: it orders as the times do.
        var fireAt: String?
        var listedHolder: String?
        static let none = Rows(fireAt: nil, listedHolder: nil)
    }

    /// What the rows depend on: an event that changes none of it (most do not) costs nothing here.
    private struct Inputs: Equatable {
        var holder: String
        var state: CaseState
        var values: [String?]
        init(_ c: Case) {
            holder = c.holder
            state = c.state
            values = Self.keys.map { c.attributes[$0] }
        }
        static let keys = ["clock", "issued", "response_due", "handling_due", "order", "order_issued", "extension_pending", "verdict_clock", "verdict_issued", "parts"]
    }

    init(db: Database, me: TopologyNode) {
        self.db = db
        self.me = me
    }

    func rows(of c: Case) -> Rows {
        Rows(fireAt: TimerRules.nextFire(c, me: me), listedHolder: SupervisionFlags(c).needsAttention ? c.holder : nil)
    }

    func apply(_ event: CaseEvent, before: Case?, after c: Case) throws {
        if let held = pending[c.id] {
            pending[c.id] = (held.stored, rows(of: c))
            return
        }
        if let before, Inputs(before) == Inputs(c) { return }
        pending[c.id] = (before.map(rows) ?? .none, rows(of: c))
    }

    /// Recomputes the case's rows from the case as it is, written when the operation finishes (a row the case
    /// no longer backs is rewritten even if it looks unchanged).
    func refresh(_ c: Case) {
        pending[c.id] = (Rows(fireAt: Self.unknown, listedHolder: nil), rows(of: c))
    }

    /// Marks rows as not known, so they are written whatever they are now.
    private static let unknown = "?"

    func beginOperation() { pending.removeAll(keepingCapacity: true) }

    func finishOperation() throws {
        for (id, rows) in pending {
            if rows.stored.fireAt != rows.now.fireAt {
                if let at = rows.now.fireAt {
                    try db.execute("INSERT INTO timers(case_id, fire_at) VALUES(?, ?) ON CONFLICT(case_id) DO UPDATE SET fire_at = excluded.fire_at",
                                   [.text(id), .text(at)])
                } else {
                    try db.execute("DELETE FROM timers WHERE case_id = ?", [.text(id)])
                }
            }
            if rows.stored.listedHolder != rows.now.listedHolder || rows.stored.fireAt == Self.unknown {
                if let holder = rows.now.listedHolder {
                    try db.execute("INSERT INTO supervised(case_id, holder) VALUES(?, ?) ON CONFLICT(case_id) DO UPDATE SET holder = excluded.holder", [.text(id), .text(holder)])
                } else {
                    try db.execute("DELETE FROM supervised WHERE case_id = ?", [.text(id)])
                }
            }
        }
        pending.removeAll(keepingCapacity: true)
    }

    func reset() throws {
        try db.execute("DELETE FROM timers")
        try db.execute("DELETE FROM supervised")
    }

    /// The cases with a timer event due at `now`, soonest first (the head of the index).
    func dueCases(at now: Date, limit: Int) throws -> [String] {
        try db.query("SELECT case_id FROM timers WHERE fire_at <= ? ORDER BY fire_at LIMIT ?",
                     [.text(WireDate.format(now)), .integer(Int64(limit))]).compactMap { $0.string("case_id") }
    }

    /// When the next timer event of this node falls due, if any.
    func nextFire() throws -> Date? {
        try db.queryOne("SELECT min(fire_at) AS t FROM timers")?.string("t").flatMap(WireDate.parse)
    }
}

extension CaseQueries {
    /// The supervision list: open cases escalated, under an order or waiting for an extension answer, narrowed as
    /// the caller's reach narrows lists.
    func supervisedCases(holders: [String]?, limit: Int) throws -> [Case] {
        try cases(joining: "supervised", where: nil, [], holders: holders, orderBy: "t.case_id", limit: limit)
    }
}
