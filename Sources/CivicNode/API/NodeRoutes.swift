import CivicCases
import CivicHTTP
import CivicWire
import Foundation

/// What the node's HTTP routes need, and nothing more (no back-reference to the node).
struct NodeServices: Sendable {
    let config: NodeConfig
    /// Writes: every change answers after its commit.
    let store: NodeStore
    /// Reads on their own connection, never queued behind writes.
    let reader: NodeReader
    /// New cases: triage off the writer, then the intake on it.
    let intakes: IntakePipeline
    let log: Logger
    let clock: any CaseClock
    /// This node's unit (its subtree), for the access rules' reach.
    let unit: TopologyNode
    /// Checks bearer tokens (loop-confined, like the router).
    let authenticator: Authenticator
    let gate: AccessGate
    let httpFigures: HTTPFigures
    let drain: DrainState
    /// The `/api/events` subscribers (loop-confined).
    let events: EventHub
    /// Assembles `/status` (links and counters live on the loop); `done` runs on the loop.
    let status: @Sendable (@escaping @Sendable (StatusReport) -> Void) -> Void
    /// The `/metrics` page, assembled on the loop from memory.
    let metrics: @Sendable () -> String
}

/// The node's HTTP API: one route table, one file per resource, middleware around every request.
enum NodeRoutes {
    static func router(_ services: NodeServices) -> HTTPRouter {
        let router = HTTPRouter { status, request, allowed in
            let path = Logger.clip(request.path, 200)
            if status == 405 {
                return APIError(405, "method_not_allowed", field: "method", "\(request.method) is not allowed on \(path); use \(allowed.joined(separator: " or "))").response
            }
            return APIError(404, "not_found", field: "path", "no endpoint \(path); see GET /status, /healthz, /api/cases").response
        }
        router.use(MetricsMiddleware(figures: services.httpFigures))
        router.use(DrainMiddleware(state: services.drain))
        router.use(RequestLogMiddleware(log: services.log))
        // Before every route group: nothing below runs for a request it refuses.
        router.use(AuthMiddleware(authenticator: services.authenticator, gate: services.gate, log: services.log))
        StatusRoutes.add(to: router, services)
        CaseRoutes.add(to: router.group("/api/cases"), services)
        TokenRoutes.add(to: router.group("/api/tokens"), services)
        TrackRoutes.add(to: router, services)
        EventRoutes.add(to: router, services)
        Open311Routes.add(to: router, services)
        return router
    }
}

/// Whether the node is draining (SIGTERM). Loop-confined.
final class DrainState: @unchecked Sendable {
    // Invariant: read and set on the loop thread only.
    var draining = false
}

/// While the node drains, every request but `/healthz` (which says `draining`) answers a retryable 503: a load
/// balancer or client sends it elsewhere or again; requests already in flight finish.
struct DrainMiddleware: HTTPMiddleware {
    let state: DrainState
    func handle(_ request: HTTPRequest, _ context: RequestContext, _ responder: HTTPResponder,
                next: @escaping (HTTPRequest, RequestContext, HTTPResponder) -> Void) {
        guard state.draining, context.endpoint != Endpoint.health.rawValue else { return next(request, context, responder) }
        var response = APIError(503, "draining", field: "node", "the node is stopping for a restart; retry in a moment").response
        response.headers.append(("Retry-After", "1"))
        responder.send(response)
    }
}

/// Logs each request at debug level with its route template, status and time (never its body).
struct RequestLogMiddleware: HTTPMiddleware {
    let log: Logger
    func handle(_ request: HTTPRequest, _ context: RequestContext, _ responder: HTTPResponder,
                next: @escaping (HTTPRequest, RequestContext, HTTPResponder) -> Void) {
        let started = Date()
        let (log, method, route) = (log, request.method, context.route)
        next(request, context, HTTPResponder { response in
            log.debug("http #\(context.requestNumber) \(method) \(route) → \(response.status) in \(Int(Date().timeIntervalSince(started) * 1000)) ms")
            responder.send(response)
        })
    }
}

/// The one way a handler answers: a value as JSON, or an error mapped by `APIError.from`.
struct Reply {
    static let encoder = WireJSON.encoder()

    static func json<T: Encodable>(_ responder: HTTPResponder, _ status: Int, _ body: T) {
        do {
            responder.send(.json(status, [UInt8](try encoder.encode(body))))
        } catch {
            responder.send(APIError(500, "internal", "cannot encode response: \(error)").response)
        }
    }

    static func error(_ responder: HTTPResponder, _ error: any Error) { responder.send(APIError.from(error).response) }

    /// Answers `result` (after a commit or a read): the value with `status`, or its error.
    static func result<T: Encodable>(_ responder: HTTPResponder, _ result: Result<T, any Error>, status: Int = 200) {
        switch result {
        case .success(let value): json(responder, status, value)
        case .failure(let e): error(responder, e)
        }
    }
}

struct HealthBody: Encodable { var status: String; var node: String; var tier: String }
struct CaseBody: Encodable { var `case`: Case }
struct CaseWithHistory: Codable, Sendable { var `case`: Case; var history: [CaseEvent] }
struct ListBody: Encodable { var cases: [Case]; var next: String? }
struct IntakeBody: Encodable {
    var id: String
    var linkedTo: String?
    var `case`: Case
    var reasons: [String]
    enum CodingKeys: String, CodingKey { case id, linkedTo = "linked_to", `case`, reasons }

    /// The same bytes `Reply.encoder` writes, by hand: every intake answers with one.
    var json: [UInt8] {
        var w = JSONWriter(capacity: 2048)
        w.beginObject()
        w.key("case"); w.write(self.case)
        w.key("id"); w.string(id)
        if let linkedTo { w.key("linked_to"); w.string(linkedTo) }
        w.key("reasons"); w.beginArray()
        for reason in reasons { w.string(reason) }
        w.endArray()
        w.endObject()
        return w.bytes
    }
}
