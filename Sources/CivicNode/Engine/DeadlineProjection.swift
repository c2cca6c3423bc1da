import CivicCases
import CivicStore
import CivicWire
import Foundation

/// The due-time index (`deadlines`): one row per open case with a running clock — its next due time (the
/// handling limit once signed for, else the response limit) and its holder — indexed by due time, so "what
/// is overdue" and "what falls due before T" are index ranges, never a scan of the open cases. Kept from the
/// events like every projection and rebuilt by replaying them. The timer events themselves run
/// from `SupervisionProjection`'s index.
final class DeadlineProjection: Projection {
    let name = "deadlines"
    private let db: Database
    /// case id → its due entry, or nil to remove it; written once per operation.
    private var pending: [String: Entry?] = [:]

    struct Entry: Equatable {
        var kind: String
        var due: String
        var holder: String
    }

    init(db: Database) { self.db = db }

    /// The clock a case has running here, if any.
    static func entry(of c: Case) -> Entry? {
        guard c.state.isOpen else { return nil }
        if let due = c.attributes["handling_due"] { return Entry(kind: "handling", due: due, holder: c.holder) }
        if let due = c.attributes["response_due"] { return Entry(kind: "response", due: due, holder: c.holder) }
        return nil
    }

    func apply(_ event: CaseEvent, before: Case?, after c: Case) throws {
        let now = Self.entry(of: c)
        // Most events leave the clock as it was: nothing to write for them.
        if pending[c.id] == nil, let before, Self.entry(of: before) == now { return }
        pending[c.id] = .some(now)
    }

    func beginOperation() { pending.removeAll(keepingCapacity: true) }

    func finishOperation() throws {
        for (id, entry) in pending {
            if let entry = entry ?? nil {
                try db.execute("""
                    INSERT INTO deadlines(case_id, kind, due_at, holder) VALUES(?, ?, ?, ?)
                    ON CONFLICT(case_id) DO UPDATE SET kind = excluded.kind, due_at = excluded.due_at, holder = excluded.holder
                    """, [.text(id), .text(entry.kind), .text(entry.due), .text(entry.holder)])
            } else {
                try db.execute("DELETE FROM deadlines WHERE case_id = ?", [.text(id)])
            }
        }
        pending.removeAll(keepingCapacity: true)
    }

    func reset() throws { try db.execute("DELETE FROM deadlines") }
}

extension CaseQueries {
    /// Open cases whose running clock falls due before `time` (the overdue ones when `time` is now), soonest
    /// first; `holders` narrows them as the caller's reach does.
    func casesDue(before time: Date, holders: [String]?, limit: Int) throws -> [Case] {
        try cases(joining: "deadlines", where: "t.due_at < ?", [.text(WireDate.format(time))], holders: holders, orderBy: "t.due_at", limit: limit)
    }
}
