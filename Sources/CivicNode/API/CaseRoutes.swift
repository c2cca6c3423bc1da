import CivicCases
import CivicHTTP
import CivicWire
import Foundation

/// `/api/cases`: intake, lists, one case with its history, and the actions on a case. Every handler runs
/// behind `AuthMiddleware`: `context.access` says who calls and how far its role reaches.
enum CaseRoutes {
    static let actions: [(verb: String, endpoint: Endpoint)] = [
        ("accept", .accept), ("progress", .progress), ("resolve", .resolve), ("return", .returnUp), ("assign", .assign), ("allow_return", .allowReturn),
        ("extend", .extend), ("approve_extension", .approveExtension), ("refuse_extension", .refuseExtension), ("supervise", .supervise), ("answer", .answer),
        ("verdict", .verdict), ("unreachable", .unreachable), ("check", .check), ("check_finding", .checkFinding),
        ("co_handle", .coHandle), ("summon", .summon), ("part_accept", .partAccept), ("part_answer", .partAnswer), ("part_release", .partRelease),
    ]

    static func add(to cases: RouteGroup, _ services: NodeServices) {
        cases.on("POST", "", name: Endpoint.intake.rawValue) { request, context, responder in intake(request, context, responder, services) }
        cases.on("GET", "", name: Endpoint.listCases.rawValue) { request, context, responder in list(request, context, responder, services) }
        cases.on("GET", "/:id", name: Endpoint.showCase.rawValue) { _, context, responder in show(context[parameter: "id"] ?? "", context, responder, services) }
        for (verb, endpoint) in actions {
            cases.on("POST", "/:id/\(verb)", name: endpoint.rawValue) { request, context, responder in
                act(verb, on: context[parameter: "id"] ?? "", request, context, responder, services)
            }
        }
        cases.on("POST", "/:id/:action", name: Endpoint.unknownAction.rawValue) { _, context, responder in
            let verb = Logger.clip(context[parameter: "action"] ?? "", 64)
            responder.send(APIError(404, "not_found", field: "action", "no action \"\(verb)\"; use \(actions.map(\.verb).joined(separator: ", "))").response)
        }
    }

    static func intake(_ request: HTTPRequest, _ context: RequestContext, _ responder: HTTPResponder, _ services: NodeServices) {
        guard let access = context.access else { return responder.send(APIError(401, "missing_token", "no caller").response) }
        let defaultChannel: Channel = services.config.tier == .street ? .grid : .web
        let draft: CaseDraft
        // 留痕 records who: the token, never a name the client typed.
        do throws(APIError) { draft = try CaseRequests.draft(from: request.body, defaultChannel: defaultChannel, actor: access.principal.name) } catch { return responder.send(error.response) }
        let log = services.log
        services.intakes.submit(draft) { result in
            switch result {
            case .success(let receipt):
                log.info(receipt.linkedTo == nil ? "case \(receipt.case.id) created (\(draft.channel.rawValue)) by \(access.principal.name): \(receipt.case.state.rawValue) at \(receipt.case.holder)"
                                                 : "report via \(draft.channel.rawValue) by \(access.principal.name) linked to open case \(receipt.case.id)",
                         ["case": receipt.case.id, "event": receipt.linkedTo == nil ? "created" : "linked"])
                let body = IntakeBody(id: receipt.case.id, linkedTo: receipt.linkedTo, case: access.view(receipt.case), reasons: receipt.reasons)
                responder.send(.json(receipt.linkedTo == nil ? 201 : 200, body.json))
            case .failure(let error):
                Reply.error(responder, error)
            }
        }
    }

    static func list(_ request: HTTPRequest, _ context: RequestContext, _ responder: HTTPResponder, _ services: NodeServices) {
        guard let access = context.access else { return responder.send(APIError(401, "missing_token", "no caller").response) }
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
        let asked = request.query["node"].flatMap { $0.isEmpty ? nil : $0 }
        let after = request.query["after"].flatMap { $0.isEmpty ? nil : $0 }
        if let after, Int(after) == nil {
            return responder.send(APIError(400, "bad_field", field: "after", "after must be the cursor a previous page returned").response)
        }
        // The caller's reach narrows the list to the holders it may see.
        let holders: [String]?
        switch ListScope.holders(access, asked: asked, me: services.unit) {
        case .failure(let denied): return responder.send(APIError(403, "forbidden", field: "node", denied.rule).response)
        case .success(let h): holders = h
        }
        let pageSize = limit
        // A handler bound to one department lists what that department holds (the page is filtered after the read).
        let department = access.principal.listsOnlyDepartment
        let mine: @Sendable ([Case]) -> [Case] = { cases in department.map { d in cases.filter { $0.holdingDepartment == d } } ?? cases }
        // ?overdue=true and ?due_before=TIME read the due-time index: open cases soonest due first, one page.
        var dueBefore: Date?
        if let raw = request.query["due_before"], !raw.isEmpty {
            guard let t = WireDate.parse(raw) else {
                return responder.send(APIError(400, "bad_field", field: "due_before", "due_before must be a time like 2026-12-04T08:00:00Z").response)
            }
            dueBefore = t
        }
        if let raw = request.query["overdue"], !raw.isEmpty {
            guard raw == "true" || raw == "false" else { return responder.send(APIError(400, "bad_field", field: "overdue", "overdue must be true or false").response) }
            if raw == "true" { dueBefore = min(dueBefore ?? .distantFuture, services.clock.now()) }
        }
        if let raw = request.query["parts"], !raw.isEmpty {
            guard raw == "true" || raw == "false" else { return responder.send(APIError(400, "bad_field", field: "parts", "parts must be true or false").response) }
            if raw == "true" {
                // The cases the caller's unit co-handles or is summoned to (held elsewhere), from the parts index.
                services.reader.read({ queries in try queries.casesWithOpenParts(units: holders, department: department, limit: pageSize) }) { result in
                    Reply.result(responder, result.map { ListBody(cases: $0.map(access.view), next: nil) })
                }
                return
            }
        }
        if let raw = request.query["supervised"], !raw.isEmpty {
            guard raw == "true" || raw == "false" else { return responder.send(APIError(400, "bad_field", field: "supervised", "supervised must be true or false").response) }
            if raw == "true" {
                // The supervision list: escalated, under an order, or waiting for an answer to a request for more time.
                services.reader.read({ queries in try queries.supervisedCases(holders: holders, limit: pageSize) }) { result in
                    Reply.result(responder, result.map { ListBody(cases: mine($0).map(access.view), next: nil) })
                }
                return
            }
        }
        if let dueBefore {
            services.reader.read({ queries in try queries.casesDue(before: dueBefore, holders: holders, limit: pageSize) }) { result in
                Reply.result(responder, result.map { ListBody(cases: mine($0).map(access.view), next: nil) })
            }
            return
        }
        services.reader.read({ queries in try queries.listCases(state: state, holders: holders, limit: pageSize, after: after) }) { result in
            Reply.result(responder, result.map { ListBody(cases: mine($0.cases).map(access.view), next: $0.next) })
        }
    }

    static func show(_ id: String, _ context: RequestContext, _ responder: HTTPResponder, _ services: NodeServices) {
        guard let access = context.access else { return responder.send(APIError(401, "missing_token", "no caller").response) }
        let (nodeId, unit) = (services.config.id, services.unit)
        services.reader.read({ queries in try queries.caseWithHistory(id) }) { result in
            switch result {
            case .success(let found?):
                do {
                    try access.authorize(found.case, at: unit, createdBy: found.history.first { $0.action == .created }?.actor)
                } catch {
                    return Reply.error(responder, error)
                }
                Reply.json(responder, 200, CaseWithHistory(case: access.view(found.case), history: found.history))
            case .success(nil): responder.send(APIError(404, "not_found", field: "id", "no case \(id) at \(nodeId)").response)
            case .failure(let error): Reply.error(responder, error)
            }
        }
    }

    static func act(_ verb: String, on id: String, _ request: HTTPRequest, _ context: RequestContext, _ responder: HTTPResponder, _ services: NodeServices) {
        guard let access = context.access else { return responder.send(APIError(401, "missing_token", "no caller").response) }
        let command: CaseCommand
        do throws(APIError) { command = try CaseRequests.command(verb, body: request.body) } catch { return responder.send(error.response) }
        let (log, clock, unit, actor) = (services.log, services.clock, services.unit, access.principal.name)
        services.store.run({ engine in
            try engine.perform(command, on: id, actor: actor, at: clock.now()) { stored in try access.authorize(stored, at: unit) }
        }) { result in
            if case .success(let c) = result {
                log.info("case \(c.id) \(verb) by \(actor): now \(c.state.rawValue) at \(c.holder)", ["case": c.id, "event": verb])
            }
            Reply.result(responder, result.map { CaseBody(case: access.view($0)) })
        }
    }
}

/// Which holders a list may show a caller: nil for all of this node's cases.
enum ListScope {
    static func holders(_ access: RequestAccess, asked: String?, me: TopologyNode) -> Result<[String]?, AccessDenied> {
        let p = access.principal
        switch access.reach {
        case .node:
            return .success(asked.map { [$0] })
        case .heldByUnit:
            if let asked, asked != p.unit { return .failure(AccessDenied(rule: "token \(p.name) lists only the cases \(p.unit) holds, not \(asked)'s")) }
            return .success([p.unit])
        case .subtree:
            guard let unit = me.find(p.unit) else { return .failure(AccessDenied(rule: "token \(p.name) is bound to \(p.unit), which is not in \(me.id)'s subtree")) }
            if let asked {
                guard unit.contains(asked) else { return .failure(AccessDenied(rule: "\(asked) is outside the subtree of \(p.unit) (token \(p.name))")) }
                return .success([asked])
            }
            return .success(unit.id == me.id ? nil : unit.allNodes.map(\.id))
        case .ownCases:
            return .failure(AccessDenied(rule: "token \(p.name) reads the cases it created one at a time (GET /api/cases/:id)"))
        }
    }
}
