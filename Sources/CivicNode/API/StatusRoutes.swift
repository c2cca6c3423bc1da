import CivicCases
import CivicHTTP

/// `GET /healthz`, `GET /status` and `GET /metrics` (Prometheus).
enum StatusRoutes {
    static func add(to router: HTTPRouter, _ services: NodeServices) {
        let health = HealthBody(status: "ok", node: services.config.id, tier: services.config.tier.rawValue)
        var draining = health
        draining.status = "draining"
        router.on("GET", "/healthz", name: Endpoint.health.rawValue) { [drain = services.drain] _, _, responder in
            // A readiness probe takes the node out of service while it drains.
            drain.draining ? Reply.json(responder, 503, draining) : Reply.json(responder, 200, health)
        }
        router.on("GET", "/status", name: Endpoint.status.rawValue) { _, _, responder in services.status { report in Reply.json(responder, 200, report) } }
        router.on("GET", "/metrics", name: Endpoint.metrics.rawValue) { _, _, responder in
            responder.send(HTTPResponse(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")], body: Array(services.metrics().utf8)))
        }
    }
}
