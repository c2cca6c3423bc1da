import Foundation

/// The three tiers of the mesh. The tier is configuration, never a different binary.
public enum Tier: String, Codable, Sendable, CaseIterable, Comparable {
    case city, district, street

    /// The tier a node of this tier has as children, if any.
    public var childTier: Tier? {
        switch self {
        case .city: return .district
        case .district: return .street
        case .street: return nil
        }
    }

    /// How many tiers are above this one (0 for the city).
    public var depth: Int { switch self { case .city: 0; case .district: 1; case .street: 2 } }
    public static func < (a: Tier, b: Tier) -> Bool { a.depth < b.depth }
}

/// One unit of the administrative tree: the city, a district or a street office.
public struct TopologyNode: Codable, Sendable, Equatable {
    public var id: String
    public var tier: Tier
    public var name: String
    /// Official division codes this unit covers (e.g. "420102" for a district, "420102002" for a street).
    public var codes: [String]
    /// Extra names people use for the place, beyond the ones derived from `name`.
    public var aliases: [String]
    /// The unit's departments (a district's 城管局, 水务局…; a street's 城建科…): each may hold, sign for, handle,
    /// resolve and return cases at this node. The topology adds the catalogue's departments for the unit's tier.
    public var departments: [String]
    public var children: [TopologyNode]

    public init(id: String, tier: Tier, name: String, codes: [String] = [], aliases: [String] = [], departments: [String] = [], children: [TopologyNode] = []) {
        self.id = id
        self.tier = tier
        self.name = name
        self.codes = codes
        self.aliases = aliases
        self.departments = departments
        self.children = children
    }

    enum CodingKeys: String, CodingKey { case id, tier, name, codes, aliases, departments, children }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        tier = try c.decode(Tier.self, forKey: .tier)
        name = try c.decode(String.self, forKey: .name)
        codes = try c.decodeIfPresent([String].self, forKey: .codes) ?? []
        aliases = try c.decodeIfPresent([String].self, forKey: .aliases) ?? []
        departments = try c.decodeIfPresent([String].self, forKey: .departments) ?? []
        children = try c.decodeIfPresent([TopologyNode].self, forKey: .children) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(tier, forKey: .tier)
        try c.encode(name, forKey: .name)
        try c.encode(codes, forKey: .codes)
        try c.encode(aliases, forKey: .aliases)
        if !departments.isEmpty { try c.encode(departments, forKey: .departments) }
        try c.encode(children, forKey: .children)
    }

    public func hasDepartment(_ name: String) -> Bool { departments.contains(name) }

    /// The node of this subtree at `tier` on the way down to `id` (the district of a street…).
    public func ancestor(of id: String, at tier: Tier) -> TopologyNode? {
        guard let path = path(to: id) else { return nil }
        return path.lazy.compactMap { find($0) }.first { $0.tier == tier }
    }

    /// Every node of this subtree, depth first, this node first.
    public var allNodes: [TopologyNode] {
        var out = [self]
        for child in children { out.append(contentsOf: child.allNodes) }
        return out
    }

    public func find(_ id: String) -> TopologyNode? {
        if self.id == id { return self }
        for child in children { if let hit = child.find(id) { return hit } }
        return nil
    }

    /// The ids from this node down to `id` (inclusive of both ends), or nil when `id` is not in this subtree.
    public func path(to id: String) -> [String]? {
        if self.id == id { return [id] }
        for child in children {
            if let rest = child.path(to: id) { return [self.id] + rest }
        }
        return nil
    }

    public func contains(_ id: String) -> Bool { path(to: id) != nil }
}

/// A whole city: the tree of units plus city-wide settings.
public struct Topology: Codable, Sendable, Equatable {
    /// Prefix of case ids, e.g. "WH" gives WH-20261121-000123.
    public var casePrefix: String
    public var root: TopologyNode
    /// Category → responsible department per tier (`topology import` and the sample fill it; empty means none).
    public var catalogue: [String: [String: String]]
    /// The city's time limits (`DeadlinePolicy`); nil: the sample policy.
    public var deadlines: DeadlinePolicy?
    /// The working-day calendar, in the calendar file's shape; nil: mainland China 2026 (built in).
    public var calendar: WorkCalendar.File?
    /// Category → the tier whose department handles it (`"劳动和社会保障": "district"`): a case placed at a street
    /// goes to that department of the street's district (or of the city) instead. A category not named here is
    /// handled by the unit the place names.
    public var handledAt: [String: Tier]

    public init(casePrefix: String, root: TopologyNode, catalogue: [String: [String: String]] = [:], deadlines: DeadlinePolicy? = nil,
                calendar: WorkCalendar.File? = nil, handledAt: [String: Tier] = [:]) {
        self.casePrefix = casePrefix
        self.root = root
        self.catalogue = catalogue
        self.deadlines = deadlines
        self.calendar = calendar
        self.handledAt = handledAt
        self.root = Self.withCatalogueDepartments(root, catalogue)
    }

    enum CodingKeys: String, CodingKey { case casePrefix = "case_prefix", root, catalogue, deadlines, calendar, handledAt = "handled_at" }

    /// Every unit gets the catalogue's departments for its tier, after its own.
    static func withCatalogueDepartments(_ node: TopologyNode, _ catalogue: [String: [String: String]]) -> TopologyNode {
        var n = node
        for name in catalogue.keys.sorted().compactMap({ catalogue[$0]?[node.tier.rawValue] }) where !n.departments.contains(name) { n.departments.append(name) }
        n.children = node.children.map { withCatalogueDepartments($0, catalogue) }
        return n
    }

    /// The unit and department that handle a case of `category` placed at `placed`: the catalogue's department
    /// of the tier `handled_at` names, when that tier is the placed unit's or above it; nil when the place decides
    /// alone (no `handled_at` entry, or a tier below what the place knows).
    public func handlingUnit(for category: String, placedAt placed: String) -> (unit: String, department: String)? {
        guard let tier = handledAt[category], let unit = find(placed), tier <= unit.tier,
              let handler = root.ancestor(of: placed, at: tier), let department = catalogue[category]?[tier.rawValue] else { return nil }
        return (handler.id, department)
    }

    /// The clocks every node of this city counts with.
    public func deadlineClock() throws(CalendarError) -> DeadlineRules.Clock {
        let workCalendar: WorkCalendar
        if let calendar { workCalendar = try WorkCalendar(file: calendar) } else { workCalendar = .china2026 }
        return DeadlineRules.Clock(policy: deadlines ?? .sample, calendar: workCalendar)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        casePrefix = try c.decode(String.self, forKey: .casePrefix)
        root = try c.decode(TopologyNode.self, forKey: .root)
        catalogue = try c.decodeIfPresent([String: [String: String]].self, forKey: .catalogue) ?? [:]
        deadlines = try c.decodeIfPresent(DeadlinePolicy.self, forKey: .deadlines)
        calendar = try c.decodeIfPresent(WorkCalendar.File.self, forKey: .calendar)
        handledAt = try c.decodeIfPresent([String: Tier].self, forKey: .handledAt) ?? [:]
        root = Self.withCatalogueDepartments(root, catalogue)
    }

    public var allNodes: [TopologyNode] { root.allNodes }
    public func find(_ id: String) -> TopologyNode? { root.find(id) }

    /// The parent id of `id`, nil for the root or an unknown id.
    public func parent(of id: String) -> String? {
        guard let path = root.path(to: id), path.count >= 2 else { return nil }
        return path[path.count - 2]
    }

    /// Checks the tree is well formed; returns one message per problem.
    public func problems() -> [String] {
        var out: [String] = []
        if casePrefix.isEmpty || !casePrefix.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
            out.append("case_prefix must be non-empty ASCII letters/digits, got \"\(casePrefix)\"")
        }
        if root.tier != .city { out.append("root node \(root.id) must have tier city, has \(root.tier.rawValue)") }
        var seen = Set<String>()
        func walk(_ n: TopologyNode) {
            if n.id.isEmpty || !n.id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
                out.append("node id \"\(n.id)\" must be ASCII letters, digits, - or _")
            }
            if !seen.insert(n.id).inserted { out.append("node id \(n.id) appears twice") }
            if Set(n.departments).count != n.departments.count { out.append("node \(n.id) names a department twice") }
            for d in n.departments where d.isEmpty || d.contains("/") { out.append("node \(n.id) has a department named \"\(d)\": names are non-empty and have no /") }
            for c in n.children {
                if c.tier != n.tier.childTier {
                    out.append("node \(c.id) has tier \(c.tier.rawValue) but its parent \(n.id) is \(n.tier.rawValue)")
                }
                walk(c)
            }
        }
        walk(root)
        for (category, tier) in handledAt.sorted(by: { $0.key < $1.key }) where catalogue[category]?[tier.rawValue] == nil {
            out.append("handled_at says \(category) is handled at the \(tier.rawValue) level, but the catalogue names no \(tier.rawValue) department for it")
        }
        return out
    }
}
