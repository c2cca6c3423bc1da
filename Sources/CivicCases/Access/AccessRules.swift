import Foundation

/// Who a bearer token speaks for: its name (the actor every change it makes records), its role and its unit.
public struct Principal: Sendable, Equatable {
    public var name: String
    public var role: Role
    /// The unit (a node id) the role is bound to: this node, or a unit in its subtree.
    public var unit: String
    /// A department of that unit the role is bound to (a handler of the district's 水务局): it reaches only the
    /// cases that department holds. nil: the whole unit.
    public var department: String?
    public init(name: String, role: Role, unit: String, department: String? = nil) {
        self.name = name; self.role = role; self.unit = unit; self.department = department
    }

    /// The department whose cases alone this principal's lists and streams show: a handler's, nil for the rest.
    public var listsOnlyDepartment: String? { role == .handler ? department : nil }

    /// A token's unit as stored: `node` or `node/department`.
    public init(name: String, role: Role, boundTo text: String) {
        let parts = text.split(separator: "/", maxSplits: 1)
        self.init(name: name, role: role, unit: parts.first.map(String.init) ?? text, department: parts.count == 2 ? String(parts[1]) : nil)
    }
}

public enum Role: String, CaseIterable, Codable, Sendable {
    /// The node's operator: tokens, configuration, everything the others may do at this node.
    case admin
    /// City or district operators: assign, return up, re-route, read the subtree's cases with personal data.
    case dispatcher
    /// Staff of a unit that handles cases: accept, progress, resolve, return the cases that unit holds.
    case handler
    /// Hotline seats, web and WeChat front-ends, integrators: create cases, read the cases they created.
    case intake
    /// Leaders and auditors: read status and the subtree's cases, personal data masked.
    case viewer
    /// Return-visit operators (回访) at the city: read the subtree's cases with the citizen's phone, record the
    /// verdict a call heard or that the citizen could not be reached.
    case revisit
}

/// Every endpoint of the HTTP API, as the access table names it. A route names its endpoint when it is
/// added; a route without an entry here is refused for everyone (a test walks every route and every cell).
public enum Endpoint: String, CaseIterable, Sendable {
    case health, status
    /// Prometheus text: a `viewer` token is what a scraper carries.
    case metrics
    case listCases = "list_cases", showCase = "show_case", intake
    /// Server-sent events of the cases the caller may list.
    case events
    case accept, progress, resolve, returnUp = "return", assign, allowReturn = "allow_return"
    /// Time limits: the holder asks for more time and answers supervision orders; a dispatcher above grants,
    /// refuses and issues them.
    case extend, approveExtension = "approve_extension", refuseExtension = "refuse_extension", supervise, answer
    /// The citizen's verdict at the city: a return visit records it (or that nobody answered); a dispatcher sends a
    /// case to the third-party check and records its finding.
    case verdict, unreachable, check, checkFinding = "check_finding"
    /// Co-handling and summonses: a dispatcher names co-handling units and releases them; the holding street
    /// summons departments above it; each part's unit signs for, answers or reports on its part.
    case coHandle = "co_handle", summon, partAccept = "part_accept", partAnswer = "part_answer", partRelease = "part_release"
    /// Public tracking (no token): the page, a case's public view, the citizen's own verdict (phone checked, rate-limited).
    case trackPage = "track_page", trackCase = "track_case", trackVerdict = "track_verdict"
    /// Open311 GeoReport v2 at the city: discovery, services and requests are public (no personal data in them);
    /// creating a request checks its `api_key` (an intake token) itself.
    case open311Read = "open311_read", open311Create = "open311_create"
    /// `POST /api/cases/:id/<not an action>`: answers 404 naming the actions.
    case unknownAction = "unknown_action"
    case listTokens = "list_tokens", createToken = "create_token", revokeToken = "revoke_token"
}

/// How far an allowed role reaches among the cases of the node it calls.
public enum Reach: String, Sendable {
    /// Everything at this node (the node's own operator).
    case node
    /// Cases held in the subtree of the token's unit.
    case subtree
    /// Cases the token's unit holds (its department, for a token bound to one).
    case heldByUnit = "held_by_unit"
    /// Cases this token created at this node.
    case ownCases = "own_cases"
}

public enum AccessDecision: Equatable, Sendable {
    case allowed(Reach)
    /// 403, with the rule that forbids it.
    case denied(String)
}

/// The access rules, pure and table-driven: endpoint × role → reach, then reach × case → allowed or why not.
public enum AccessRules {
    /// Endpoints anyone may call without a token.
    public static let publicEndpoints: Set<Endpoint> = [.health, .trackPage, .trackCase, .trackVerdict, .open311Read, .open311Create]

    /// The whole table. An absent role is forbidden.
    public static let table: [Endpoint: [Role: Reach]] = [
        .status: [.admin: .node, .dispatcher: .node, .handler: .node, .viewer: .node, .revisit: .node],
        .metrics: [.admin: .node, .dispatcher: .node, .viewer: .node],
        .listCases: [.admin: .node, .dispatcher: .subtree, .handler: .heldByUnit, .viewer: .subtree, .revisit: .subtree],
        .events: [.admin: .node, .dispatcher: .subtree, .handler: .heldByUnit, .viewer: .subtree, .revisit: .subtree],
        .showCase: [.admin: .node, .dispatcher: .subtree, .handler: .heldByUnit, .viewer: .subtree, .intake: .ownCases, .revisit: .subtree],
        .intake: [.admin: .node, .intake: .node],
        .accept: [.admin: .node, .handler: .heldByUnit],
        .progress: [.admin: .node, .handler: .heldByUnit],
        .resolve: [.admin: .node, .handler: .heldByUnit],
        .returnUp: [.admin: .node, .handler: .heldByUnit, .dispatcher: .subtree],
        .assign: [.admin: .node, .dispatcher: .subtree],
        .allowReturn: [.admin: .node, .dispatcher: .subtree],
        .extend: [.admin: .node, .handler: .heldByUnit],
        .approveExtension: [.admin: .node, .dispatcher: .subtree],
        .refuseExtension: [.admin: .node, .dispatcher: .subtree],
        .supervise: [.admin: .node, .dispatcher: .subtree],
        .answer: [.admin: .node, .handler: .heldByUnit],
        .coHandle: [.admin: .node, .dispatcher: .subtree],
        .summon: [.admin: .node, .handler: .heldByUnit, .dispatcher: .subtree],
        .partAccept: [.admin: .node, .handler: .heldByUnit],
        .partAnswer: [.admin: .node, .handler: .heldByUnit],
        .partRelease: [.admin: .node, .dispatcher: .subtree],
        .verdict: [.admin: .node, .revisit: .subtree],
        .unreachable: [.admin: .node, .revisit: .subtree],
        .check: [.admin: .node, .dispatcher: .subtree],
        .checkFinding: [.admin: .node, .dispatcher: .subtree],
        .unknownAction: [.admin: .node, .dispatcher: .node, .handler: .node, .intake: .node, .viewer: .node, .revisit: .node],
        .listTokens: [.admin: .node],
        .createToken: [.admin: .node],
        .revokeToken: [.admin: .node],
    ]

    /// Whether `role` may call `endpoint` at all, and how far it reaches.
    public static func decide(_ endpoint: Endpoint, role: Role) -> AccessDecision {
        if let reach = table[endpoint]?[role] { return .allowed(reach) }
        let allowed = Role.allCases.filter { table[endpoint]?[$0] != nil }.map(\.rawValue)
        return .denied("\(endpoint.rawValue) is for \(allowed.isEmpty ? "no role" : allowed.joined(separator: ", ")); a \(role.rawValue) token may not")
    }

    /// What the access check needs to know about one case.
    public struct CaseFacts: Sendable {
        public var id: String
        public var holder: String
        /// The actor of the case's `created` event, and the node where it was created.
        public var createdBy: String?
        public var intake: String
        /// The holder's department that holds the case, if one does.
        public var holdingDepartment: String?
        /// The units (and departments) with a co-handling part or a summons on the case: their handlers reach it too.
        public var partUnits: [(unit: String, department: String?)]
        public init(id: String, holder: String, createdBy: String?, intake: String, holdingDepartment: String? = nil,
                    partUnits: [(unit: String, department: String?)] = []) {
            self.id = id; self.holder = holder; self.createdBy = createdBy; self.intake = intake; self.holdingDepartment = holdingDepartment
            self.partUnits = partUnits
        }
    }

    /// nil when `principal`, reaching `reach` at node `me`, may touch the case; otherwise the rule it breaks.
    public static func check(_ reach: Reach, _ principal: Principal, at me: TopologyNode, _ c: CaseFacts) -> String? {
        switch reach {
        case .node:
            return nil
        case .subtree:
            guard let unit = me.find(principal.unit), unit.contains(c.holder) else {
                return "case \(c.id) is held by \(c.holder), outside the subtree of \(principal.unit) (token \(principal.name))"
            }
            return nil
        case .heldByUnit:
            if c.partUnits.contains(where: { $0.unit == principal.unit && (principal.department == nil || $0.department == principal.department) }) { return nil }
            guard c.holder == principal.unit else { return "case \(c.id) is held by \(c.holder), not by \(principal.unit) (token \(principal.name))" }
            if let department = principal.department, c.holdingDepartment != department {
                return "case \(c.id) is with \(c.holdingDepartment.map { "\(c.holder)'s \($0)" } ?? "\(c.holder) as a whole"), not with \(department) (token \(principal.name))"
            }
            return nil
        case .ownCases:
            return c.createdBy == principal.name && c.intake == me.id ? nil : "token \(principal.name) did not create case \(c.id)"
        }
    }

    /// Citizen name and phone in full: the node's admin, a dispatcher (within its reach), and a handler for
    /// the cases its unit holds. Everyone else sees them masked.
    public static func seesPersonalData(_ principal: Principal, holder: String) -> Bool {
        switch principal.role {
        case .admin, .dispatcher, .revisit: true
        case .handler: holder == principal.unit
        case .intake, .viewer: false
        }
    }
}
