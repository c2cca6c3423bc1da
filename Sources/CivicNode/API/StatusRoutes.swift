import CivicCases
import CivicHTTP

/// `GET /healthz` and `GET /status`.
enum StatusRoutes {
    static func add(to router: HTTPRouter, _ services: NodeServices) {
        let health = HealthBody(status: "ok", node: services.config.id, tier: services.config.tier.rawValue)
        router.on("GET", "/healthz", name: Endpoint.health.rawValue) { _, _, responder in Reply.json(responder, 200, health) }
        router.on("GET", "/status", name: Endpoint.status.rawValue) { _, _, responder in services.status { report in Reply.json(responder, 200, report) } }
    }
}
