import Foundation

/// Where a case stands with its time limits, as this node knows it (from the events it has).
public struct SupervisionFlags: Equatable, Sendable {
    /// Warned, not yet overdue.
    public var nearDue = false
    /// Its running limit ran out (an `overdue` or an escalation was issued for it).
    public var overdue = false
    /// Its limit or its supervision order was escalated.
    public var escalated = false
    public var orderOpen = false
    public var extensionPending = false

    /// Whether a case can have any flag at all: none before a timer event, an order or a request (most cases,
    /// most of the time), so the counters skip the rest.
    static func mayBeSet(_ c: Case) -> Bool {
        c.attributes[TimerKeys.issued] != nil || c.attributes[TimerKeys.order] != nil || c.attributes[TimerKeys.extensionPending] != nil
    }

    public init(_ c: Case) {
        guard c.state.isOpen, Self.mayBeSet(c) else { return }
        let issued = Case.marks(c.attributes[TimerKeys.issued]), orderIssued = Case.marks(c.attributes[TimerKeys.orderIssued])
        let limitEscalated = issued.contains { $0.hasPrefix("escalated-") }
        overdue = c.attributes[TimerKeys.clock] != nil && (issued.contains("overdue") || limitEscalated)
        nearDue = c.attributes[TimerKeys.clock] != nil && issued.contains("warned") && !overdue
        orderOpen = c.attributes[TimerKeys.order] != nil
        escalated = (c.attributes[TimerKeys.clock] != nil && limitEscalated) || (orderOpen && orderIssued.contains { $0.hasPrefix("escalated-") })
        extensionPending = c.extensionPending
    }

    /// Whether the case belongs on a dispatcher's supervision list (`?supervised=true`).
    public var needsAttention: Bool { escalated || orderOpen || extensionPending }
}

/// The supervision counters, by key of `Counters.supervision` (pure, like `CounterRules`). Gauges count open cases
/// held in the scope; totals count events about cases held in the scope (replies: resolved in the scope).
public enum SupervisionCounts {
    public static let gauges = ["near_due", "overdue", "escalated", "orders_open", "extensions_pending"]
    public static let totals = ["warned_total", "overdue_total", "escalated_total", "orders_total", "extensions_granted", "extensions_refused",
                                "replied_on_time", "replied_late"]

    static func gauges(_ f: SupervisionFlags) -> [String] {
        var out: [String] = []
        if f.nearDue { out.append("near_due") }
        if f.overdue { out.append("overdue") }
        if f.escalated { out.append("escalated") }
        if f.orderOpen { out.append("orders_open") }
        if f.extensionPending { out.append("extensions_pending") }
        return out
    }

    static func total(for event: CaseEvent, after c: Case) -> String? {
        switch event.action {
        case .warned: "warned_total"
        case .overdue: "overdue_total"
        case .escalated: "escalated_total"
        case .supervised: "orders_total"
        case .extensionApproved: "extensions_granted"
        case .extensionRefused: "extensions_refused"
        case .resolved: c.attributes[TimerKeys.onTime].map { $0 == "true" ? "replied_on_time" : "replied_late" }
        default: nil
        }
    }

    /// How one event moves the supervision counters of the node applying it.
    public static func deltas(before: Case?, after c: Case, event: CaseEvent, me: String, inSubtree: (String) -> Bool) -> [CounterRules.Delta] {
        let total = total(for: event, after: c)
        if total == nil, !SupervisionFlags.mayBeSet(c), before.map(SupervisionFlags.mayBeSet) != true { return [] }
        let was = before.map(SupervisionFlags.init), now = SupervisionFlags(c)
        if was == now && total == nil && before?.holder == c.holder { return [] }
        var out: [CounterRules.Delta] = []
        for scope in ["self", "subtree"] {
            func contains(_ id: String) -> Bool { scope == "self" ? id == me : inSubtree(id) }
            if let before, let was, contains(before.holder) { out += gauges(was).map { CounterRules.Delta(scope: scope, key: "sup." + $0, amount: -1) } }
            if contains(c.holder) { out += gauges(now).map { CounterRules.Delta(scope: scope, key: "sup." + $0, amount: 1) } }
            if let total, contains(event.action == .resolved ? event.node : c.holder) { out.append(CounterRules.Delta(scope: scope, key: "sup." + total, amount: 1)) }
        }
        return out
    }
}
