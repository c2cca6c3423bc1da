import CivicCases
import CivicStore
import CivicWire
import Foundation

/// The node's read queries on cases, events and the manual queue. The writer runs them inside its
/// transactions; `NodeReader` runs them on its own connection for GET requests and /status.
/// Each query uses an index (`cases.id`, `holder/state`, `events.case_id`): none scans a table.
struct CaseQueries {
    let db: Database
    /// The node whose manual queue `manualQueue` reads.
    let nodeId: String
    let decoder = WireJSON.decoder()

    func loadCase(_ id: String) throws -> Case? {
        guard let body = try db.queryOne("SELECT body FROM cases WHERE id = ?", [.text(id)])?.string("body") else { return nil }
        return try WireJSON.decodeCase(body.utf8)
    }

    func events(of caseId: String) throws -> [CaseEvent] {
        try db.query("SELECT body FROM events WHERE case_id = ? ORDER BY ord", [.text(caseId)]).map {
            try WireJSON.decodeEvent(($0.string("body") ?? "").utf8)
        }
    }

    /// One stored event by id (to tell a resend from a clash).
    func event(_ id: String) throws -> CaseEvent? {
        guard let body = try db.queryOne("SELECT body FROM events WHERE id = ?", [.text(id)])?.string("body") else { return nil }
        return try WireJSON.decodeEvent(body.utf8)
    }

    func eventCount(of caseId: String) throws -> Int {
        try db.queryOne("SELECT count(*) AS n FROM events WHERE case_id = ?", [.text(caseId)])?.int("n") ?? 0
    }

    func caseWithHistory(_ id: String) throws -> CaseWithHistory? {
        guard let c = try loadCase(id) else { return nil }
        return CaseWithHistory(case: c, history: try events(of: id))
    }

    /// `column IN (?, …)` for a list of holders (bind the holders in order).
    static func holderClause(_ column: String, _ holders: [String]) -> String {
        "\(column) IN (\(holders.map { _ in "?" }.joined(separator: ",")))"
    }

    /// Cases joined with one of the projections' index tables (`table` aliased `t`, keyed by `case_id`, with a
    /// `holder` column): `condition` on it, narrowed to `holders`, in `order`, one page.
    func cases(joining table: String, where condition: String?, _ args: [SQLValue], holders: [String]?, orderBy order: String, limit: Int) throws -> [Case] {
        var clauses = condition.map { [$0] } ?? []
        var all = args
        if let holders {
            clauses.append(Self.holderClause("t.holder", holders))
            all += holders.map { .text($0) }
        }
        all.append(.integer(Int64(limit)))
        let whereSQL = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        return try db.query("SELECT c.body FROM \(table) t JOIN cases c ON c.id = t.case_id\(whereSQL) ORDER BY \(order) LIMIT ?", all)
            .map { try WireJSON.decodeCase(($0.string("body") ?? "").utf8) }
    }

    func listCases(state: String?, holder: String?, limit: Int, after: String?) throws -> CasePage {
        try listCases(state: state, holders: holder.map { [$0] }, limit: limit, after: after)
    }

    /// `holders` nil: every holder. Several holders (a viewer bound to a district, asking its city) use the
    /// holder index once per holder.
    func listCases(state: String?, holders: [String]?, limit: Int, after: String?) throws -> CasePage {
        var clauses: [String] = []
        var args: [SQLValue] = []
        if let state { clauses.append("state = ?"); args.append(.text(state)) }
        if let holders {
            clauses.append(Self.holderClause("holder", holders))
            args += holders.map { .text($0) }
        }
        if let after, let ord = Int(after) { clauses.append("ord > ?"); args.append(.integer(Int64(ord))) }
        let whereSQL = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        args.append(.integer(Int64(limit + 1)))
        let rows = try db.query("SELECT ord, body FROM cases \(whereSQL) ORDER BY ord LIMIT ?", args)
        let page = rows.prefix(limit)
        let cases = try page.map { try WireJSON.decodeCase(($0.string("body") ?? "").utf8) }
        let next = rows.count > limit ? page.last?.int("ord").map(String.init) : nil
        return CasePage(cases: cases, next: next)
    }

    /// The oldest cases waiting here for an operator, with why they wait (the queueing event's data).
    func manualQueue(limit: Int) throws -> [StatusReport.QueueEntry] {
        let rows = try db.query(
            "SELECT body FROM cases WHERE holder = ? AND state = 'pending' ORDER BY ord LIMIT ?",
            [.text(nodeId), .integer(Int64(limit))])
        return try rows.map { row in
            let c = try WireJSON.decodeCase((row.string("body") ?? "").utf8)
            let last = try latestEvent(of: c.id)
            return StatusReport.QueueEntry(
                id: c.id, subject: c.subject, since: c.updatedAt, reason: last?[.reason],
                candidates: last?[.candidates] ?? [], topics: last?[.topics] ?? [])
        }
    }

    private func latestEvent(of caseId: String) throws -> CaseEvent? {
        guard let body = try db.queryOne(
            "SELECT body FROM events WHERE case_id = ? ORDER BY ord DESC LIMIT 1", [.text(caseId)])?.string("body")
        else { return nil }
        return try? WireJSON.decodeEvent(body.utf8)
    }
}
