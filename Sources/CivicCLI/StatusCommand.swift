import CivicCases
import CivicHTTP
import CivicNode
import CivicWire
import Foundation

/// `civicmesh status [--url URL] [--json]`: a node's status as a readable tree table.
enum StatusCommand {
    static func run(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, command: "status")
        let base = a["url"] ?? CaseCommands.defaultURL
        let response = try HTTPClient.send(method: "GET", url: base + "/status", headers: auth(CLIToken.resolve(a, url: base)), timeout: 5)
        guard response.status == 200 else {
            printError("civicmesh: \(base)/status answered \(response.status): \(response.text)")
            return 1
        }
        if a.has("json") {
            print(CaseCommands.prettyJSON(response.body) ?? response.text)
            return 0
        }
        let report = try decode(response)
        let depth = try a.int("depth", default: 2)
        guard (1...2).contains(depth) else { throw UsageError("--depth must be 1 (children) or 2 (grandchildren), got \(depth)") }
        if let under = a["under"], !report.children.contains(where: { $0.id == under }) {
            throw UsageError("--under \(under): not a child of \(report.id) (children: \(report.children.map(\.id).joined(separator: ", ")))")
        }
        print(render(report, depth: depth, under: a["under"]))
        return 0
    }

    /// A node's `/status`, decoded (for tools such as the benchmarks).
    static func fetch(_ base: String, token: String?) throws -> StatusReport {
        try decode(try HTTPClient.send(method: "GET", url: base + "/status", headers: auth(token), timeout: 5))
    }

    static func auth(_ token: String?) -> [String: String] { token.map { ["Authorization": "Bearer \($0)"] } ?? [:] }

    private static func decode(_ response: HTTPClientResponse) throws -> StatusReport {
        try WireJSON.decoder().decode(StatusReport.self, from: Data(response.body))
    }

    static func render(_ r: StatusReport, now: Date = Date(), depth: Int = 2, under: String? = nil) -> String {
        var lines: [String] = []
        lines.append("\(r.id) \(r.name) [\(r.tier.rawValue)]  v\(r.version) protocol \(r.protocolVersion)  up \(duration(r.uptimeSeconds))  http \(r.http)\(r.mesh.map { "  mesh \($0)" } ?? "")")
        if let p = r.parent {
            lines.append("parent \(p.id): \(p.state)\(p.lastHeard.map { ", heard \(ago($0, now))" } ?? "")  outbox \(p.outboxDepth)  acked \(p.lastAckedSeq)/\(p.lastSentSeq)\(p.lastError.map { "  last error: \($0)" } ?? "")")
        }
        // What a restore from a backup left this node without, per link (the peer holds it): docs/protocol.md §3.4.
        for link in [r.parent].compactMap({ $0 }) + r.children {
            if link.needsResync == true { lines.append("restored: link \(link.id) resyncs at its next handshake") }
            for loss in link.restoreLosses ?? [] {
                let what = loss.direction == ResyncRules.Loss.Direction.toPeer.rawValue ? "sent to" : "received from"
                lines.append("restored: messages \(what) \(link.id), seq \(loss.first)…\(loss.last), are not in this node's database (\(link.id) holds their events)")
            }
        }
        lines.append("self:    \(describe(r.counters.own))")
        lines.append("subtree: \(describe(r.counters.subtree))")
        lines.append("time limits (subtree): \(describeLimits(r.counters.subtree))")
        lines.append("verdicts (subtree): \(describeVerdicts(r.counters.subtree))")
        if !r.children.isEmpty {
            lines.append("")
            let header = ["UNIT", "NAME", "LINK", "LAST HEARD", "OUTBOX", "ACKED", "APPLIED", "RECEIVED", "OPEN", "PENDING", "RESOLVED", "RETURNED", "OVERDUE", "ESCALATED"]
            var rows: [[String]] = []
            let sorted = r.children.filter { under == nil || $0.id == under }
            for (i, c) in sorted.enumerated() {
                let branch = i == sorted.count - 1 ? "└─ " : "├─ "
                let sub = c.summary?.counters.subtree
                // Why a link is down, cut to keep the table readable (the full text is in --json).
                let link = c.state == "up" ? c.state : c.state + (c.lastError.map { " (\(clip($0, 40)))" } ?? "")
                rows.append([branch + c.id, c.name ?? "", link, c.lastHeard.map { ago($0, now) } ?? "-", String(c.outboxDepth),
                             "\(c.lastAckedSeq)/\(c.lastSentSeq)", String(c.lastAppliedSeq)] + figures(sub))
                let grandchildren = depth >= 2 ? (c.summary?.children ?? []) : []
                for (j, g) in grandchildren.enumerated() {
                    let stem = i == sorted.count - 1 ? "   " : "│  "
                    let twig = j == grandchildren.count - 1 ? "└─ " : "├─ "
                    rows.append([stem + twig + g.id, g.name ?? "", g.state, "", "", "", ""] + figures(g.subtree))
                }
            }
            lines.append(contentsOf: table([header] + rows))
        }
        if !r.manualQueue.isEmpty {
            lines.append("")
            lines.append("manual dispatch queue (\(r.counters.own.manualQueue)):")
            for q in r.manualQueue {
                // An uncertain topic's guesses are already in its reason; candidates are not.
                let candidates = q.candidates.isEmpty ? "" : "  candidates: \(q.candidates.joined(separator: ", "))"
                lines.append("  \(q.id)  \(q.subject)  — \(q.reason ?? "no rule placed it")\(candidates)")
            }
        }
        return lines.joined(separator: "\n")
    }

    static func clip(_ text: String, _ max: Int) -> String { text.count <= max ? text : String(text.prefix(max - 1)) + "…" }

    static func figures(_ c: Counters?) -> [String] {
        guard let c else { return ["-", "-", "-", "-", "-", "-", "-"] }
        return [String(c.received), String(c.open), String(c.manualQueue), String(c.resolved), String(c.returned),
                String(c.supervision["overdue"] ?? 0), String(c.supervision["escalated"] ?? 0)]
    }

    static func describe(_ c: Counters) -> String {
        let states = c.byState.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return "received \(c.received), open \(c.open), resolved \(c.resolved), returned \(c.returned), manual queue \(c.manualQueue)" + (states.isEmpty ? "" : "  [\(states)]")
    }

    /// The supervision figures (分级督办): open cases near due, overdue, escalated, under an order, waiting for an
    /// extension answer, and replies on time or late.
    static func describeLimits(_ c: Counters) -> String {
        let s = c.supervision
        func v(_ k: String) -> Int { s[k] ?? 0 }
        return "near due \(v("near_due")), overdue \(v("overdue")), escalated \(v("escalated")), orders open \(v("orders_open")), "
            + "extensions pending \(v("extensions_pending")); replied on time \(v("replied_on_time")), late \(v("replied_late"))"
    }

    /// The citizen's verdicts (群众评价): waiting, under check, the satisfaction rate and how cases closed.
    static func describeVerdicts(_ c: Counters) -> String {
        func v(_ k: String) -> Int { c.verdicts[k] ?? 0 }
        let rate = c.satisfactionRate.map { "\(Int(($0 * 1000).rounded()) / 10).\(Int(($0 * 1000).rounded()) % 10)%" } ?? "-"
        return "awaiting \(c.awaitingVerdict), under check \(c.byState["checking"] ?? 0), satisfaction \(rate) "
            + "(satisfied \(v("satisfied")), basically \(v("basically_satisfied")), unsatisfied \(v("unsatisfied"))); reopened \(v("reopened")), "
            + "closed without a verdict \(v("closed_no_evaluation")), unreachable \(v("closed_unreachable"))"
    }

    /// Left-aligned columns; width counts CJK characters as two cells.
    static func table(_ rows: [[String]]) -> [String] {
        func cells(_ s: String) -> Int { s.unicodeScalars.reduce(0) { $0 + ($1.value >= 0x2E80 && $1.value != 0x2500 && $1.value != 0x2502 && $1.value != 0x251C && $1.value != 0x2514 ? 2 : 1) } }
        let columns = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cells(cell)) } }
        return rows.map { row in
            let line = row.enumerated().map { i, cell in cell + String(repeating: " ", count: widths[i] - cells(cell)) }.joined(separator: "  ")
            return String(line.reversed().drop(while: { $0 == " " }).reversed())
        }
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds)
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(s % 60)s" }
        return "\(s / 3600)h\((s % 3600) / 60)m"
    }

    static func ago(_ date: Date, _ now: Date) -> String { String(format: "%.1fs ago", max(0, now.timeIntervalSince(date))) }
}
