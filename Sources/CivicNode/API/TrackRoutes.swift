import CivicCases
import CivicHTTP
import Foundation

/// Public tracking at the city (no token): `GET /track` serves the page; `POST /track/:id` with `{"phone"}`
/// answers the case's public view; `POST /track/:id/verdict` takes the citizen's own verdict. The phone number
/// travels in the body, never in a URL (logs and proxies keep URLs). Unknown case and wrong number answer the
/// same 404, so the endpoint does not tell which case ids exist; guessing is limited per address and per case.
enum TrackRoutes {
    struct PhoneBody: Decodable { var phone: String? }
    struct VerdictBody: Decodable {
        var phone: String?
        var satisfaction: String?
        var solved: Bool?
        var comment: String?
    }

    static func add(to router: HTTPRouter, _ services: NodeServices) {
        router.on("GET", "/track", name: Endpoint.trackPage.rawValue) { _, _, responder in
            guard atCity(services, responder) else { return }
            responder.send(HTTPResponse(status: 200, headers: [
                ("Content-Type", "text/html; charset=utf-8"),
                // The page is self-contained: its own script and style, requests only to this origin.
                ("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'"),
                ("Cache-Control", "no-store"), ("Referrer-Policy", "no-referrer"), ("X-Content-Type-Options", "nosniff"),
            ], body: Array(TrackPage.html.utf8)))
        }
        router.on("POST", "/track/:id", name: Endpoint.trackCase.rawValue) { request, context, responder in
            let id = context[parameter: "id"] ?? ""
            guard atCity(services, responder), let phone = phone(request, responder, services) else { return }
            withCase(id, phone: phone, request, responder, services) { view in Reply.json(responder, 200, view) }
        }
        router.on("POST", "/track/:id/verdict", name: Endpoint.trackVerdict.rawValue) { request, context, responder in
            let id = context[parameter: "id"] ?? ""
            guard atCity(services, responder) else { return }
            let body: VerdictBody
            do throws(APIError) { body = try CaseRequests.decode(VerdictBody.self, request.body) } catch { return responder.send(error.response) }
            guard let phone = body.phone, !phone.isEmpty else { return responder.send(APIError(422, "missing_field", field: "phone", "phone is required: the number the case was filed with, or its last four digits").response) }
            let satisfaction: Satisfaction
            do throws(APIError) { satisfaction = try CaseRequests.satisfaction(body.satisfaction) } catch { return responder.send(error.response) }
            guard admitted(request, responder, services) else { return }
            guard notLocked(id, responder, services) else { return }
            let verdict = Verdict(satisfaction: satisfaction, solved: body.solved, comment: body.comment, source: .citizen)
            let (clock, gate, log) = (services.clock, services.gate, services.log)
            services.store.run({ engine in
                // The number is checked again on the case as the writer holds it, in the same operation as the verdict.
                try engine.perform(.evaluate(verdict), on: id, actor: "citizen", at: clock.now()) { stored in
                    guard PhoneMatch.matches(typed: phone, filed: stored.citizen.phone) else { throw TrackMismatch() }
                }
            }) { result in
                switch result {
                case .success(let c):
                    log.info("case \(c.id): the citizen's verdict (\(satisfaction.rawValue)), now \(c.state.rawValue)")
                    withCase(id, phone: phone, request, responder, services) { view in Reply.json(responder, 200, view) }
                case .failure(let error as CaseRuleError) where error.code == .notFound:
                    refuse(id, responder, gate)
                case .failure(is TrackMismatch):
                    refuse(id, responder, gate)
                case .failure(let error):
                    Reply.error(responder, error)
                }
            }
        }
    }

    struct TrackMismatch: Error {}

    /// Only the city keeps every case whole and takes verdicts.
    static func atCity(_ services: NodeServices, _ responder: HTTPResponder) -> Bool {
        guard services.config.tier == .city else {
            responder.send(APIError(404, "not_found", field: "path", "public tracking is served by the city node, not by \(services.config.id)").response)
            return false
        }
        return true
    }

    static func phone(_ request: HTTPRequest, _ responder: HTTPResponder, _ services: NodeServices) -> String? {
        let body: PhoneBody
        do throws(APIError) { body = try CaseRequests.decode(PhoneBody.self, request.body) } catch { responder.send(error.response); return nil }
        guard let phone = body.phone, !phone.isEmpty else {
            responder.send(APIError(422, "missing_field", field: "phone", "phone is required: the number the case was filed with, or its last four digits").response)
            return nil
        }
        guard phone.count <= 32 else { responder.send(APIError(422, "bad_field", field: "phone", "phone is at most 32 characters").response); return nil }
        guard admitted(request, responder, services), notLocked(nil, responder, services) else { return nil }
        return phone
    }

    /// Requests per address (429 with Retry-After over the limit).
    static func admitted(_ request: HTTPRequest, _ responder: HTTPResponder, _ services: NodeServices) -> Bool {
        guard let wait = services.gate.trackPerAddress.take(request.source, now: Date().timeIntervalSince1970) else { return true }
        tooMany(responder, services.gate, wait, "address \(request.source) asks more often than public tracking allows")
        return false
    }

    /// A case whose number was mistyped too often answers nothing until its bucket refills.
    static func notLocked(_ id: String?, _ responder: HTTPResponder, _ services: NodeServices) -> Bool {
        guard let id, let wait = services.gate.trackFailuresPerCase.wait(id, now: Date().timeIntervalSince1970) else { return true }
        tooMany(responder, services.gate, wait, "too many wrong phone numbers for this case")
        return false
    }

    static func tooMany(_ responder: HTTPResponder, _ gate: AccessGate, _ wait: Double, _ why: String) {
        gate.trackRefused += 1
        let seconds = max(1, Int(wait.rounded(.up)))
        var response = APIError(429, "rate_limited", field: "rate", "\(why); retry after \(seconds) s").response
        response.headers.append(("Retry-After", String(seconds)))
        responder.send(response)
    }

    /// The same answer for an unknown case and a wrong number; a wrong number is charged to the case.
    static func refuse(_ id: String, _ responder: HTTPResponder, _ gate: AccessGate) {
        _ = gate.trackFailuresPerCase.take(id, now: Date().timeIntervalSince1970)
        gate.trackRefused += 1
        responder.send(APIError(404, "not_found", field: "id", "no case \(Logger.clip(id, 40)) filed with that phone number").response)
    }

    static func withCase(_ id: String, phone: String, _ request: HTTPRequest, _ responder: HTTPResponder, _ services: NodeServices,
                         _ answer: @escaping @Sendable (PublicCaseView) -> Void) {
        guard notLocked(id, responder, services) else { return }
        let (gate, unit) = (services.gate, services.unit)
        services.reader.read({ queries in try queries.caseWithHistory(id) }) { result in
            switch result {
            case .success(let found?) where PhoneMatch.matches(typed: phone, filed: found.case.citizen.phone):
                answer(PublicCaseView(found.case, history: found.history) { unit.find($0)?.name ?? $0 })
            case .success:
                refuse(id, responder, gate)
            case .failure(let error):
                Reply.error(responder, error)
            }
        }
    }
}
