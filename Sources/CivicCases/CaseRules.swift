import Foundation

/// A rule of the case workflow was broken. Carries what an HTTP client needs to fix its request.
public struct CaseRuleError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable { case notFound = "not_found", notHolder = "not_holder", badTransition = "bad_transition", missingField = "missing_field", badTarget = "bad_target", tooLong = "too_long",
                                        /// the action belongs to another tier (a district takes no intake; only a street signs for cases)
                                        wrongTier = "wrong_tier" }
    public var code: Code
    /// The field or rule at fault, e.g. "reply" or "resolve requires state accepted".
    public var field: String
    public var message: String

    public init(_ code: Code, field: String, _ message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    public var description: String { "\(code.rawValue) (\(field)): \(message)" }

    /// `value` trimmed, or a missing-field error naming `field` when nothing is left: the one check every rule
    /// set uses for a reason, a note or a reply.
    static func nonEmpty(_ value: String, _ field: String) throws(CaseRuleError) -> String {
        let v = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !v.isEmpty else { throw CaseRuleError(.missingField, field: field, "\(field) must not be empty") }
        return v
    }
}

/// An operator's request to change a case at a node.
public enum CaseCommand: Sendable, Equatable {
    case accept
    case progress(note: String)
    case resolve(reply: String)
    case returnUp(reason: String)
    /// `category` settles the topic when intake was unsure of it (the operator read the case).
    /// A dispatcher above the holder may also recall a case held below and assign it anew: `reason` is then
    /// required and recorded. `ruling` (裁定) settles a case that has bounced: the unit it goes to cannot
    /// return it again until the ruling node allows it.
    /// `department`: one of the target unit's departments, which then holds the case there (a district's 水务局,
    /// the city's own bureaus: the target may be this node itself).
    case assign(target: String, category: String? = nil, reason: String? = nil, ruling: Bool = false, department: String? = nil)
    /// The node that gave a ruling lets the unit return the case again.
    case allowReturn(reason: String)
    /// The holder asks for more time on its running limit (延期申请), optionally naming the due time it wants.
    case requestExtension(reason: String, until: Date?)
    /// A unit above the holder grants the request with a new due time.
    case approveExtension(until: Date, reason: String?)
    /// A unit above the holder refuses the request.
    case refuseExtension(reason: String)
    /// A unit above the holder issues a supervision order (督办单); without `answerBy` the policy's answer time.
    case supervise(note: String, answerBy: Date?)
    /// The holder answers the open supervision order.
    case answerSupervision(note: String)
    /// The citizen's verdict on a resolved case (at the city); `then` overrides the policy for an unsatisfied one.
    case evaluate(Verdict, then: UnsatisfiedRoute? = nil)
    /// A return visit (回访) that could not reach the citizen.
    case revisitFailed(note: String)
    /// A dispatcher at the city sends a resolved case to the third-party check (第三方核查).
    case sendToCheck(reason: String)
    /// The third-party check's finding: the handling is upheld (closed) or not (reopened at the same unit).
    case recordCheck(upheld: Bool, finding: String)
    /// A dispatcher at the holder or above names co-handling units (协办): "node" or "node/department".
    case coHandle(units: [String], note: String)
    /// The street holding the case summons departments of its district or the city (吹哨).
    case summon(units: [String], note: String)
    /// A co-handling unit signs for its part.
    case partAccept(part: String)
    /// A co-handling unit answers its part; a summoned department reports (报到).
    case partAnswer(part: String, note: String)
    /// The dispatcher that named a part (or one above) releases the unit from it.
    case partRelease(part: String, reason: String)
}

/// Case attributes the workflow keeps (typed accessors: each key is spelled once, here).
extension Case {
    /// How often the case was returned (退单), counted by every node as it folds the events.
    public var returnCount: Int {
        get { Int(attributes["returns"] ?? "") ?? 0 }
        set { attributes["returns"] = String(newValue) }
    }
    /// The unit a ruling assigned the case to, and the node that gave the ruling.
    public var ruling: (unit: String, by: String)? {
        get { attributes["ruling"].flatMap { u in attributes["ruled_by"].map { (u, $0) } } }
        set {
            attributes["ruling"] = newValue?.unit
            attributes["ruled_by"] = newValue?.by
        }
    }
    /// The department of the holding unit that holds the case (sent to it by a dispatch or an assignment); nil
    /// when the unit as a whole holds it.
    public var holdingDepartment: String? {
        get { attributes["holding_department"] }
        set { attributes["holding_department"] = newValue }
    }
    /// A recall a dispatcher above asked for and the holder has not carried out yet.
    public var recall: (by: String, to: String, reason: String)? {
        get {
            guard let by = attributes["recall_by"], let to = attributes["recall_to"] else { return nil }
            return (by, to, attributes["recall_reason"] ?? "")
        }
        set {
            attributes["recall_by"] = newValue?.by
            attributes["recall_to"] = newValue?.to
            attributes["recall_reason"] = newValue?.reason
        }
    }
}

extension Case {
    /// The attributes `CaseRules.fold` derives from events. A header that travels with its events (a dispatch
    /// to a node new to the case, a replay of the log) drops them first: folding the events again would
    /// otherwise count a return twice.
    public static let foldedAttributeKeys: Set<String> = (["returns", "ruling", "ruled_by", "recall_by", "recall_to", "recall_reason", "holding_department",
                                                          "response_due", "handling_due", "deadline_rule"] as Set<String>).union(TimerKeys.all).union(VerdictKeys.all).union([PartKeys.parts])

    /// The case without what its events fold into it: the base the events are folded onto.
    public var withoutFoldedAttributes: Case {
        var c = self
        c.attributes = attributes.filter { !Self.foldedAttributeKeys.contains($0.key) }
        return c
    }
}

extension CaseAction {
    /// The handshake feature a peer must have named to be sent events of this action (docs/protocol.md §6);
    /// only annotations have one, so a peer without it misses a note, never a move.
    public var feature: String? {
        switch self {
        case .warned, .overdue, .escalated, .extensionRequested, .extensionApproved, .extensionRefused, .supervised, .supervisionAnswered:
            return "deadlines"
        case .evaluated, .revisitFailed, .checkRequested, .checked, .closed:
            return "verdicts"
        case .coHandlingRequested, .partAccepted, .partAnswered, .partReleased, .summoned, .reported:
            return "parts"
        default:
            return nil
        }
    }

    /// Whether the event moves the case (state, holder). Only the holder makes such events, so they never race;
    /// the others annotate the case from wherever they are made and leave state and holder as they are.
    public var movesCase: Bool {
        switch self {
        case .linked, .returnAllowed, .recallRequested,
             .warned, .overdue, .escalated, .extensionRequested, .extensionApproved, .extensionRefused, .supervised, .supervisionAnswered,
             .revisitFailed, .coHandlingRequested, .partAccepted, .partAnswered, .partReleased, .summoned, .reported:
            return false
        default: return true
        }
    }
}

extension CaseEvent {
    /// The same event, as far as the wire can tell (times travel at millisecond precision).
    public func sameEvent(as other: CaseEvent) -> Bool {
        // A timer event's id names its mark of its clock: issued again (late, by a node restored from a backup) it
        // is the same fact, whatever its time says.
        if id == other.id, TimerRules.parseId(id) != nil { return caseId == other.caseId && action == other.action }
        var a = self, b = other
        guard abs(a.at.timeIntervalSince(b.at)) < 0.001 else { return false }
        a.at = b.at
        return a == b
    }
}

/// The workflow rules, pure: given a case, the node acting and a command, either the event to record or why not.
/// Deadlines and supervision (分级督办) will add rules here, keyed by the same states and actions.
public enum CaseRules {
    /// What an event does to the case it is about — the one fold every node applies, locally or from a peer.
    /// After intake the header changes only here: state and holder from every event, and the topic (with the
    /// department the catalogue names for it) from an operator's assign that settles it.
    public static func fold(_ event: CaseEvent, into c: inout Case) {
        if event.action.movesCase {
            c.state = event.state
            c.holder = event.holder
        }
        c.updatedAt = max(c.updatedAt, event.at)
        DeadlineRules.fold(event, into: &c)
        VerdictRules.fold(event, into: &c)
        PartRules.fold(event, into: &c)
        switch event.action {
        case .dispatched, .assigned, .returned, .handedUp:
            // A move names the department that now holds the case, or none (the unit as a whole).
            if event.state == .dispatched || event.state == .returned || event.state == .pending { c.holdingDepartment = event[.departmentHolds] }
        default:
            break
        }
        switch event.action {
        case .dispatched:
            if let department = event[.department] { c.attributes["department"] = department }
        case .assigned:
            if let category = event[.category] { c.category = category }
            if let department = event[.department] { c.attributes["department"] = department }
            if event[.recall] == "done" { c.recall = nil }
            c.ruling = event[.ruling] == "true" ? (unit: event.holder, by: event.node) : nil
        case .returned:
            c.returnCount += 1
        case .returnAllowed:
            c.ruling = nil
        case .recallRequested:
            // A request that reaches a case already resolved has nothing left to recall.
            if c.state.isOpen, let to = event[.target] { c.recall = (by: event.node, to: to, reason: event[.reason] ?? "") }
        case .resolved:
            c.recall = nil
        default:
            break
        }
    }

    /// What the holder of a case with a pending recall does, if anything: the dispatcher that asked assigns the
    /// case where it said; any holder below it hands the case up, one tier at a time. Pure; the engine runs it
    /// after every change at the holder.
    public static func carryOutRecall(_ c: Case, node: TopologyNode, parent: String?, eventId: () -> String, at: Date) -> CaseEvent? {
        guard c.holder == node.id, c.state.isOpen, let recall = c.recall else { return nil }
        if recall.by == node.id {
            guard recall.to != node.id, let path = node.path(to: recall.to) else { return nil }
            return CaseEvent(id: eventId(), caseId: c.id, at: at, node: node.id, actor: "system", action: .assigned, state: .dispatched, holder: recall.to,
                             note: "recalled and assigned: \(recall.reason)",
                             data: [.target: recall.to, .reason: recall.reason, .recall: "done"], lists: [.route: path])
        }
        guard let parent else { return nil }
        return CaseEvent(id: eventId(), caseId: c.id, at: at, node: node.id, actor: "system", action: .handedUp, state: .returned, holder: parent,
                         note: "handed up: \(recall.by) recalled the case (\(recall.reason))", data: [.from: node.id, .recallBy: recall.by])
    }

    /// - Parameters:
    ///   - node: the acting node; `parent` is its parent id (nil for the city); `subtree` its own topology subtree.
    public static func event(
        for command: CaseCommand, on c: Case, node: TopologyNode, parent: String?, actor: String,
        eventId: String, at: Date, limits: DeadlinePolicy.Supervision = .init(), verdicts: DeadlinePolicy.Verdicts = .init(),
        find: ((String) -> TopologyNode?)? = nil
    ) throws(CaseRuleError) -> CaseEvent {
        // Part steps are made where the part is, or by the dispatcher that names it (PartRules).
        if let event = try PartRules.event(for: command, on: c, node: node, find: find ?? node.find, actor: actor, eventId: eventId, at: at) { return event }
        // Verdict steps are the city's, whoever holds the case (VerdictRules).
        if let event = try VerdictRules.event(for: command, on: c, node: node, actor: actor, eventId: eventId, at: at, policy: verdicts) { return event }
        // A dispatcher above the holder may recall (assign with a reason) or lift its own ruling; all else is the holder's.
        let isAbove = c.holder != node.id && node.contains(c.holder)
        switch command {
        case .assign where isAbove, .allowReturn where isAbove: break
        case _ where command.isFromAbove:
            guard isAbove else {
                throw CaseRuleError(.notHolder, field: "holder", "extensions are granted and supervision orders issued by a unit above the holder; \(node.id) is not above \(c.holder)")
            }
        default:
            guard c.holder == node.id else {
                throw CaseRuleError(.notHolder, field: "holder", "case \(c.id) is held by \(c.holder), not by \(node.id)")
            }
        }
        func make(_ action: CaseAction, _ state: CaseState, holder: String, note: String? = nil, data: [EventKey: String] = [:], lists: [EventListKey: [String]] = [:]) -> CaseEvent {
            CaseEvent(id: eventId, caseId: c.id, at: at, node: node.id, actor: actor, action: action, state: state, holder: holder, note: note, data: data, lists: lists)
        }
        func require(_ states: [CaseState], _ verb: String) throws(CaseRuleError) {
            guard states.contains(c.state) else {
                let allowed = states.map(\.rawValue).joined(separator: " or ")
                throw CaseRuleError(.badTransition, field: "state", "\(verb) requires state \(allowed); case \(c.id) is \(c.state.rawValue)")
            }
        }
        func nonEmpty(_ value: String, _ field: String) throws(CaseRuleError) -> String { try CaseRuleError.nonEmpty(value, field) }

        if let event = try SupervisionRules.event(for: command, on: c, node: node, actor: actor, eventId: eventId, at: at, limits: limits) { return event }
        switch command {
        case .requestExtension, .approveExtension, .refuseExtension, .supervise, .answerSupervision:
            preconditionFailure("answered by SupervisionRules")
        case .evaluate, .revisitFailed, .sendToCheck, .recordCheck:
            preconditionFailure("answered by VerdictRules")
        case .coHandle, .summon, .partAccept, .partAnswer, .partRelease:
            preconditionFailure("answered by PartRules")
        case .accept:
            guard node.tier == .street || c.holdingDepartment != nil else {
                throw CaseRuleError(.wrongTier, field: "tier", "a street, or a department the case was sent to, signs for cases; \(node.id) is a \(node.tier.rawValue) and the case is with no department of it")
            }
            try require([.dispatched], "accept")
            return make(.accepted, .accepted, holder: node.id)
        case .progress(let note):
            try require([.accepted], "progress")
            return make(.progress, .accepted, holder: node.id, note: try nonEmpty(note, "note"))
        case .resolve(let reply):
            try require([.accepted], "resolve")
            let waiting = c.openCoHandlingParts
            guard waiting.isEmpty else {
                throw CaseRuleError(.badTransition, field: "parts", "the lead resolves \(c.id) once every co-handling part is answered or released; open: \(waiting.map { "\($0.id) (\($0.label))" }.joined(separator: ", "))")
            }
            let text = try nonEmpty(reply, "reply")
            return make(.resolved, .resolved, holder: node.id, note: text, data: [.reply: text])
        case .returnUp(let reason):
            guard let parent else {
                throw CaseRuleError(.badTransition, field: "parent", "\(node.id) is the city: there is no unit above to return to")
            }
            try require([.dispatched, .accepted, .pending, .returned], "return")
            if let ruling = c.ruling, ruling.unit == node.id {
                throw CaseRuleError(.badTransition, field: "ruling", "case \(c.id) was assigned to \(node.id) by a ruling of \(ruling.by): it can be returned only after \(ruling.by) allows it")
            }
            let text = try nonEmpty(reason, "reason")
            return make(.returned, .returned, holder: parent, note: text, data: [.reason: text, .from: node.id])
        case .assign(let target, let category, let reason, let ruling, let department):
            guard target != node.id || department != nil, let path = node.path(to: target), let targetNode = node.find(target) else {
                throw CaseRuleError(.badTarget, field: "target", "\(target) is not a unit below \(node.id) (name a department to assign to one of \(node.id)'s own)")
            }
            if let department, !targetNode.hasDepartment(department) {
                let known = targetNode.departments.isEmpty ? "it has none" : "it has \(targetNode.departments.joined(separator: ", "))"
                throw CaseRuleError(.badTarget, field: "department", "\(target) has no department \(department); \(known)")
            }
            var data: [EventKey: String] = [.target: target]
            if let department { data[.departmentHolds] = department; data[.department] = department }
            var note: String?
            if isAbove {
                // A recall: the holder carries it out (only the holder moves a case), handing it up to this node,
                // which then assigns it to `target`. Until then this is a request in the history.
                guard c.state.isOpen else { throw CaseRuleError(.badTransition, field: "state", "case \(c.id) is \(c.state.rawValue): there is nothing to recall") }
                guard target != c.holder else { throw CaseRuleError(.badTarget, field: "target", "case \(c.id) is already held by \(target)") }
                guard !ruling else { throw CaseRuleError(.badTransition, field: "ruling", "a ruling is given by the holder; recall the case first") }
                let text = try nonEmpty(reason ?? "", "reason")
                return make(.recallRequested, c.state, holder: c.holder, note: "recall from \(c.holder) to \(target): \(text)",
                            data: [.target: target, .reason: text, .recalledFrom: c.holder])
            } else {
                try require([.pending, .returned, .dispatched], "assign")
                if let reason, !reason.isEmpty { data[.reason] = reason; note = reason }
            }
            if ruling {
                guard c.returnCount > 0 else {
                    throw CaseRuleError(.badTransition, field: "ruling", "a ruling settles a case that was returned; \(c.id) never was")
                }
                data[.ruling] = "true"
            }
            if let category { data[.category] = category }
            return make(.assigned, .dispatched, holder: target, note: note, data: data, lists: [.route: path])
        case .allowReturn(let reason):
            guard let ruling = c.ruling else { throw CaseRuleError(.badTransition, field: "ruling", "case \(c.id) has no ruling to lift") }
            guard ruling.by == node.id else {
                throw CaseRuleError(.notHolder, field: "ruling", "the ruling on \(c.id) was given by \(ruling.by); only it may allow a return")
            }
            let text = try nonEmpty(reason, "reason")
            return make(.returnAllowed, c.state, holder: c.holder, note: text, data: [.reason: text])
        }
    }
}
