import CivicCases
import CivicHTTP
import CivicWire
import Foundation

/// The node's HTTP endpoints. Runs on the event loop; every read or write of cases goes through the store
/// and answers after it committed.
final class HTTPAPI: @unchecked Sendable {
    // Invariant: only used on the loop thread (the HTTP server calls `handle` there).
    private let node: MeshNode
    private let encoder = WireJSON.encoder()

    init(node: MeshNode) { self.node = node }

    /// One rule for answers: 404 for a path no endpoint has, 405 (with Allow) for a known path and another method.
    func handle(_ request: HTTPRequest, _ responder: HTTPResponder) {
        let parts = request.path.split(separator: "/").map(String.init)
        let method = request.method
        let allowed: [String]
        switch parts.count {
        case 1 where parts[0] == "healthz" || parts[0] == "status": allowed = ["GET"]
        case 2 where parts == ["api", "cases"]: allowed = ["GET", "POST"]
        case 3 where parts[0] == "api" && parts[1] == "cases": allowed = ["GET"]
        case 4 where parts[0] == "api" && parts[1] == "cases": allowed = ["POST"]
        default:
            return responder.send(APIError(404, "not_found", field: "path", "no endpoint \(Logger.clip(request.path, 200)); see GET /status, /healthz, /api/cases").response)
        }
        guard allowed.contains(method) else {
            var response = APIError(405, "method_not_allowed", field: "method", "\(method) is not allowed on \(Logger.clip(request.path, 200)); use \(allowed.joined(separator: " or "))").response
            response.headers.append(("Allow", allowed.joined(separator: ", ")))
            return responder.send(response)
        }
        switch (parts.count, method) {
        case (1, _) where parts[0] == "healthz":
            respond(responder, 200, HealthBody(status: "ok", node: node.config.id, tier: node.config.tier.rawValue))
        case (1, _): node.status { report in self.respond(responder, 200, report) }
        case (2, "POST"): intake(request, responder)
        case (2, _): list(request, responder)
        case (3, _): show(parts[2], responder)
        default: act(parts[3], on: parts[2], request, responder)
        }
    }

    private func show(_ id: String, _ responder: HTTPResponder) {
        let nodeId = node.config.id
        node.reader.read({ queries in try queries.caseWithHistory(id) }) { result in
            switch result {
            case .success(let found?): self.respond(responder, 200, found)
            case .success(nil): responder.send(APIError(404, "not_found", field: "id", "no case \(id) at \(nodeId)").response)
            case .failure(let error): responder.send(APIError.from(error).response)
            }
        }
    }

    private func act(_ verb: String, on id: String, _ request: HTTPRequest, _ responder: HTTPResponder) {
        let command: (CaseCommand, String)
        do throws(APIError) { command = try CaseRequests.command(verb, body: request.body) } catch { return responder.send(error.response) }
        let log = node.log
        node.store.run({ engine in try engine.perform(command.0, on: id, actor: command.1, at: Date()) }) { result in
            switch result {
            case .success(let c):
                log.info("case \(c.id) \(verb) by \(Logger.clip(command.1, 100)): now \(c.state.rawValue) at \(c.holder)")
                self.respond(responder, 200, CaseBody(case: c))
            case .failure(let error): responder.send(APIError.from(error).response)
            }
        }
    }

    private func intake(_ request: HTTPRequest, _ responder: HTTPResponder) {
        let defaultChannel: Channel = node.config.tier == .street ? .grid : .web
        let draft: CaseDraft
        do throws(APIError) { draft = try CaseRequests.draft(from: request.body, defaultChannel: defaultChannel) } catch { return responder.send(error.response) }
        let log = node.log
        node.store.run({ engine in try engine.intake(draft, at: Date()) }) { result in
            switch result {
            case .success(let receipt):
                log.info(receipt.linkedTo == nil ? "case \(receipt.case.id) created (\(draft.channel.rawValue)): \(receipt.case.state.rawValue) at \(receipt.case.holder)"
                                                 : "report via \(draft.channel.rawValue) linked to open case \(receipt.case.id)")
                let body = IntakeBody(id: receipt.case.id, linkedTo: receipt.linkedTo, case: receipt.case, reasons: receipt.reasons)
                self.respond(responder, receipt.linkedTo == nil ? 201 : 200, body)
            case .failure(let error):
                responder.send(APIError.from(error).response)
            }
        }
    }

    private func list(_ request: HTTPRequest, _ responder: HTTPResponder) {
        var limit = 50
        if let raw = request.query["limit"] {
            guard let v = Int(raw), (1...1000).contains(v) else {
                return responder.send(APIError(400, "bad_field", field: "limit", "limit must be an integer from 1 to 1000").response)
            }
            limit = v
        }
        let state = request.query["state"].flatMap { $0.isEmpty ? nil : $0 }
        if let state, CaseState(rawValue: state) == nil {
            return responder.send(APIError(400, "bad_field", field: "state", "state must be one of \(CaseState.allCases.map(\.rawValue).joined(separator: ", "))").response)
        }
        let holder = request.query["node"].flatMap { $0.isEmpty ? nil : $0 }
        let after = request.query["after"].flatMap { $0.isEmpty ? nil : $0 }
        if let after, Int(after) == nil {
            return responder.send(APIError(400, "bad_field", field: "after", "after must be the cursor a previous page returned").response)
        }
        let pageSize = limit
        node.reader.read({ queries in try queries.listCases(state: state, holder: holder, limit: pageSize, after: after) }) { result in
            switch result {
            case .success(let page): self.respond(responder, 200, ListBody(cases: page.cases, next: page.next))
            case .failure(let error): responder.send(APIError.from(error).response)
            }
        }
    }

    private func respond<T: Encodable>(_ responder: HTTPResponder, _ status: Int, _ body: T) {
        do {
            responder.send(.json(status, [UInt8](try encoder.encode(body))))
        } catch {
            responder.send(APIError(500, "internal", "cannot encode response: \(error)").response)
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
}
