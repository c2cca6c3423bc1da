import CivicCases
import CivicHTTP
import Foundation

/// `/api/tokens` for the node's admin: list, create (the token is in the answer, once), revoke. The CLI's
/// `civicmesh token` does the same on the database file, with or without the node running.
enum TokenRoutes {
    struct CreateBody: Decodable { var role: String?; var unit: String?; var department: String?; var name: String?; var expires: String? }
    struct Created: Encodable { var token: String; var record: TokenRecord }
    struct Listed: Encodable {
        var tokens: [Entry]
        struct Entry: Encodable {
            var record: TokenRecord
            var state: String
            func encode(to encoder: any Encoder) throws {
                try record.encode(to: encoder)
                var c = encoder.container(keyedBy: Key.self)
                try c.encode(state, forKey: .state)
            }
            enum Key: String, CodingKey { case state }
        }
    }

    static func add(to tokens: RouteGroup, _ services: NodeServices) {
        tokens.on("GET", "", name: Endpoint.listTokens.rawValue) { _, _, responder in
            // A read: on the reader's connection, not queued behind the writer.
            services.reader.read({ queries in try TokenTable.list(queries.db) }) { result in
                let now = Date()
                Reply.result(responder, result.map { Listed(tokens: $0.map { Listed.Entry(record: $0, state: $0.state(at: now)) }) })
            }
        }
        tokens.on("POST", "", name: Endpoint.createToken.rawValue) { request, context, responder in
            let body: CreateBody
            do throws(APIError) { body = try CaseRequests.decode(CreateBody.self, request.body) } catch { return responder.send(error.response) }
            guard let raw = body.role else { return responder.send(APIError(422, "missing_field", field: "role", "role is required: one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))").response) }
            guard let role = Role(rawValue: raw) else {
                return responder.send(APIError(422, "bad_field", field: "role", "role must be one of \(Role.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(Logger.clip(raw, 40))\"").response)
            }
            guard let lifetime = TokenTable.parseLifetime(body.expires ?? "90d") else {
                return responder.send(APIError(422, "bad_field", field: "expires", "expires must be like 90d, 12h, 30m or never").response)
            }
            let bound = body.unit ?? services.config.id
            let (unit, node, log, by) = (body.department.map { "\(bound)/\($0)" } ?? bound, services.unit, services.log, context.access?.principal.name ?? "?")
            services.store.run({ engine in try TokenTable.create(engine.db, role: role, unit: unit, name: body.name, lifetime: lifetime, node: node, now: Date()) }) { result in
                if case .success(let issued) = result { log.info("token \(issued.record.name) (\(role.rawValue) of \(unit)) created by \(by)") }
                Reply.result(responder, result.map { Created(token: $0.token, record: $0.record) }, status: 201)
            }
        }
        tokens.on("DELETE", "/:name", name: Endpoint.revokeToken.rawValue) { _, context, responder in
            let name = context[parameter: "name"] ?? ""
            let (log, by) = (services.log, context.access?.principal.name ?? "?")
            services.store.run({ engine in try TokenTable.revoke(engine.db, name: name, now: Date()) }) { result in
                if case .success = result { log.info("token \(Logger.clip(name, 64)) revoked by \(by)") }
                Reply.result(responder, result)
            }
        }
    }
}
