import CivicCases
import CivicHTTP
import CivicSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What the HTTP side counts for `/metrics`: requests by route template and status, and the intake's latency
/// (request parsed → answer sent, so after the commit that holds the case). Loop-confined, like the router.
final class HTTPFigures: @unchecked Sendable {
    // Invariant: touched only on the loop thread (the middleware and the metrics route run there).
    var requests: [RouteStatus: Int] = [:]
    var intakeSeconds = Histogram(bounds: Histogram.latencySeconds)
    struct RouteStatus: Hashable { var method: String; var route: String; var status: Int }
}

/// Counts every request once its answer is sent.
struct MetricsMiddleware: HTTPMiddleware {
    let figures: HTTPFigures
    func handle(_ request: HTTPRequest, _ context: RequestContext, _ responder: HTTPResponder,
                next: @escaping (HTTPRequest, RequestContext, HTTPResponder) -> Void) {
        let started = DispatchTime.now().uptimeNanoseconds
        let (figures, method) = (figures, request.method)
        next(request, context, HTTPResponder { response in
            // The template, never the path: ids would make the label set unbounded.
            let route = context.route.isEmpty ? "unmatched" : context.route
            figures.requests[.init(method: method, route: route, status: response.status), default: 0] += 1
            if context.endpoint == Endpoint.intake.rawValue {
                figures.intakeSeconds.observe(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
            }
            responder.send(response)
        })
    }
}

/// The process's own figures, read from /proc (Linux): resident memory and open file descriptors.
enum ProcessFigures {
    static func residentBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count >= 2, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    static func openFileDescriptors() -> Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")).map { $0.count }
    }
}

/// The metrics page of one node, from what it holds in memory: counters (self and subtree), link figures, the
/// writer's histograms, access refusals, HTTP figures and the process. No query, no scan.
struct MetricsPage {
    struct LinkFigures {
        var peer: String
        var direction: String  // "parent" or "child"
        var up: Bool
        var outboxDepth: Int
        var connects: Int
        var refusedLines: Int
        var badSealLines: Int
        var secondsSinceHeard: Double?
        var oldestUnackedSeconds: Double
        var restoreLostMessages: Int
    }

    var node: String
    var tier: String
    var counters: CounterSet
    var links: [LinkFigures]
    var writer: CivicStoreFigures
    var queueDepth: Int
    var applySeconds: Histogram
    var refusedHandshakes: Int
    var unauthorized: Int, forbidden: Int, rateLimited: Int, trackRefused: Int
    var http: HTTPFigures
    var uptimeSeconds: Double

    struct CivicStoreFigures {
        var batches: Int, operations: Int, failedBatches: Int, failedOperations: Int
        var batchSizes: Histogram, batchSeconds: Histogram
    }

    var text: String {
        var p = PrometheusText()
        let scopes: [(String, Counters)] = [("self", counters.own), ("subtree", counters.subtree)]
        p.family("civicmesh_node_info", .gauge, "The node: id, tier and version (always 1).")
        p.sample("civicmesh_node_info", [("node", node), ("tier", tier), ("version", civicMeshVersion)], 1)
        p.family("civicmesh_uptime_seconds", .gauge, "Seconds since the node started.")
        p.sample("civicmesh_uptime_seconds", [], uptimeSeconds)

        p.family("civicmesh_cases", .gauge, "Cases held in the scope (self: this unit; subtree: it and every unit below), by state.")
        for (scope, c) in scopes {
            for state in CaseState.allCases.map(\.rawValue) + ["other"] { p.sample("civicmesh_cases", [("scope", scope), ("state", state)], c.byState[state] ?? 0) }
        }
        p.family("civicmesh_cases_open", .gauge, "Open cases held in the scope (a unit has to act on them).")
        for (scope, c) in scopes { p.sample("civicmesh_cases_open", [("scope", scope)], c.open) }
        p.family("civicmesh_case_actions_total", .counter, "Cases received into the scope, resolved and returned in it.")
        for (scope, c) in scopes {
            p.sample("civicmesh_case_actions_total", [("scope", scope), ("action", "received")], c.received)
            p.sample("civicmesh_case_actions_total", [("scope", scope), ("action", "resolved")], c.resolved)
            p.sample("civicmesh_case_actions_total", [("scope", scope), ("action", "returned")], c.returned)
        }
        p.family("civicmesh_cases_time_limits", .gauge, "Open cases near due (warned), overdue, escalated, under a supervision order, waiting for an extension answer.")
        for (scope, c) in scopes {
            for key in SupervisionCounts.gauges { p.sample("civicmesh_cases_time_limits", [("scope", scope), ("kind", key)], c.supervision[key] ?? 0) }
        }
        p.family("civicmesh_time_limit_events_total", .counter, "Warnings, overdue marks, escalations, orders, extensions granted and refused, replies on time and late.")
        for (scope, c) in scopes {
            for key in SupervisionCounts.totals {
                p.sample("civicmesh_time_limit_events_total", [("scope", scope), ("kind", key.hasSuffix("_total") ? String(key.dropLast(6)) : key)], c.supervision[key] ?? 0)
            }
        }
        p.family("civicmesh_verdicts_total", .counter, "The citizen's verdicts and how cases closed, for cases resolved in the scope.")
        for (scope, c) in scopes {
            for key in VerdictCounts.totals { p.sample("civicmesh_verdicts_total", [("scope", scope), ("kind", key)], c.verdicts[key] ?? 0) }
        }

        p.family("civicmesh_link_up", .gauge, "1 when the link to the peer is up.")
        for l in links { p.sample("civicmesh_link_up", [("peer", l.peer), ("direction", l.direction)], l.up ? 1 : 0) }
        p.family("civicmesh_link_outbox_depth", .gauge, "Durable messages to the peer not yet acknowledged.")
        for l in links { p.sample("civicmesh_link_outbox_depth", [("peer", l.peer), ("direction", l.direction)], l.outboxDepth) }
        p.family("civicmesh_link_oldest_unacked_age_seconds", .gauge, "Seconds since the oldest durable message to the peer not yet acknowledged was committed (0: none).")
        for l in links { p.sample("civicmesh_link_oldest_unacked_age_seconds", [("peer", l.peer), ("direction", l.direction)], l.oldestUnackedSeconds) }
        p.family("civicmesh_link_restore_lost_messages", .gauge, "Messages of this link a restore from a backup lost at this node (the peer holds them; /status restore_losses).")
        for l in links { p.sample("civicmesh_link_restore_lost_messages", [("peer", l.peer), ("direction", l.direction)], l.restoreLostMessages) }
        p.family("civicmesh_link_last_heard_age_seconds", .gauge, "Seconds since anything came from the peer (absent before the first).")
        for l in links { if let age = l.secondsSinceHeard { p.sample("civicmesh_link_last_heard_age_seconds", [("peer", l.peer), ("direction", l.direction)], age) } }
        p.family("civicmesh_link_connects_total", .counter, "Times the link came up (the first connection and every reconnection).")
        for l in links { p.sample("civicmesh_link_connects_total", [("peer", l.peer), ("direction", l.direction)], l.connects) }
        p.family("civicmesh_link_refused_lines_total", .counter, "Lines from the peer refused (bad JSON, not allowed, not applicable, not opening).")
        for l in links { p.sample("civicmesh_link_refused_lines_total", [("peer", l.peer), ("direction", l.direction)], l.refusedLines) }
        p.family("civicmesh_link_bad_seal_lines_total", .counter, "Of the refused lines, those that did not open (altered, replayed, injected).")
        for l in links { p.sample("civicmesh_link_bad_seal_lines_total", [("peer", l.peer), ("direction", l.direction)], l.badSealLines) }
        p.family("civicmesh_handshakes_refused_total", .counter, "Connections refused in the handshake (wrong secret or version, unknown node).")
        p.sample("civicmesh_handshakes_refused_total", [], refusedHandshakes)
        p.family("civicmesh_mesh_apply_seconds", .histogram, "A durable mesh line, from its arrival to the commit that holds it.")
        p.histogram("civicmesh_mesh_apply_seconds", [], applySeconds)

        p.family("civicmesh_store_batches_total", .counter, "Write transactions (group commits), and those that failed.")
        p.sample("civicmesh_store_batches_total", [("outcome", "committed")], writer.batches - writer.failedBatches)
        p.sample("civicmesh_store_batches_total", [("outcome", "failed")], writer.failedBatches)
        p.family("civicmesh_store_operations_total", .counter, "Operations run by the writer, and those that failed.")
        p.sample("civicmesh_store_operations_total", [("outcome", "ok")], writer.operations - writer.failedOperations)
        p.sample("civicmesh_store_operations_total", [("outcome", "failed")], writer.failedOperations)
        p.family("civicmesh_store_queue_depth", .gauge, "Operations waiting for the writer.")
        p.sample("civicmesh_store_queue_depth", [], queueDepth)
        p.family("civicmesh_store_batch_operations", .histogram, "Operations per committed batch (group commit).")
        p.histogram("civicmesh_store_batch_operations", [], writer.batchSizes)
        p.family("civicmesh_store_batch_seconds", .histogram, "One batch's transaction: its operations, COMMIT and fsync.")
        p.histogram("civicmesh_store_batch_seconds", [], writer.batchSeconds)

        p.family("civicmesh_http_requests_total", .counter, "HTTP requests answered, by method, route template and status.")
        for (key, n) in http.requests.sorted(by: { ($0.key.route, $0.key.method, $0.key.status) < ($1.key.route, $1.key.method, $1.key.status) }) {
            p.sample("civicmesh_http_requests_total", [("method", key.method), ("route", key.route), ("status", String(key.status))], n)
        }
        p.family("civicmesh_intake_seconds", .histogram, "POST /api/cases, from the parsed request to the answer after its commit.")
        p.histogram("civicmesh_intake_seconds", [], http.intakeSeconds)
        p.family("civicmesh_http_refused_total", .counter, "Requests refused by the access checks and the rate limits.")
        p.sample("civicmesh_http_refused_total", [("reason", "unauthorized")], unauthorized)
        p.sample("civicmesh_http_refused_total", [("reason", "forbidden")], forbidden)
        p.sample("civicmesh_http_refused_total", [("reason", "rate_limited")], rateLimited)
        p.sample("civicmesh_http_refused_total", [("reason", "tracking")], trackRefused)

        if let rss = ProcessFigures.residentBytes() {
            p.family("civicmesh_process_resident_memory_bytes", .gauge, "Resident memory of the node process.")
            p.sample("civicmesh_process_resident_memory_bytes", [], rss)
        }
        if let fds = ProcessFigures.openFileDescriptors() {
            p.family("civicmesh_process_open_fds", .gauge, "Open file descriptors of the node process.")
            p.sample("civicmesh_process_open_fds", [], fds)
        }
        return p.text
    }
}
