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
    public var children: [TopologyNode]

    public init(id: String, tier: Tier, name: String, codes: [String] = [], aliases: [String] = [], children: [TopologyNode] = []) {
        self.id = id
        self.tier = tier
        self.name = name
        self.codes = codes
        self.aliases = aliases
        self.children = children
    }

    enum CodingKeys: String, CodingKey { case id, tier, name, codes, aliases, children }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        tier = try c.decode(Tier.self, forKey: .tier)
        name = try c.decode(String.self, forKey: .name)
        codes = try c.decodeIfPresent([String].self, forKey: .codes) ?? []
        aliases = try c.decodeIfPresent([String].self, forKey: .aliases) ?? []
        children = try c.decodeIfPresent([TopologyNode].self, forKey: .children) ?? []
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

    public init(casePrefix: String, root: TopologyNode, catalogue: [String: [String: String]] = [:], deadlines: DeadlinePolicy? = nil, calendar: WorkCalendar.File? = nil) {
        self.casePrefix = casePrefix
        self.root = root
        self.catalogue = catalogue
        self.deadlines = deadlines
        self.calendar = calendar
    }

    enum CodingKeys: String, CodingKey { case casePrefix = "case_prefix", root, catalogue, deadlines, calendar }

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
            for c in n.children {
                if c.tier != n.tier.childTier {
                    out.append("node \(c.id) has tier \(c.tier.rawValue) but its parent \(n.id) is \(n.tier.rawValue)")
                }
                walk(c)
            }
        }
        walk(root)
        return out
    }
}
