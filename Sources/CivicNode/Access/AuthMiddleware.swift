import CivicCases
import CivicHTTP
import Foundation

/// Intake limits (config `intake_rate_per_token`, `intake_rate_per_address`; 0 turns one off) and what
/// the access checks refused since start (in `/status`). Loop-confined.
final class AccessGate: @unchecked Sendable {
    // Invariant: touched only on the loop thread.
    var perToken: RateLimiter<String>?
    var perAddress: RateLimiter<String>?
    var unauthorized = 0, forbidden = 0, rateLimited = 0
    /// Public tracking: requests per address, and wrong phone numbers per case (guessing a number's last four
    /// digits takes at most 10,000 tries; five a case and then one a minute makes that take days).
    var trackPerAddress = RateLimiter<String>(rate: 0.5, burst: 30)
    var trackFailuresPerCase = RateLimiter<String>(rate: 1.0 / 60, burst: 5)
    var trackRefused = 0
    let throttle = LogThrottle()

    init(perToken: Double, perAddress: Double) {
        self.perToken = perToken > 0 ? RateLimiter(rate: perToken, burst: max(10, perToken * 2)) : nil
        self.perAddress = perAddress > 0 ? RateLimiter(rate: perAddress, burst: max(10, perAddress * 2)) : nil
    }

    /// Seconds to wait, when one of the limits says no (both buckets are charged either way: a refused
    /// request still cost the node its parse).
    func intakeWait(token: String, source: String, now: Double) -> (Double, String)? {
        let a = perToken?.take(token, now: now)
        let b = perAddress?.take(source, now: now)
        if let a { return (a, "token \(token) sends more intake than its limit (intake_rate_per_token)") }
        if let b { return (b, "address \(source) sends more intake than its limit (intake_rate_per_address)") }
        return nil
    }
}

/// The one gate in front of every route: public endpoints pass; everything else needs a valid token (401
/// otherwise, with `WWW-Authenticate: Bearer`), whose role the access table must allow there (403 naming
/// the rule). Intake is rate-limited per token and per address (429 with `Retry-After`). Nothing runs
/// behind a refusal, so nothing changes.
struct AuthMiddleware: HTTPMiddleware {
    let authenticator: Authenticator
    let gate: AccessGate
    let log: Logger
    var throttle: LogThrottle { gate.throttle }

    func handle(_ request: HTTPRequest, _ context: RequestContext, _ responder: HTTPResponder,
                next: @escaping (HTTPRequest, RequestContext, HTTPResponder) -> Void) {
        let endpoint = context.endpoint.flatMap(Endpoint.init(rawValue:))
        if let endpoint, AccessRules.publicEndpoints.contains(endpoint) { return next(request, context, responder) }
        let principal: Principal
        switch authenticator.authenticate(request.header("authorization"), now: Date()) {
        case .failure(.unavailable(let detail)):
            if let line = throttle.pass("503", "cannot read the token table: \(detail)") { log.error(line) }
            return responder.send(APIError(503, "storage_error", field: "authorization", Authenticator.Failure.unavailable(detail).message).response)
        case .failure(let why):
            gate.unauthorized += 1
            if why != .missing, let line = throttle.pass("401", "refused \(request.method) \(context.route) from \(request.source): \(why.code)") { log.warning(line) }
            var response = APIError(401, why.code, field: "authorization", why.message).response
            let error = why == .missing ? "" : ", error=\"invalid_token\""
            response.headers.append(("WWW-Authenticate", "Bearer realm=\"civicmesh\"\(error)"))
            return responder.send(response)
        case .success(let p):
            principal = p
        }
        guard let endpoint else {
            // A route the table does not name is refused for everyone; no route at all is the router's 404/405.
            if context.endpoint != nil {
                gate.forbidden += 1
                return responder.send(APIError(403, "forbidden", field: "endpoint", "\(context.route) has no access rule").response)
            }
            return next(request, context, responder)
        }
        switch AccessRules.decide(endpoint, role: principal.role) {
        case .denied(let rule):
            gate.forbidden += 1
            if let line = throttle.pass("403", "forbade \(request.method) \(context.route) to token \(principal.name): \(rule)") { log.info(line) }
            responder.send(APIError(403, "forbidden", field: "role", rule).response)
        case .allowed(let reach):
            if endpoint == .intake, let (wait, why) = gate.intakeWait(token: principal.name, source: request.source, now: Date().timeIntervalSince1970) {
                gate.rateLimited += 1
                if let line = throttle.pass("429", why) { log.warning(line) }
                var response = APIError(429, "rate_limited", field: "rate", "\(why); retry after \(Int(wait.rounded(.up))) s").response
                response.headers.append(("Retry-After", String(max(1, Int(wait.rounded(.up))))))
                return responder.send(response)
            }
            context.identity = RequestAccess(principal: principal, endpoint: endpoint, reach: reach)
            next(request, context, responder)
        }
    }
}

extension RequestContext {
    /// The caller as `AuthMiddleware` established it; present on every route it let through.
    var access: RequestAccess? { identity as? RequestAccess }
}
