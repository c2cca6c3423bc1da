import Foundation

/// Counters of one scope: cumulative totals plus open cases by state.
public struct Counters: Codable, Sendable, Equatable {
    public var received: Int = 0
    public var resolved: Int = 0
    public var returned: Int = 0
    /// Cases whose holder is in this scope, by current state (resolved ones included).
    public var byState: [String: Int] = [:]
    /// Time limits and supervision (`SupervisionCounts` names the keys): open cases near due, overdue, escalated,
    /// with an open order or a pending extension, and totals of warnings, escalations, extensions, on-time replies.
    public var supervision: [String: Int] = [:]
    /// The citizen's verdicts (`VerdictRules.totals` names the keys): satisfied, reopened, closed without a verdict…
    /// counted for the unit that resolved the case.
    public var verdicts: [String: Int] = [:]

    public init() {}

    enum CodingKeys: String, CodingKey { case received, resolved, returned, byState = "by_state", supervision, verdicts }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        received = try c.decodeIfPresent(Int.self, forKey: .received) ?? 0
        resolved = try c.decodeIfPresent(Int.self, forKey: .resolved) ?? 0
        returned = try c.decodeIfPresent(Int.self, forKey: .returned) ?? 0
        byState = try c.decodeIfPresent([String: Int].self, forKey: .byState) ?? [:]
        // Absent from a peer of an earlier release.
        supervision = try c.decodeIfPresent([String: Int].self, forKey: .supervision) ?? [:]
        verdicts = try c.decodeIfPresent([String: Int].self, forKey: .verdicts) ?? [:]
    }

    /// Satisfied and basically satisfied over all verdicts given (nil before the first); cases closed without a
    /// verdict are not verdicts and never count as satisfied.
    public var satisfactionRate: Double? {
        let given = (verdicts["satisfied"] ?? 0) + (verdicts["basically_satisfied"] ?? 0) + (verdicts["unsatisfied"] ?? 0)
        return given == 0 ? nil : Double((verdicts["satisfied"] ?? 0) + (verdicts["basically_satisfied"] ?? 0)) / Double(given)
    }
    /// Cases that wait for the citizen's verdict.
    public var awaitingVerdict: Int { byState[CaseState.resolved.rawValue] ?? 0 }

    public var open: Int { byState.filter { CaseState($0.key).isOpen }.values.reduce(0, +) }
    public var manualQueue: Int { byState[CaseState.pending.rawValue] ?? 0 }

    public subscript(key: String) -> Int {
        get {
            switch key {
            case "received": received
            case "resolved": resolved
            case "returned": returned
            default:
                key.hasPrefix("state.") ? byState[String(key.dropFirst(6))] ?? 0
                    : key.hasPrefix("sup.") ? supervision[String(key.dropFirst(4))] ?? 0
                    : key.hasPrefix("vd.") ? verdicts[String(key.dropFirst(3))] ?? 0 : 0
            }
        }
        // A key's place is spelled twice, here and in `add`; a set is the difference added.
        set { add(newValue - self[key], to: key) }
    }

    /// `self[key] += amount`, with the key read once instead of by the getter and again by the setter.
    public mutating func add(_ amount: Int, to key: String) {
        func add(to map: inout [String: Int], _ name: Substring) {
            let name = String(name)
            let value = (map[name] ?? 0) + amount
            map[name] = value == 0 ? nil : value
        }
        switch key {
        case "received": received += amount
        case "resolved": resolved += amount
        case "returned": returned += amount
        default:
            if key.hasPrefix("state.") { add(to: &byState, key.dropFirst(6)) }
            else if key.hasPrefix("sup.") { add(to: &supervision, key.dropFirst(4)) }
            else if key.hasPrefix("vd.") { add(to: &verdicts, key.dropFirst(3)) }
        }
    }
}

/// The two scopes every node reports: cases it holds itself, and cases held anywhere in its subtree.
public struct CounterSet: Codable, Sendable, Equatable {
    public var own: Counters
    public var subtree: Counters
    public init(own: Counters = Counters(), subtree: Counters = Counters()) { self.own = own; self.subtree = subtree }
    enum CodingKeys: String, CodingKey { case own = "self", subtree }
}

/// How one applied event moves the counters of the node applying it. Pure, so it is tested alone;
/// the engine stores the result in the same transaction as the event, so no status request ever scans cases.
public enum CounterRules {
    public struct Delta: Equatable, Sendable {
        public var scope: String  // "self" | "subtree"
        public var key: String
        public var amount: Int
    }

    /// - Parameters:
    ///   - before: the case's (state, holder) before the event, nil when the node did not know the case.
    ///   - inSubtree: whether a node id is this node or below it.
    public static func deltas(
        before: (state: CaseState, holder: String)?, event: CaseEvent, me: String, inSubtree: (String) -> Bool
    ) -> [Delta] {
        var out: [Delta] = []
        for scope in ["self", "subtree"] {
            func contains(_ id: String) -> Bool { scope == "self" ? id == me : inSubtree(id) }
            let wasIn = before.map { contains($0.holder) } ?? false
            let isIn = contains(event.holder)
            // A state this release does not know is counted as "other".
            func key(_ state: CaseState) -> String { "state." + (state.isKnown ? state.rawValue : "other") }
            if let before, wasIn { out.append(Delta(scope: scope, key: key(before.state), amount: -1)) }
            if isIn { out.append(Delta(scope: scope, key: key(event.state), amount: 1)) }
            if isIn && !wasIn { out.append(Delta(scope: scope, key: "received", amount: 1)) }
            if contains(event.node) {
                if event.action == .resolved { out.append(Delta(scope: scope, key: "resolved", amount: 1)) }
                if event.action == .returned { out.append(Delta(scope: scope, key: "returned", amount: 1)) }
            }
            // A verdict counts for the unit it judges: the holder, which resolved the case.
            if isIn { out += VerdictRules.totals(for: event).map { Delta(scope: scope, key: "vd." + $0, amount: 1) } }
        }
        return out
    }
}
