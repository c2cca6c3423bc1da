/// The keys of an event's details, each spelled once here. Open like `CaseAction`: a key this release does not
/// know is kept, stored and forwarded as it came.
public struct EventKey: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }

    public static let reason: EventKey = "reason"              // why: a return, an assignment, a queue, a repeat link
    public static let target: EventKey = "target"              // the unit an assignment or recall sends the case to
    public static let from: EventKey = "from"                  // the unit that returned or handed the case up
    public static let channel: EventKey = "channel"            // how a case or a repeat report came in
    public static let phone: EventKey = "phone"                // the caller of a repeat report
    public static let category: EventKey = "category"          // the topic an operator set when assigning
    public static let department: EventKey = "department"      // the catalogue department that topic maps to
    public static let departmentHolds: EventKey = "holding_department" // the department of the target unit a move gives the case to
    public static let recall: EventKey = "recall"              // "done" on the assignment that completes a recall
    public static let ruling: EventKey = "ruling"              // "true" on an assignment that is a ruling (裁定)
    public static let reply: EventKey = "reply"                // the answer to the citizen
    public static let recalledFrom: EventKey = "recalled_from" // the holder a recall took the case from
    public static let recallBy: EventKey = "recall_by"         // the dispatcher a hand-up is for
    public static let clock: EventKey = "clock"                // the id of the event that started the limit a timer event is about
    public static let limit: EventKey = "limit"                // which limit: response, handling or supervision
    public static let due: EventKey = "due"                    // when that limit runs out
    public static let level: EventKey = "level"                // an escalation's level: 1 the holder's parent, 2 the next unit up
    public static let warnAt: EventKey = "warn_at"             // when the limit a clock-starting event starts will warn
    public static let until: EventKey = "until"                // the due time an extension asks for or grants
    public static let answerBy: EventKey = "answer_by"         // when a supervision order must be answered
    public static let order: EventKey = "order"                // the supervision order an answer is for
}

/// The keys of an event's lists: each a JSON array on the wire (`lists`), never a joined string.
public struct EventListKey: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }

    public static let route: EventListKey = "route"            // the nodes a dispatch passes, from the dispatcher down
    public static let candidates: EventListKey = "candidates"  // units a queued case could go to
    public static let topics: EventListKey = "topics"          // the topic model's top guesses for a queued case
    public static let triage: EventListKey = "triage"          // intake's reasons, one per decision
    public static let escalateAt: EventListKey = "escalate_at" // when a limit escalates: to the holder's parent, then the next unit up
}

extension CaseEvent {
    public subscript(_ key: EventKey) -> String? {
        get { data[key.rawValue] }
        set { data[key.rawValue] = newValue }
    }

    /// Empty when absent; setting an empty list removes it.
    public subscript(_ key: EventListKey) -> [String] {
        get { lists[key.rawValue] ?? [] }
        set { lists[key.rawValue] = newValue.isEmpty ? nil : newValue }
    }
}
