import Foundation

/// What happened to a case. Open on purpose, like `CaseState`: an action this release does not know is kept
/// as its text, stored, forwarded and acknowledged, and never moves the case (an action that does must be
/// sent only to peers that declared it in their handshake `features`; docs/protocol.md §6).
public struct CaseAction: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }

    public static let created = CaseAction("created")        // entered the mesh (intake or grid report)
    public static let dispatched = CaseAction("dispatched")  // sent down to a unit by routing rules (自动交办)
    public static let assigned = CaseAction("assigned")      // sent down to a unit by an operator (manual dispatch)
    public static let queued = CaseAction("queued")          // no rule could place it: waits in the holder's manual queue
    public static let accepted = CaseAction("accepted")      // 签收
    public static let progress = CaseAction("progress")      // a note while handling
    public static let resolved = CaseAction("resolved")      // handled, reply recorded
    public static let returned = CaseAction("returned")      // 退单: back up to the parent unit
    public static let linked = CaseAction("linked")          // intake recognised it as a repeat of an open case
    public static let returnAllowed = CaseAction("return_allowed")      // the node that gave a ruling lets the unit return the case again
    public static let recallRequested = CaseAction("recall_requested")  // a dispatcher above the holder asks for the case back (with a target)
    public static let handedUp = CaseAction("handed_up")                // the holder hands a recalled case up towards the dispatcher that asked
    // Time limits and supervision (分级督办): annotations, never moving the case.
    public static let warned = CaseAction("warned")                     // a quarter of a limit is left (issued by the holder)
    public static let overdue = CaseAction("overdue")                   // a limit ran out (issued by the holder)
    public static let escalated = CaseAction("escalated")               // still open a step later: issued by the unit it escalates to
    public static let extensionRequested = CaseAction("extension_requested")  // the holder asks for more time (延期申请)
    public static let extensionApproved = CaseAction("extension_approved")    // a unit above grants it: a new due time, a new clock
    public static let extensionRefused = CaseAction("extension_refused")      // a unit above refuses it, with a reason
    public static let supervised = CaseAction("supervised")             // a supervision order (督办单) from a unit above, with an answer-by time
    public static let supervisionAnswered = CaseAction("supervision_answered") // the holder answers the order
    // The citizen's verdict (群众评价), taken at the city: each moves the case except a failed return visit.
    public static let evaluated = CaseAction("evaluated")               // the verdict: closed, reopened at the same unit, or to the check
    public static let revisitFailed = CaseAction("revisit_failed")      // a return visit (回访) could not reach the citizen
    public static let checkRequested = CaseAction("check_requested")    // a dispatcher sends the case to the third-party check
    public static let checked = CaseAction("checked")                   // the check's finding: closed, or reopened
    public static let closed = CaseAction("closed")                     // closed without a verdict: none in time, or unreachable
    // Co-handling (协办) and summonses (吹哨报到): annotations; the lead keeps the case.
    public static let coHandlingRequested = CaseAction("co_handling_requested") // a dispatcher names co-handling units, each gets a part
    public static let partAccepted = CaseAction("part_accepted")        // a co-handling unit signs for its part
    public static let partAnswered = CaseAction("part_answered")        // it answers its part
    public static let partReleased = CaseAction("part_released")        // the dispatcher lets it off
    public static let summoned = CaseAction("summoned")                 // a street summons departments above it (吹哨)
    public static let reported = CaseAction("reported")                 // a summoned department reports (报到)

    /// The actions this release knows.
    public static let allCases: [CaseAction] = [.created, .dispatched, .assigned, .queued, .accepted, .progress, .resolved, .returned,
                                                .linked, .returnAllowed, .recallRequested, .handedUp,
                                                .warned, .overdue, .escalated, .extensionRequested, .extensionApproved, .extensionRefused,
                                                .supervised, .supervisionAnswered,
                                                .evaluated, .revisitFailed, .checkRequested, .checked, .closed,
                                                .coHandlingRequested, .partAccepted, .partAnswered, .partReleased, .summoned, .reported]
    public var isKnown: Bool { Self.allCases.contains(self) }
    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}

/// One entry of a case's history (留痕). Events are immutable, globally unique by `id`,
/// and carry the state and holder they leave the case in, so any node can apply them in order.
public struct CaseEvent: Codable, Sendable, Equatable {
    /// "<node>-<n>": unique across the mesh because each node numbers its own events.
    public var id: String
    public var caseId: String
    public var at: Date
    /// The node where it happened.
    public var node: String
    /// Who did it: an operator's name, or "system" for automatic decisions.
    public var actor: String
    public var action: CaseAction
    public var state: CaseState
    public var holder: String
    public var note: String?
    /// Structured details by key (reason, target unit, reply to the citizen…); read and written through the
    /// typed keys of `EventKey` (`event[.reason]`). Unknown keys are kept.
    public var data: TextMap
    /// Lists by key (route, candidates, topic guesses, triage reasons): `event[.route]`. Omitted from the JSON
    /// when empty; a peer that predates it ignores the field.
    public var lists: [String: [String]]

    public init(
        id: String, caseId: String, at: Date, node: String, actor: String, action: CaseAction,
        state: CaseState, holder: String, note: String? = nil, data: [EventKey: String] = [:], lists: [EventListKey: [String]] = [:]
    ) {
        self.id = id
        self.caseId = caseId
        self.at = at
        self.node = node
        self.actor = actor
        self.action = action
        self.state = state
        self.holder = holder
        self.note = note
        self.data = TextMap()
        for (key, value) in data { self.data[key.rawValue] = value }
        self.lists = Dictionary(uniqueKeysWithValues: lists.filter { !$0.value.isEmpty }.map { ($0.key.rawValue, $0.value) })
    }

    enum CodingKeys: String, CodingKey { case id, caseId = "case", at, node, actor, action, state, holder, note, data, lists }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(caseId, forKey: .caseId)
        try c.encode(at, forKey: .at)
        try c.encode(node, forKey: .node)
        try c.encode(actor, forKey: .actor)
        try c.encode(action, forKey: .action)
        try c.encode(state, forKey: .state)
        try c.encode(holder, forKey: .holder)
        try c.encodeIfPresent(note, forKey: .note)
        try c.encode(data, forKey: .data)
        if !lists.isEmpty { try c.encode(lists, forKey: .lists) }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        caseId = try c.decode(String.self, forKey: .caseId)
        at = try c.decode(Date.self, forKey: .at)
        node = try c.decode(String.self, forKey: .node)
        actor = try c.decodeIfPresent(String.self, forKey: .actor) ?? "system"
        action = try c.decode(CaseAction.self, forKey: .action)
        state = try c.decode(CaseState.self, forKey: .state)
        holder = try c.decode(String.self, forKey: .holder)
        note = try c.decodeIfPresent(String.self, forKey: .note)
        data = try c.decodeIfPresent(TextMap.self, forKey: .data) ?? [:]
        lists = try c.decodeIfPresent([String: [String]].self, forKey: .lists) ?? [:]
    }
}
