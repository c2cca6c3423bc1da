import Foundation

/// Where a routing rule places a case inside a node's subtree (what the place rules found).
public struct Placement: Sendable, Equatable {
    /// The unit chosen, nil when no rule could place the case.
    public var target: String?
    /// Units that fit equally well (ambiguous) — shown to the operator.
    public var candidates: [String]
    public var reason: String
    /// The department of `target` that handles the case (the catalogue's, where `handled_at` sends the topic to a
    /// tier's department); nil when the unit as a whole has it (a street) or routes it further down.
    public var department: String?
    public init(target: String?, candidates: [String] = [], reason: String, department: String? = nil) {
        self.target = target; self.candidates = candidates; self.reason = reason; self.department = department
    }
}

/// Routing at a node, pure: a placement and the case's history of returns → dispatch down or queue for an
/// operator. Nothing is guessed, and a case never goes back into the subtree of a unit that returned it.
public enum RoutingRules {
    public enum Decision: Equatable, Sendable {
        case dispatch(target: String, path: [String], reason: String, department: String? = nil)
        case queue(reason: String, candidates: [String])
    }

    public static func decide(_ placement: Placement, returners: Set<String>, me: TopologyNode) -> Decision {
        guard let target = placement.target else { return .queue(reason: placement.reason, candidates: placement.candidates) }
        if let returner = returners.sorted().first(where: { me.find($0)?.contains(target) ?? false }) {
            return .queue(reason: "\(placement.reason); but \(returner) returned the case, so an operator decides", candidates: [])
        }
        // A department of this very node may be the one: the case goes to it here (no route down).
        if target == me.id, let department = placement.department { return .dispatch(target: target, path: [target], reason: placement.reason, department: department) }
        guard target != me.id, let path = me.path(to: target) else { return .queue(reason: placement.reason, candidates: placement.candidates) }
        return .dispatch(target: target, path: path, reason: placement.reason, department: placement.department)
    }
}

/// Propagation, pure: which peers hear of an event, and how.
/// Up to the parent unless it came from there; down towards the case's holder unless it came from there —
/// a whole `dispatch` (case and history) when the event sends the case down, an `update` otherwise.
public enum PropagationRules {
    /// Where an event came from.
    public enum Origin: Equatable, Sendable {
        case local
        case parent
        case child(String)
    }

    public enum Send: Equatable, Sendable {
        case update(String)
        case dispatch(String)
    }

    public static func sends(_ event: CaseEvent, case c: Case, me: TopologyNode, parent: String?, origin: Origin) -> [Send] {
        var out: [Send] = []
        if let parent, origin != .parent { out.append(.update(parent)) }
        let towardsHolder = childTowards(c.holder, from: me)
        if let child = towardsHolder, origin != .child(child) {
            out.append(event.action == .dispatched || event.action == .assigned ? .dispatch(child) : .update(child))
        }
        // Every unit with a part hears of the case too; the event that names it brings the whole case down.
        guard c.attributes["parts"] != nil else { return out }
        let named = Set(event[.units].map { CasePart.parse($0).unit })
        var seen: Set<String> = towardsHolder.map { [$0] } ?? []
        for part in c.parts {
            guard let child = childTowards(part.unit, from: me), origin != .child(child), seen.insert(child).inserted else { continue }
            let bringsCase = (event.action == .coHandlingRequested || event.action == .summoned) && named.contains { childTowards($0, from: me) == child }
            out.append(bringsCase ? .dispatch(child) : .update(child))
        }
        return out
    }

    /// The child on the way from `me` to `unit`, nil when the unit is `me` or not below it.
    public static func childTowards(_ unit: String, from me: TopologyNode) -> String? {
        guard unit != me.id, let path = me.path(to: unit), path.count >= 2 else { return nil }
        return path[1]
    }
}
