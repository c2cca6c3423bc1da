import CivicCases
import CivicStore
import CivicWire
import Foundation

/// Open co-handling parts and summonses (`parts`), by the unit that has them: the list a co-handling unit or a
/// summoned department works from, though the case is held elsewhere. Kept from the events, rebuilt by replay;
/// a case without parts costs one dictionary lookup here.
final class PartProjection: Projection {
    let name = "parts"
    private let db: Database
    /// case id → its open parts now, written when the operation finishes.
    private var pending: [String: [CasePart]] = [:]

    init(db: Database) { self.db = db }

    func apply(_ event: CaseEvent, before: Case?, after c: Case) throws {
        guard c.attributes["parts"] != nil || before?.attributes["parts"] != nil else { return }
        let open = c.state.isOpen ? c.parts.filter(\.isOpen) : []
        if pending[c.id] == nil, let before, (before.state.isOpen ? before.parts.filter(\.isOpen) : []) == open { return }
        pending[c.id] = open
    }

    func beginOperation() { pending.removeAll(keepingCapacity: true) }

    func finishOperation() throws {
        for (id, open) in pending {
            try db.execute("DELETE FROM parts WHERE case_id = ?", [.text(id)])
            for part in open {
                try db.execute("INSERT INTO parts(case_id, part_id, unit, department, kind) VALUES(?, ?, ?, ?, ?)",
                               [.text(id), .text(part.id), .text(part.unit), part.department.map { .text($0) } ?? .null, .text(part.kind.rawValue)])
            }
        }
        pending.removeAll(keepingCapacity: true)
    }

    func reset() throws { try db.execute("DELETE FROM parts") }
}

extension CaseQueries {
    /// Cases in which one of `units` (nil: any) has an open part, and, when given, only that department's.
    func casesWithOpenParts(units: [String]?, department: String?, limit: Int) throws -> [Case] {
        var clauses: [String] = [], args: [SQLValue] = []
        if let units {
            clauses.append(Self.holderClause("t.unit", units))
            args += units.map { .text($0) }
        }
        if let department { clauses.append("t.department = ?"); args.append(.text(department)) }
        args.append(.integer(Int64(limit)))
        let whereSQL = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        return try db.query("SELECT DISTINCT c.body FROM parts t JOIN cases c ON c.id = t.case_id\(whereSQL) ORDER BY c.ord LIMIT ?", args)
            .map { try WireJSON.decodeCase(($0.string("body") ?? "").utf8) }
    }
}
