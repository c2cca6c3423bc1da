import Foundation

/// A rule of the case workflow was broken. Carries what an HTTP client needs to fix its request.
public struct CaseRuleError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable { case notFound = "not_found", notHolder = "not_holder", badTransition = "bad_transition", missingField = "missing_field", badTarget = "bad_target", tooLong = "too_long" }
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
}

/// An operator's request to change a case at a node.
public enum CaseCommand: Sendable, Equatable {
    case accept
    case progress(note: String)
    case resolve(reply: String)
    case returnUp(reason: String)
    /// `category` settles the topic when intake was unsure of it (the operator read the case).
    case assign(target: String, category: String? = nil)
}

extension CaseEvent {
    /// The same event, as far as the wire can tell (times travel at millisecond precision).
    public func sameEvent(as other: CaseEvent) -> Bool {
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
        c.state = event.state
        c.holder = event.holder
        c.updatedAt = max(c.updatedAt, event.at)
        if event.action == .assigned {
            if let category = event.data["category"] { c.category = category }
            if let department = event.data["department"] { c.attributes["department"] = department }
        }
    }

    /// - Parameters:
    ///   - node: the acting node; `parent` is its parent id (nil for the city); `subtree` its own topology subtree.
    public static func event(
        for command: CaseCommand, on c: Case, node: TopologyNode, parent: String?, actor: String,
        eventId: String, at: Date
    ) throws(CaseRuleError) -> CaseEvent {
        guard c.holder == node.id else {
            throw CaseRuleError(.notHolder, field: "holder", "case \(c.id) is held by \(c.holder), not by \(node.id)")
        }
        func make(_ action: CaseAction, _ state: CaseState, holder: String, note: String? = nil, data: [String: String] = [:]) -> CaseEvent {
            CaseEvent(id: eventId, caseId: c.id, at: at, node: node.id, actor: actor, action: action, state: state, holder: holder, note: note, data: data)
        }
        func require(_ states: [CaseState], _ verb: String) throws(CaseRuleError) {
            guard states.contains(c.state) else {
                let allowed = states.map(\.rawValue).joined(separator: " or ")
                throw CaseRuleError(.badTransition, field: "state", "\(verb) requires state \(allowed); case \(c.id) is \(c.state.rawValue)")
            }
        }
        func nonEmpty(_ value: String, _ field: String) throws(CaseRuleError) -> String {
            let v = value.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !v.isEmpty else { throw CaseRuleError(.missingField, field: field, "\(field) must not be empty") }
            return v
        }

        switch command {
        case .accept:
            guard node.tier == .street else {
                throw CaseRuleError(.badTransition, field: "tier", "only a street signs for cases; \(node.id) is a \(node.tier.rawValue)")
            }
            try require([.dispatched], "accept")
            return make(.accepted, .accepted, holder: node.id)
        case .progress(let note):
            try require([.accepted], "progress")
            return make(.progress, .accepted, holder: node.id, note: try nonEmpty(note, "note"))
        case .resolve(let reply):
            try require([.accepted], "resolve")
            let text = try nonEmpty(reply, "reply")
            return make(.resolved, .resolved, holder: node.id, note: text, data: ["reply": text])
        case .returnUp(let reason):
            guard let parent else {
                throw CaseRuleError(.badTransition, field: "parent", "\(node.id) is the city: there is no unit above to return to")
            }
            try require([.dispatched, .accepted, .pending, .returned], "return")
            let text = try nonEmpty(reason, "reason")
            return make(.returned, .returned, holder: parent, note: text, data: ["reason": text, "from": node.id])
        case .assign(let target, let category):
            try require([.pending, .returned, .dispatched], "assign")
            guard target != node.id, let path = node.path(to: target) else {
                throw CaseRuleError(.badTarget, field: "target", "\(target) is not a unit below \(node.id)")
            }
            var data = ["target": target, "route": path.joined(separator: "→")]
            if let category { data["category"] = category }
            return make(.assigned, .dispatched, holder: target, data: data)
        }
    }
}
