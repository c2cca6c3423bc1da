import CivicCases
import CivicHTTP
import Foundation

/// `/api/cases`: intake, lists, one case with its history, and the actions on a case.
enum CaseRoutes {
    static func add(to cases: RouteGroup, _ services: NodeServices) {
        cases.on("POST", "") { request, _, responder in intake(request, responder, services) }
        cases.on("GET", "") { request, _, responder in list(request, responder, services) }
        cases.on("GET", "/:id") { _, context, responder in show(context[parameter: "id"] ?? "", responder, services) }
        cases.on("POST", "/:id/:action") { request, context, responder in
            act(context[parameter: "action"] ?? "", on: context[parameter: "id"] ?? "", request, responder, services)
        }
    }

    static func intake(_ request: HTTPRequest, _ responder: HTTPResponder, _ services: NodeServices) {
        let defaultChannel: Channel = services.config.tier == .street ? .grid : .web
        let draft: CaseDraft
        do throws(APIError) { draft = try CaseRequests.draft(from: request.body, defaultChannel: defaultChannel) } catch { return responder.send(error.response) }
        let log = services.log
        services.intakes.submit(draft) { result in
            switch result {
            case .success(let receipt):
                log.info(receipt.linkedTo == nil ? "case \(receipt.case.id) created (\(draft.channel.rawValue)): \(receipt.case.state.rawValue) at \(receipt.case.holder)"
                                                 : "report via \(draft.channel.rawValue) linked to open case \(receipt.case.id)")
                let body = IntakeBody(id: receipt.case.id, linkedTo: receipt.linkedTo, case: receipt.case, reasons: receipt.reasons)
                responder.send(.json(receipt.linkedTo == nil ? 201 : 200, body.json))
            case .failure(let error):
                Reply.error(responder, error)
            }
        }
    }

    static func list(_ request: HTTPRequest, _ responder: HTTPResponder, _ services: NodeServices) {
        var limit = 50
        if let raw = request.query["limit"] {
            guard let v = Int(raw), (1...1000).contains(v) else {
                return responder.send(APIError(400, "bad_field", field: "limit", "limit must be an integer from 1 to 1000").response)
            }
            limit = v
        }
        let state = request.query["state"].flatMap { $0.isEmpty ? nil : $0 }
        if let state, CaseState.known(state) == nil {
            return responder.send(APIError(400, "bad_field", field: "state", "state must be one of \(CaseState.allCases.map(\.rawValue).joined(separator: ", "))").response)
        }
        let holder = request.query["node"].flatMap { $0.isEmpty ? nil : $0 }
        let after = request.query["after"].flatMap { $0.isEmpty ? nil : $0 }
        if let after, Int(after) == nil {
            return responder.send(APIError(400, "bad_field", field: "after", "after must be the cursor a previous page returned").response)
        }
        let pageSize = limit
        services.reader.read({ queries in try queries.listCases(state: state, holder: holder, limit: pageSize, after: after) }) { result in
            Reply.result(responder, result.map { ListBody(cases: $0.cases, next: $0.next) })
        }
    }

    static func show(_ id: String, _ responder: HTTPResponder, _ services: NodeServices) {
        let nodeId = services.config.id
        services.reader.read({ queries in try queries.caseWithHistory(id) }) { result in
            switch result {
            case .success(let found?): Reply.json(responder, 200, found)
            case .success(nil): responder.send(APIError(404, "not_found", field: "id", "no case \(id) at \(nodeId)").response)
            case .failure(let error): Reply.error(responder, error)
            }
        }
    }

    static func act(_ verb: String, on id: String, _ request: HTTPRequest, _ responder: HTTPResponder, _ services: NodeServices) {
        let command: (CaseCommand, String)
        do throws(APIError) { command = try CaseRequests.command(verb, body: request.body) } catch { return responder.send(error.response) }
        let (log, clock) = (services.log, services.clock)
        services.store.run({ engine in try engine.perform(command.0, on: id, actor: command.1, at: clock.now()) }) { result in
            if case .success(let c) = result {
                log.info("case \(c.id) \(verb) by \(Logger.clip(command.1, 100)): now \(c.state.rawValue) at \(c.holder)")
            }
            Reply.result(responder, result.map { CaseBody(case: $0) })
        }
    }
}
