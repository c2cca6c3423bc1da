import Foundation

/// Whether the phone number a citizen typed is the one the case was filed with: the whole number, or its last
/// four digits. Only digits count (spaces, dashes and a +86 prefix are how people type, not the number).
public enum PhoneMatch {
    public static func digits(_ text: String) -> String { String(text.unicodeScalars.filter { $0.value >= 48 && $0.value <= 57 }.map(Character.init)) }

    public static func matches(typed: String, filed: String?) -> Bool {
        let given = digits(typed), stored = digits(filed ?? "")
        guard stored.count >= 4, given.count >= 4 else { return false }
        if given.count == 4 { return stored.hasSuffix(given) }
        // "+86 138…" and "138…" are the same number.
        return given == stored || (given.hasPrefix("86") && String(given.dropFirst(2)) == stored) || (stored.hasPrefix("86") && String(stored.dropFirst(2)) == given)
    }
}

/// A case as the citizen who filed it sees it (public tracking): its state, the unit handling it, its time limits,
/// the replies and the history — units only, never a staff member's name, nothing about other citizens, none of
/// the internal notes (a progress note, a return's reason stay inside). Shaped for the page, for apps and for
/// later channels (Open311's `status_notes`, `agency_responsible`, `expected_datetime` map onto it).
public struct PublicCaseView: Codable, Sendable, Equatable {
    public struct Unit: Codable, Sendable, Equatable {
        public var id: String
        public var name: String
        /// The department of the unit that has the case, when one does (区人社局).
        public var department: String?
    }
    public struct Step: Codable, Sendable, Equatable {
        public var at: Date
        public var action: String
        public var unit: Unit
        /// What happened, in words meant for the citizen.
        public var text: String
    }
    public struct Reply: Codable, Sendable, Equatable { public var at: Date; public var unit: Unit; public var text: String }
    public struct VerdictState: Codable, Sendable, Equatable {
        /// Whether the citizen can give a verdict now (the case is resolved and waits for one).
        public var open: Bool
        /// Until when (the city closes it as not evaluated after).
        public var due: String?
        public var given: String?
        public var solved: Bool?
        enum CodingKeys: String, CodingKey { case open, due, given, solved }
    }

    public var id: String
    public var subject: String
    public var state: String
    /// The state in the words of the city's page (受理中, 已办结…).
    public var stateText: String
    public var createdAt: Date
    public var updatedAt: Date
    public var unit: Unit
    public var responseDue: String?
    public var handlingDue: String?
    public var replies: [Reply]
    public var history: [Step]
    public var verdict: VerdictState
    public var closedAs: String?
    public var reopens: Int

    enum CodingKeys: String, CodingKey {
        case id, subject, state, stateText = "state_text", createdAt = "created_at", updatedAt = "updated_at", unit
        case responseDue = "response_due", handlingDue = "handling_due", replies, history, verdict, closedAs = "closed_as", reopens
    }

    public static func stateText(_ state: CaseState) -> String {
        switch state {
        case .pending, .returned: "正在分派 (being assigned)"
        case .dispatched: "已派单 (sent to the unit)"
        case .accepted: "办理中 (being handled)"
        case .resolved: "已办结，待评价 (handled: your verdict, please)"
        case .checking: "核查中 (under independent check)"
        case .closed: "已结案 (closed)"
        default: state.rawValue
        }
    }

    /// The public words for one event, nil for an event the citizen is not shown (internal steps).
    static func text(of e: CaseEvent) -> String? {
        switch e.action {
        case .created: "受理 (request received)"
        case .dispatched, .assigned: e.state == .dispatched ? "派单 (sent to the unit responsible)" : nil
        case .queued: "人工分派 (an operator assigns it)"
        case .accepted: "签收 (signed for by the unit)"
        case .returned, .handedUp: "重新分派 (sent on to the unit responsible)"
        case .resolved: "办结答复 (handled, reply given)"
        case .evaluated:
            e.state == .closed ? "评价 (verdict received): \(e[.satisfaction] ?? "")"
                : e.state == .checking ? "评价 (verdict received): sent to an independent check" : "评价 (verdict received): reopened for a second handling"
        case .checkRequested: "第三方核查 (sent to an independent check)"
        case .checked: e[.upheld] == "true" ? "核查完成 (the check upheld the handling)" : "核查完成 (the check reopened the case)"
        case .closed: e[.closedAs] == ClosedAs.noEvaluation.rawValue ? "结案 (closed: no verdict was given in time)" : "结案 (closed: we could not reach you)"
        case .extensionApproved: "延期 (more time granted)"
        default: nil
        }
    }

    public init(_ c: Case, history: [CaseEvent], unitName: (String) -> String) {
        func unit(_ id: String) -> Unit { Unit(id: id, name: unitName(id), department: nil) }
        id = c.id
        subject = c.subject
        state = c.state.rawValue
        stateText = Self.stateText(c.state)
        createdAt = c.createdAt
        updatedAt = c.updatedAt
        self.unit = Unit(id: c.holder, name: unitName(c.holder), department: c.holdingDepartment)
        responseDue = c.state.isOpen ? c.attributes["response_due"] : nil
        handlingDue = c.state.isOpen ? c.attributes["handling_due"] : nil
        replies = history.filter { $0.action == .resolved }.map { Reply(at: $0.at, unit: unit($0.node), text: $0[.reply] ?? $0.note ?? "") }
        self.history = history.compactMap { e in Self.text(of: e).map { Step(at: e.at, action: e.action.rawValue, unit: unit(e.node), text: $0) } }
        verdict = VerdictState(open: c.state == .resolved, due: c.state == .resolved ? c.attributes["verdict_due"] : nil,
                               given: c.satisfaction?.rawValue, solved: c.attributes["solved"].map { $0 == "true" })
        closedAs = c.closedAs?.rawValue
        reopens = c.reopenCount
    }
}
