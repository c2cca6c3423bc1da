import Foundation

/// When a case's clocks start and stop (限时办理). Pure: the node that makes an event asks `stamp` before
/// recording it, and the due times go into the event's data — so every node folds the same due times into
/// the case, and the case keeps the limits it got when the policy changes later.
///
/// | event | clock |
/// |---|---|
/// | dispatched / assigned to a unit | the response clock (签收 within) starts at the event for the receiving unit |
/// | accepted (签收) | the response clock stops; the handling clock (reply within) starts |
/// | returned (退单) or handed up | both clocks of the unit that gave it back stop; the next unit gets its own |
/// | resolved | the handling clock stops |
public enum DeadlineRules {
    public struct Clock: Sendable {
        public var policy: DeadlinePolicy
        public var calendar: WorkCalendar
        public init(policy: DeadlinePolicy, calendar: WorkCalendar) { self.policy = policy; self.calendar = calendar }
    }

    /// Adds the due time a locally made event starts, if it starts one.
    public static func stamp(_ event: inout CaseEvent, case c: Case, clock: Clock) {
        // The policy is asked only for an event that starts a clock (most events start none).
        func rule() -> DeadlinePolicy.Rule { clock.policy.rule(for: clock.policy.facts(of: c)) }
        switch event.action {
        case .dispatched, .assigned:
            // An assignment that is only a recall request leaves the case where it is: no new clock.
            guard event.state == .dispatched else { return }
            let rule = rule()
            event[.responseDue] = WireDate.format(rule.response.due(from: event.at, calendar: clock.calendar))
            event[.deadlineRule] = rule.name
        case .accepted:
            let rule = rule()
            event[.handlingDue] = WireDate.format(rule.handling.due(from: event.at, calendar: clock.calendar))
            event[.deadlineRule] = rule.name
        default:
            break
        }
    }

    /// What an event does to the case's clocks (part of `CaseRules.fold`).
    static func fold(_ event: CaseEvent, into c: inout Case) {
        switch event.action {
        case .dispatched, .assigned:
            guard event.state == .dispatched else { return }
            c.attributes["response_due"] = event[.responseDue]
            c.attributes["handling_due"] = nil
            if let rule = event[.deadlineRule] { c.attributes["deadline_rule"] = rule }
        case .accepted:
            c.attributes["response_due"] = nil
            c.attributes["handling_due"] = event[.handlingDue]
        case .returned, .handedUp:
            c.attributes["response_due"] = nil
            c.attributes["handling_due"] = nil
        default:
            break
        }
    }
}

extension EventKey {
    public static let responseDue: EventKey = "response_due"   // when the receiving unit must have signed for the case
    public static let handlingDue: EventKey = "handling_due"   // when the unit that signed must have replied
    public static let deadlineRule: EventKey = "deadline_rule" // the policy rule the limits came from
}
