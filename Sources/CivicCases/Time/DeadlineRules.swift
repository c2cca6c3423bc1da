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
/// | resolved | the handling clock stops; the case was handled on time when it is resolved by the handling due time |
/// | extension approved | the running limit restarts with the granted due time (a new clock, new warnings) |
/// | supervision order | its answer-by clock starts for the holder; the answer stops it |
/// | resolved | the city's clock for the citizen's verdict starts (`verdicts.within`) |
/// | reopened (an unsatisfied verdict, a check that finds it not handled) | a new response clock for the unit |
public enum DeadlineRules {
    public struct Clock: Sendable {
        public var policy: DeadlinePolicy
        public var calendar: WorkCalendar
        public init(policy: DeadlinePolicy, calendar: WorkCalendar) { self.policy = policy; self.calendar = calendar }
    }

    /// Adds the times a locally made event starts, if it starts a clock: the due time, when it warns, and when it
    /// escalates (one step per unit above the holder, at most two). `unitsAbove` says how many units are above a node.
    public static func stamp(_ event: inout CaseEvent, case c: Case, clock: Clock, unitsAbove: (String) -> Int) {
        let supervision = clock.policy.supervision
        PartRules.stamp(&event, case: c, clock: clock, unitsAbove: unitsAbove)
        // The policy is asked only for an event that starts a clock (most events start none).
        func rule() -> DeadlinePolicy.Rule { clock.policy.rule(for: clock.policy.facts(of: c)) }
        func escalations(after due: Date, holder: String) -> [String] {
            var out: [String] = [], at = due
            for _ in 0..<min(2, unitsAbove(holder)) {
                at = supervision.escalateAfter.due(from: at, calendar: clock.calendar)
                out.append(WireDate.format(at))
            }
            return out
        }
        func start(_ limit: TimeLimit, dueKey: EventKey, holder: String) {
            let due = limit.due(from: event.at, calendar: clock.calendar)
            event[dueKey] = WireDate.format(due)
            event[.warnAt] = WireDate.format(limit.warning(from: event.at, due: due, left: supervision.warnWhenLeft, calendar: clock.calendar))
            event[.escalateAt] = escalations(after: due, holder: holder)
        }
        switch event.action {
        case .dispatched, .assigned, .evaluated, .checked:
            // An assignment that is only a recall request leaves the case where it is: no new clock; a verdict
            // starts one only when it reopens the case.
            guard event.state == .dispatched else { return }
            let rule = rule()
            start(rule.response, dueKey: .responseDue, holder: event.holder)
            event[.deadlineRule] = rule.name
        case .accepted:
            let rule = rule()
            start(rule.handling, dueKey: .handlingDue, holder: event.holder)
            event[.deadlineRule] = rule.name
        case .extensionApproved:
            guard let until = event[.until].flatMap(WireDate.parse) else { return }
            event[.warnAt] = WireDate.format(TimeLimit.warning(from: event.at, due: until, left: supervision.warnWhenLeft, calendar: nil))
            event[.escalateAt] = escalations(after: until, holder: c.holder)
        case .resolved:
            event[.verdictDue] = WireDate.format(clock.policy.verdicts.within.due(from: event.at, calendar: clock.calendar))
        case .supervised:
            let answerBy = event[.answerBy].flatMap(WireDate.parse) ?? supervision.answerWithin.due(from: event.at, calendar: clock.calendar)
            event[.answerBy] = WireDate.format(answerBy)
            event[.warnAt] = WireDate.format(TimeLimit.warning(from: event.at, due: answerBy, left: supervision.warnWhenLeft, calendar: nil))
            event[.escalateAt] = escalations(after: answerBy, holder: c.holder)
        default:
            break
        }
    }

    /// What an event does to the case's clocks (part of `CaseRules.fold`).
    static func fold(_ event: CaseEvent, into c: inout Case) {
        func startLimit(dueKey: String, due: String?) {
            c.attributes[dueKey] = due
            // Only an event stamped by this release starts a timer (an older one carries no warn or escalation times).
            c.attributes[TimerKeys.clock] = due == nil ? nil : event.id
            c.attributes[TimerKeys.warnAt] = event[.warnAt]
            c.attributes[TimerKeys.escalateAt] = event[.escalateAt].isEmpty ? nil : event[.escalateAt].joined(separator: ",")
            c.attributes[TimerKeys.issued] = nil
        }
        func stopLimits() {
            for key in ["response_due", "handling_due", TimerKeys.clock, TimerKeys.warnAt, TimerKeys.escalateAt, TimerKeys.issued, TimerKeys.extensionPending] {
                c.attributes[key] = nil
            }
        }
        switch event.action {
        case .dispatched, .assigned, .evaluated, .checked:
            guard event.state == .dispatched else { return }
            stopLimits()
            startLimit(dueKey: "response_due", due: event[.responseDue])
            if let rule = event[.deadlineRule] { c.attributes["deadline_rule"] = rule }
        case .accepted:
            stopLimits()
            startLimit(dueKey: "handling_due", due: event[.handlingDue])
            if let rule = event[.deadlineRule] { c.attributes["deadline_rule"] = rule }
        case .returned, .handedUp:
            stopLimits()
        case .resolved:
            if let due = c.attributes["handling_due"].flatMap(WireDate.parse) { c.attributes[TimerKeys.onTime] = event.at <= due ? "true" : "false" }
        case .warned, .overdue, .escalated:
            guard let clock = event[.clock], let mark = TimerRules.parseId(event.id)?.mark else { return }
            let key = clock == c.attributes[TimerKeys.clock] ? TimerKeys.issued : clock == c.attributes[TimerKeys.order] ? TimerKeys.orderIssued : nil
            guard let key else { return }
            var marks = Case.marks(c.attributes[key])
            marks.insert(mark.description)
            c.attributes[key] = marks.sorted().joined(separator: ",")
        case .extensionRequested:
            c.attributes[TimerKeys.extensionPending] = event.id
        case .extensionRefused:
            c.attributes[TimerKeys.extensionPending] = nil
        case .extensionApproved:
            c.attributes[TimerKeys.extensionPending] = nil
            // A grant for a limit that has since stopped (the case was signed for, returned) moves nothing.
            guard let until = event[.until], let running = c.attributes[TimerKeys.clock], event[.clock] == nil || event[.clock] == running else { return }
            c.attributes[TimerKeys.extensions] = String(c.extensionsGranted + 1)
            startLimit(dueKey: c.attributes["handling_due"] != nil ? "handling_due" : "response_due", due: until)
        case .supervised:
            guard let answerBy = event[.answerBy] else { return }
            c.attributes[TimerKeys.order] = event.id
            c.attributes[TimerKeys.orderDue] = answerBy
            c.attributes[TimerKeys.orderWarnAt] = event[.warnAt]
            c.attributes[TimerKeys.orderEscalateAt] = event[.escalateAt].isEmpty ? nil : event[.escalateAt].joined(separator: ",")
            c.attributes[TimerKeys.orderIssued] = nil
            c.attributes[TimerKeys.orderBy] = event.node
        case .supervisionAnswered:
            guard event[.order] == nil || event[.order] == c.attributes[TimerKeys.order] else { return }
            for key in [TimerKeys.order, TimerKeys.orderDue, TimerKeys.orderWarnAt, TimerKeys.orderEscalateAt, TimerKeys.orderIssued, TimerKeys.orderBy] {
                c.attributes[key] = nil
            }
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
