import CivicCases
import CivicHTTP
import CivicNode
import Foundation
import TestSupport
import Testing

/// Access control over HTTP on a running city: every endpoint for every role, every way a token is
/// refused, revocation, reach, masking, the actor of a change and intake limits.
@Suite(.serialized) final class AccessControlTests: OnSampleCity {
    let sample: SampleCity
    var city: LocalCity { sample.city }

    init() throws { sample = try SampleCity("access") }

    func token(_ role: Role, at node: String = "city", unit: String? = nil, name: String? = nil) throws -> String {
        try NodeTokens.create(config: city.configs[node]!, role: role, unit: unit, name: name, lifetime: 3600).token
    }

    func base(_ node: String) -> String { "http://\(city.nodes[node]!.httpAddress)" }

    /// A case for the sample's first street, created by `intakeToken`.
    func newCase(_ intakeToken: String, phone: String = "13800000001") throws -> String {
        let r = try API.post(base("city") + "/api/cases", ["subject": "路灯不亮", "address": "东湖区湖滨街道", "category": "城乡建设",
                                                           "citizen_name": "张三", "citizen_phone": phone], token: intakeToken)
        #expect(r.status == 201, "\(r.text)")
        return try #require(r.string("id"))
    }

    /// One request per endpoint, as a client would make it.
    func call(_ endpoint: Endpoint, case id: String, token: String, at node: String = "city") throws -> JSONResponse {
        let url = base(node)
        switch endpoint {
        case .health: return try API.get(url + "/healthz", token: token)
        case .status: return try API.get(url + "/status", token: token)
        case .metrics: return try API.get(url + "/metrics", token: token)
        // A bad cursor answers 400 after the access check instead of opening a stream this helper would wait on.
        case .events: return try API.get(url + "/api/events?since=bad", token: token)
        case .listCases: return try API.get(url + "/api/cases", token: token)
        case .showCase: return try API.get(url + "/api/cases/\(id)", token: token)
        case .intake: return try API.post(url + "/api/cases", ["subject": "噪音扰民", "address": "南山区南门街道"], token: token)
        case .accept: return try API.post(url + "/api/cases/\(id)/accept", [:], token: token)
        case .progress: return try API.post(url + "/api/cases/\(id)/progress", ["note": "在办"], token: token)
        case .resolve: return try API.post(url + "/api/cases/\(id)/resolve", ["reply": "已修复"], token: token)
        case .returnUp: return try API.post(url + "/api/cases/\(id)/return", ["reason": "不归本单位"], token: token)
        case .assign: return try API.post(url + "/api/cases/\(id)/assign", ["target": "s990102001", "reason": "改派"], token: token)
        case .allowReturn: return try API.post(url + "/api/cases/\(id)/allow_return", ["reason": "可以退"], token: token)
        case .extend: return try API.post(url + "/api/cases/\(id)/extend", ["reason": "需协调"], token: token)
        case .approveExtension: return try API.post(url + "/api/cases/\(id)/approve_extension", ["until": "2030-01-01T00:00:00Z"], token: token)
        case .refuseExtension: return try API.post(url + "/api/cases/\(id)/refuse_extension", ["reason": "不予延期"], token: token)
        case .supervise: return try API.post(url + "/api/cases/\(id)/supervise", ["note": "请说明进展"], token: token)
        case .answer: return try API.post(url + "/api/cases/\(id)/answer", ["note": "已在办"], token: token)
        case .coHandle: return try API.post(url + "/api/cases/\(id)/co_handle", ["units": ["s990101002"], "note": "协办"], token: token)
        case .summon: return try API.post(url + "/api/cases/\(id)/summon", ["units": ["d990101/区城管局"], "note": "吹哨"], token: token)
        case .partAccept: return try API.post(url + "/api/cases/\(id)/part_accept", ["part": "x#1"], token: token)
        case .partAnswer: return try API.post(url + "/api/cases/\(id)/part_answer", ["part": "x#1", "note": "已办"], token: token)
        case .partRelease: return try API.post(url + "/api/cases/\(id)/part_release", ["part": "x#1", "reason": "不需要"], token: token)
        case .verdict: return try API.post(url + "/api/cases/\(id)/verdict", ["satisfaction": "satisfied"], token: token)
        case .unreachable: return try API.post(url + "/api/cases/\(id)/unreachable", ["note": "无人接听"], token: token)
        case .check: return try API.post(url + "/api/cases/\(id)/check", ["reason": "核查"], token: token)
        case .checkFinding: return try API.post(url + "/api/cases/\(id)/check_finding", ["upheld": true, "finding": "属实"], token: token)
        case .trackPage: return try API.get(url + "/track", token: token)
        case .trackCase: return try API.post(url + "/track/\(id)", ["phone": "13800000001"], token: token)
        // The case is not resolved: a phone that matches gets past the gate to the workflow's 409.
        case .trackVerdict: return try API.post(url + "/track/\(id)/verdict", ["phone": "0001", "satisfaction": "satisfied"], token: token)
        case .open311Read: return try API.get(url + "/open311/v2/services.json", token: token)
        // Without an api_key: the spec's 403, answered by the route itself (public to the gate).
        case .open311Create: return try API.request("POST", url + "/open311/v2/requests.json", raw: Array("service_code=x".utf8), token: token)
        case .unknownAction: return try API.post(url + "/api/cases/\(id)/teleport", [:], token: token)
        case .listTokens: return try API.get(url + "/api/tokens", token: token)
        case .createToken: return try API.post(url + "/api/tokens", ["role": "viewer"], token: token)
        case .revokeToken: return try API.request("DELETE", url + "/api/tokens/nobody", token: token)
        }
    }

    @Test func everyRouteNamesAnEndpointOfTheTable() {
        let routes = city.nodes["city"]!.routeTable
        let named = Set(routes.compactMap { $0.name.flatMap(Endpoint.init(rawValue:)) })
        #expect(routes.allSatisfy { $0.name.flatMap(Endpoint.init(rawValue:)) != nil }, "unnamed routes: \(routes.filter { $0.name == nil }.map(\.template))")
        #expect(named == Set(Endpoint.allCases), "every endpoint of the table has its route")
    }

    @Test func theWholeRoleTableHoldsOverHTTP() throws {
        let web = try token(.intake, name: "web")
        let id = try newCase(web)
        let tokens: [Role: String] = [.admin: try token(.admin), .dispatcher: try token(.dispatcher), .handler: try token(.handler),
                                      .intake: web, .viewer: try token(.viewer), .revisit: try token(.revisit)]
        for endpoint in Endpoint.allCases {
            for role in Role.allCases {
                let r = try call(endpoint, case: id, token: tokens[role]!)
                let refused = r.status == 403 && r.string("error", "field") == "role"
                if AccessRules.publicEndpoints.contains(endpoint) {
                    #expect(r.status == [Endpoint.trackVerdict: 409, .open311Create: 403][endpoint, default: 200], "\(endpoint) is public: \(r.status) \(r.text)")
                    continue
                }
                switch AccessRules.decide(endpoint, role: role) {
                case .allowed:
                    #expect(!refused && r.status != 401, "\(role) may call \(endpoint): \(r.status) \(r.text)")
                case .denied(let rule):
                    #expect(refused && r.string("error", "code") == "forbidden" && r.string("error", "message") == rule, "\(role) may not call \(endpoint): \(r.status) \(r.text)")
                }
            }
        }
        // Without a token only the public endpoint answers.
        for endpoint in Endpoint.allCases {
            let r = try call(endpoint, case: id, token: "")
            #expect(AccessRules.publicEndpoints.contains(endpoint) ? r.status == [Endpoint.trackVerdict: 409, .open311Create: 403][endpoint, default: 200] : r.status == 401, "\(endpoint) without a token: \(r.status)")
        }
    }

    @Test func everyBadTokenIs401WithWWWAuthenticateAndChangesNothing() throws {
        let admin = try token(.admin)
        let id = try newCase(try token(.intake))
        let expired = try NodeTokens.create(config: city.configs["city"]!, role: .admin, unit: nil, name: "old", lifetime: 60, now: Date().addingTimeInterval(-3600)).token
        let revoked = try token(.admin, name: "gone")
        _ = try NodeTokens.revoke(config: city.configs["city"]!, name: "gone")
        let cases: [(header: String?, code: String)] = [
            (nil, "missing_token"), ("Basic YWRtaW46YWRtaW4=", "malformed_token"), ("Bearer", "malformed_token"),
            ("Bearer cmt_" + String(repeating: "0", count: 64), "unknown_token"), ("Bearer \(admin)x", "unknown_token"),
            ("Bearer \(expired)", "expired_token"), ("Bearer \(revoked)", "revoked_token"),
        ]
        for c in cases {
            let r = try HTTPClient.send(method: "POST", url: base("city") + "/api/cases/\(id)/assign", body: Array(#"{"target":"s990102001"}"#.utf8),
                                        headers: c.header.map { ["Authorization": $0] } ?? [:])
            #expect(r.status == 401 && r.text.contains(c.code), "\(c.header ?? "none"): \(r.status) \(r.text)")
            #expect(r.headers.first { $0.key.lowercased() == "www-authenticate" }?.value.hasPrefix("Bearer") == true, "\(r.headers)")
        }
        #expect(try API.get(base("city") + "/api/cases/\(id)", token: admin).string("case", "holder") == "s990101001", "nothing changed")
        let status = try API.get(base("city") + "/status", token: admin)
        #expect((status.object("access")?["unauthorized"] as? Int ?? 0) >= cases.count)
    }

    @Test func revocationCountsFromTheNextRequestByCLIOrHTTP() throws {
        let admin = try token(.admin)
        let viewer = try token(.viewer, name: "auditor")
        #expect(try API.get(base("city") + "/status", token: viewer).status == 200)
        // The CLI, on the running node's database file.
        let path = sample.dir.file("city-config.json")
        try ConfigGenerator.write(city.configs["city"]!, to: path)
        let revoke = try CivicProcess(["token", "revoke", "--config", path, "auditor"], log: sample.dir.file("revoke.log"))
        #expect(revoke.wait() == 0, "\(revoke.output)")
        #expect(try API.get(base("city") + "/status", token: viewer).status == 401)
        // Over HTTP, by the admin: create one, see it listed (never the token), revoke it.
        let created = try API.post(base("city") + "/api/tokens", ["role": "viewer", "name": "leader", "expires": "30d"], token: admin)
        #expect(created.status == 201, "\(created.text)")
        let fresh = try #require(created.string("token"))
        #expect(try API.get(base("city") + "/status", token: fresh).status == 200)
        let listed = try API.get(base("city") + "/api/tokens", token: admin)
        #expect(listed.array("tokens")?.contains { $0["name"] as? String == "leader" && $0["state"] as? String == "active" } == true)
        #expect(!listed.text.contains(fresh) && !listed.text.contains(TokenTable.hash(fresh)), "neither the token nor its hash is listed")
        #expect(try API.request("DELETE", base("city") + "/api/tokens/leader", token: admin).status == 200)
        #expect(try API.get(base("city") + "/status", token: fresh).status == 401)
        #expect(try API.post(base("city") + "/api/tokens", ["role": "viewer", "name": "leader"], token: admin).status == 409, "a name is never reused")
        #expect(try API.post(base("city") + "/api/tokens", ["role": "king"], token: admin).string("error", "field") == "role")
        #expect(try API.post(base("city") + "/api/tokens", ["role": "viewer", "unit": "nowhere"], token: admin).string("error", "field") == "unit")
    }

    @Test func reachKeepsEachRoleToItsCases() throws {
        let id = try newCase(try token(.intake, name: "hotline"))  // held by s990101001, in d990101
        let otherDistrictViewer = try token(.viewer, unit: "d990102")
        let r = try API.get(base("city") + "/api/cases/\(id)", token: otherDistrictViewer)
        #expect(r.status == 403 && r.string("error", "field") == "scope", "\(r.text)")
        #expect(try API.get(base("city") + "/api/cases", token: otherDistrictViewer).array("cases")?.contains { $0["id"] as? String == id } == false)
        #expect(try API.get(base("city") + "/api/cases?node=s990101001", token: otherDistrictViewer).status == 403)
        let ownViewer = try token(.viewer, unit: "d990101")
        #expect(try API.get(base("city") + "/api/cases", token: ownViewer).array("cases")?.contains { $0["id"] as? String == id } == true)
        // An intake token reads what it created, not what another front-end did.
        #expect(try API.get(base("city") + "/api/cases/\(id)", token: try token(.intake, name: "wechat")).status == 403)
        #expect(try API.get(base("city") + "/api/cases/\(id)", token: try token(.intake, name: "hotline-2")).status == 403)
        // A handler acts on what its unit holds, at its own node.
        #expect(eventually { (try? self.city.nodes["s990101001"]!.caseWithHistory(id)) != nil })
        let otherStreet = try token(.handler, at: "s990101001", unit: "s990101001", name: "street-staff")
        let accepted = try API.post(base("s990101001") + "/api/cases/\(id)/accept", [:], token: otherStreet)
        #expect(accepted.status == 200, "\(accepted.text)")
        let dispatcherOfD2 = try token(.dispatcher, unit: "d990102")
        let recall = try API.post(base("city") + "/api/cases/\(id)/assign", ["target": "s990102001", "reason": "改派"], token: dispatcherOfD2)
        #expect(recall.status == 403 && recall.string("error", "field") == "scope", "a dispatcher of another district may not re-route it: \(recall.text)")
    }

    @Test func personalDataIsMaskedForThoseWhoMayNotSeeIt() throws {
        let web = try token(.intake, name: "web-portal")
        let created = try API.post(base("city") + "/api/cases", ["subject": "路灯不亮", "address": "东湖区湖滨街道", "category": "城乡建设",
                                                                 "citizen_name": "张三", "citizen_phone": "13800000001"], token: web)
        #expect(created.string("case", "citizen", "phone") == "138****0001" && created.string("case", "citizen", "name") == "张*", "\(created.text)")
        let id = try #require(created.string("id"))
        func phone(_ t: String, at node: String = "city") throws -> String? { try API.get(base(node) + "/api/cases/\(id)", token: t).string("case", "citizen", "phone") }
        #expect(try phone(try token(.admin)) == "13800000001")
        #expect(try phone(try token(.dispatcher)) == "13800000001")
        #expect(try phone(try token(.viewer)) == "138****0001")
        #expect(try phone(web) == "138****0001")
        let listed = try API.get(base("city") + "/api/cases", token: try token(.viewer))
        #expect(!listed.text.contains("13800000001") && listed.text.contains("138****0001"))
        #expect(eventually { (try? self.city.nodes["s990101001"]!.caseWithHistory(id)) != nil })
        #expect(try phone(try token(.handler, at: "s990101001"), at: "s990101001") == "13800000001", "the street that holds it calls the citizen")
    }

    @Test func theActorIsTheTokenNotWhatTheClientTyped() throws {
        let id = try newCase(try token(.intake, name: "hotline-seat-7"))
        let dispatcher = try token(.dispatcher, name: "dispatcher-li")
        let assigned = try API.post(base("city") + "/api/cases/\(id)/assign", ["target": "s990102001", "reason": "改派", "actor": "somebody else"], token: dispatcher)
        #expect(assigned.status == 200, "\(assigned.text)")
        let history = try #require(try city.nodes["city"]!.caseWithHistory(id)).1
        #expect(history.first { $0.action == .created }?.actor == "hotline-seat-7")
        #expect(history.last { $0.action == .recallRequested || $0.action == .assigned }?.actor == "dispatcher-li", "\(history.map { "\($0.action.rawValue):\($0.actor)" })")
        #expect(!history.contains { $0.actor == "somebody else" })
    }
}

/// Intake limits on a node of its own, with small limits: 429 with Retry-After, per token and per address.
@Suite struct IntakeRateLimitTests {
    @Test func oneBrokenFrontEndCannotDrownTheCity() throws {
        let dir = TempDirectory("ratelimit")
        var config = loneNodeConfig(in: dir)
        config.intakeRatePerToken = 2   // bursts of 10
        config.intakeRatePerAddress = 1000
        let node = try MeshNode(config: config, logLevel: .error)
        defer { node.stop() }
        let flood = try NodeTokens.create(config: config, role: .intake, unit: nil, name: "broken-frontend", lifetime: 3600).token
        let other = try NodeTokens.create(config: config, role: .intake, unit: nil, name: "hotline", lifetime: 3600).token
        let url = "http://\(node.httpAddress)/api/cases"
        var statuses: [Int] = []
        var retryAfter: String?
        for i in 0..<25 {
            let r = try HTTPClient.send(method: "POST", url: url, body: Array(#"{"subject":"测试\#(i)","address":"南山区南门街道"}"#.utf8),
                                        headers: ["Authorization": "Bearer \(flood)", "Content-Type": "application/json"])
            statuses.append(r.status)
            if r.status == 429 { retryAfter = r.headers.first { $0.key.lowercased() == "retry-after" }?.value }
        }
        #expect(statuses.filter { $0 == 201 || $0 == 200 }.count >= 10 && statuses.filter { $0 == 429 }.count >= 10, "\(statuses)")
        #expect(retryAfter.flatMap(Int.init).map { $0 >= 1 } == true, "Retry-After in seconds: \(retryAfter ?? "none")")
        let r = try HTTPClient.send(method: "POST", url: url, body: Array(#"{"subject":"别的前端","address":"南山区南门街道"}"#.utf8),
                                    headers: ["Authorization": "Bearer \(other)", "Content-Type": "application/json"])
        #expect(r.status == 201, "another token still gets through: \(r.text)")
    }
}
