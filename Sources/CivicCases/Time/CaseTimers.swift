import Foundation

/// A limit running on an open case, as every node folds it from the events: the holder's response or
/// handling limit, or the answer time of a supervision order (督办单). Its times were stamped by the node that
/// started it and travel in that event, so every tier sees the same ones. They are kept as the wire's timestamp
/// text (fixed-width UTC, ordered as the times are): the timer index is keyed by them and nothing is parsed to
/// decide what falls due.
public struct CaseTimer: Equatable, Sendable {
    public enum Kind: String, Sendable { case response, handling, supervision, verdict, part, summons }
    public var kind: Kind
    /// The id of the event that started it; the timer events it gives rise to are named after it.
    public var clock: String
    public var dueText: String
    public var warnText: String?
    /// When it escalates to the holder's parent (level 1), then to that unit's parent (level 2), comma-separated.
    public var escalateText: String?
    /// The marks already issued for this clock, comma-separated ("overdue,warned").
    public var issuedText: String
    /// The unit whose limit it is, when not the holder's (a co-handling part, a summons).
    public var holder: String? = nil
    /// The part it is about.
    public var part: String? = nil

    public var due: Date { WireDate.parse(dueText) ?? .distantFuture }
    /// When it escalates at `level` (1: to the holder's parent), if it does.
    public func escalation(_ level: Int) -> String? {
        guard let escalateText, level >= 1 else { return nil }
        let times = escalateText.commaParts
        return level <= times.count ? String(times[level - 1]) : nil
    }
    public func hasIssued(_ mark: TimerMark) -> Bool { !issuedText.isEmpty && issuedText.commaParts.contains { $0 == mark.description } }
}

/// What a timer gives rise to, in this order.
public enum TimerMark: Equatable, Hashable, Sendable, CustomStringConvertible {
    case warned
    case overdue
    case escalated(level: Int)
    /// No verdict in time: the city closes the case as not evaluated.
    case unrated

    /// As it appears in event ids and in a case's `issued` list: warned, overdue, escalated-1, escalated-2, unrated.
    public var description: String {
        switch self {
        case .warned: "warned"
        case .overdue: "overdue"
        case .escalated(let level): "escalated-\(level)"
        case .unrated: "unrated"
        }
    }

    public init?(_ text: Substring) {
        switch text {
        case "warned": self = .warned
        case "overdue": self = .overdue
        case "unrated": self = .unrated
        default:
            guard text.hasPrefix("escalated-"), let level = Int(text.dropFirst(10)), (1...9).contains(level) else { return nil }
            self = .escalated(level: level)
        }
    }

    public var action: CaseAction {
        switch self {
        case .warned: .warned
        case .overdue: .overdue
        case .escalated: .escalated
        case .unrated: .closed
        }
    }
}

/// The attribute keys a case keeps its timers under (folded from the events; `Case.foldedAttributeKeys`).
enum TimerKeys {
    static let clock = "clock", warnAt = "warn_at", escalateAt = "escalate_at", issued = "issued"
    static let order = "order", orderDue = "order_due", orderWarnAt = "order_warn_at", orderEscalateAt = "order_escalate_at"
    static let orderIssued = "order_issued", orderBy = "order_by"
    static let extensions = "extensions", extensionPending = "extension_pending", onTime = "on_time"
    static let all: Set<String> = [clock, warnAt, escalateAt, issued, order, orderDue, orderWarnAt, orderEscalateAt, orderIssued, orderBy,
                                   extensions, extensionPending, onTime]
}

extension Case {
    /// The unit's response or handling limit, while the case is open and a clock runs.
    public var limitTimer: CaseTimer? {
        guard state.isOpen, let clock = attributes[TimerKeys.clock] else { return nil }
        let kind: CaseTimer.Kind, due: String
        if let h = attributes["handling_due"] { (kind, due) = (.handling, h) }
        else if let r = attributes["response_due"] { (kind, due) = (.response, r) }
        else { return nil }
        return CaseTimer(kind: kind, clock: clock, dueText: due, warnText: attributes[TimerKeys.warnAt],
                         escalateText: attributes[TimerKeys.escalateAt], issuedText: attributes[TimerKeys.issued] ?? "")
    }

    /// The open supervision order's answer time, while the case is open.
    public var orderTimer: CaseTimer? {
        guard state.isOpen, let order = attributes[TimerKeys.order], let due = attributes[TimerKeys.orderDue] else { return nil }
        return CaseTimer(kind: .supervision, clock: order, dueText: due, warnText: attributes[TimerKeys.orderWarnAt],
                         escalateText: attributes[TimerKeys.orderEscalateAt], issuedText: attributes[TimerKeys.orderIssued] ?? "")
    }

    public var timers: [CaseTimer] {
        let own = [limitTimer, orderTimer, verdictTimer].compactMap { $0 }
        return attributes[PartKeys.parts] == nil || !state.isOpen ? own : own + parts.compactMap(\.timer)
    }

    /// The node whose dispatcher issued the open supervision order.
    public var supervisionOrderBy: String? { state.isOpen ? attributes[TimerKeys.orderBy] : nil }
    /// How many extensions the case was granted.
    public var extensionsGranted: Int { Int(attributes[TimerKeys.extensions] ?? "") ?? 0 }
    /// Whether the holder's request for more time waits for an answer.
    public var extensionPending: Bool { attributes[TimerKeys.extensionPending] != nil }

    static func marks(_ text: String?) -> Set<String> { Set((text ?? "").commaParts.map(String.init)) }
}

/// Who issues which timer event, and when (分级督办). Pure.
///
/// Each timer event has exactly one issuer, so it can exist only once: the **holder** issues `warned` and
/// `overdue` for its own limits; the unit **k levels above** the holder issues `escalated` level k (the district
/// for its street, the city for a street's district or for a district). Each issues from what it knows when
/// the time comes — a node that was down issues when it next runs — checking and recording in one transaction.
/// The id is `<issuer>:<mark>:<clock>`, the clock being the id of the event that started the limit: a second
/// attempt (after a crash, a replay) carries the same id and is refused as a copy everywhere.
public enum TimerRules {
    /// How far `me` is above the holder: 0 for the holder itself, nil when it is not the holder or above it.
    public static func level(of me: TopologyNode, holder: String) -> Int? {
        guard let path = me.path(to: holder) else { return nil }
        return path.count - 1
    }

    /// The marks `me` still has to issue for `timer`, with their times (wire text), earliest first: the one
    /// schedule behind both the timer index (`nextFire`) and the events of a tick (`dueEvents`).
    public static func schedule(_ timer: CaseTimer, holder caseHolder: String, me: TopologyNode) -> [(mark: TimerMark, at: String)] {
        // A part's limit is its unit's: that unit warns and marks it overdue, the units above it escalate.
        let holder = timer.holder ?? caseHolder
        guard let level = level(of: me, holder: holder) else { return [] }
        // The time for a verdict is the city's: it takes verdicts, and it alone closes a case without one.
        if timer.kind == .verdict { return me.tier == .city && !timer.hasIssued(.unrated) ? [(.unrated, timer.dueText)] : [] }
        var out: [(mark: TimerMark, at: String)] = []
        if level == 0 {
            if let warn = timer.warnText, warn < timer.dueText { out.append((.warned, warn)) }
            out.append((.overdue, timer.dueText))
        } else if let at = timer.escalation(level) {
            out.append((.escalated(level: level), at))
        }
        return out.filter { !timer.hasIssued($0.mark) }
    }

    /// When `me` next has something to issue for the case (the key of its timer index, as wire text), nil for
    /// nothing.
    public static func nextFire(_ c: Case, me: TopologyNode) -> String? {
        c.timers.compactMap { schedule($0, holder: c.holder, me: me).first?.at }.min()
    }

    /// The timer events `me` issues for the case at `now`: every mark whose time has come, in order.
    public static func dueEvents(_ c: Case, me: TopologyNode, at now: Date) -> [CaseEvent] {
        let nowText = WireDate.format(now)
        return c.timers.flatMap { timer in
            schedule(timer, holder: c.holder, me: me).filter { $0.at <= nowText }.map { event($0.mark, timer: timer, case: c, issuer: me.id, at: now) }
        }
    }

    public static func eventId(issuer: String, mark: TimerMark, clock: String) -> String { "\(issuer):\(mark):\(clock)" }

    /// (issuer, mark, clock) of a timer event id, nil for any other id.
    public static func parseId(_ id: String) -> (issuer: String, mark: TimerMark, clock: String)? {
        // Most ids are "<node>-<n>", without a colon: no split for them.
        guard id.utf8.contains(UInt8(ascii: ":")) else { return nil }
        let parts = id.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[2].isEmpty, let mark = TimerMark(parts[1]),
              parts[2].utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }) else { return nil }
        return (String(parts[0]), mark, String(parts[2]))
    }

    static func event(_ mark: TimerMark, timer: CaseTimer, case c: Case, issuer: String, at now: Date) -> CaseEvent {
        let what = timer.kind == .supervision ? "the supervision order's answer time"
            : timer.kind == .summons ? "the summons' report time (报到)" : timer.kind == .part ? "the co-handling part's limit" : "the \(timer.kind.rawValue) limit"
        let due = timer.dueText
        let unit = timer.holder ?? c.holder
        let id = eventId(issuer: issuer, mark: mark, clock: timer.clock)
        if mark == .unrated {
            return CaseEvent(id: id, caseId: c.id, at: now, node: issuer, actor: "system", action: .closed, state: .closed, holder: c.holder,
                             note: "closed without a verdict: none came by \(due)", data: [.clock: timer.clock, .due: due, .closedAs: ClosedAs.noEvaluation.rawValue])
        }
        var data: [EventKey: String] = [.clock: timer.clock, .limit: timer.kind.rawValue, .due: due]
        if let part = timer.part { data[.part] = part }
        let note: String
        switch mark {
        case .warned: note = "\(what) of \(unit) runs out at \(due)"
        case .overdue: note = "\(what) of \(unit) ran out at \(due)"
        case .escalated(let level):
            data[.level] = String(level)
            note = "escalated to \(issuer) (level \(level)): \(what) of \(unit) ran out at \(due)"
        case .unrated:
            preconditionFailure("made above")
        }
        return CaseEvent(id: id, caseId: c.id, at: now, node: issuer, actor: "system",
                         action: mark.action, state: c.state, holder: c.holder, note: note, data: data)
    }
}
