import Foundation

/// Lead and co-handling (主办 / 协办) and summonses (吹哨报到), pure like the rest of `CaseRules`.
///
/// - A dispatcher at the holder or above it names co-handling units (`co_handle`): any unit, or department of
///   one, in its subtree. Each gets a part with its own response and handling limits (the policy's `parts`), signs
///   for it and answers it; the dispatcher that named it (or one above) may release it. The lead resolves the
///   case only when every co-handling part is answered or released.
/// - A street holding a case summons (`summon`) named departments of its district or of the city: each must
///   report (报到) within `summons_within` (30 minutes), or it is warned, marked overdue and escalated like any
///   limit, by the department's own node and the units above it.
///
/// Every part step annotates the case (state and holder stay the lead's), and travels to the lead, to every
/// part's unit and up to the city.
enum PartRules {
    static func event(for command: CaseCommand, on c: Case, node: TopologyNode, find: (String) -> TopologyNode?, actor: String,
                      eventId: String, at now: Date) throws(CaseRuleError) -> CaseEvent? {
        func make(_ action: CaseAction, note: String, data: [EventKey: String] = [:], lists: [EventListKey: [String]] = [:]) -> CaseEvent {
            CaseEvent(id: eventId, caseId: c.id, at: now, node: node.id, actor: actor, action: action, state: c.state, holder: c.holder,
                      note: note, data: data, lists: lists)
        }
        func text(_ value: String, _ field: String) throws(CaseRuleError) -> String { try CaseRuleError.nonEmpty(value, field) }
        func open() throws(CaseRuleError) {
            guard c.state.isOpen else { throw CaseRuleError(.badTransition, field: "state", "case \(c.id) is \(c.state.rawValue): no unit handles it any more") }
        }
        /// Each label names a unit the check accepts and, if given, a department it has; none twice, none with an open part.
        func units(_ labels: [String], _ allowed: (TopologyNode) -> Bool, _ what: String) throws(CaseRuleError) -> [String] {
            guard !labels.isEmpty else { throw CaseRuleError(.missingField, field: "units", "name at least one unit") }
            guard labels.count <= 8 else { throw CaseRuleError(.tooLong, field: "units", "at most 8 units at a time") }
            guard Set(labels).count == labels.count else { throw CaseRuleError(.badTarget, field: "units", "a unit is named twice") }
            for label in labels {
                let (unit, department) = CasePart.parse(label)
                guard let target = find(unit), allowed(target) else { throw CaseRuleError(.badTarget, field: "units", "\(unit) is not \(what)") }
                if let department, !target.hasDepartment(department) {
                    throw CaseRuleError(.badTarget, field: "units", "\(unit) has no department \(department); it has \(target.departments.joined(separator: ", "))")
                }
                if unit == c.holder && department == c.holdingDepartment { throw CaseRuleError(.badTarget, field: "units", "\(label) leads the case already") }
                if c.parts.contains(where: { $0.isOpen && $0.label == label }) { throw CaseRuleError(.badTarget, field: "units", "\(label) has an open part of \(c.id) already") }
            }
            return labels
        }
        func part(_ id: String) throws(CaseRuleError) -> CasePart {
            guard let p = c.part(id) else { throw CaseRuleError(.notFound, field: "part", "case \(c.id) has no part \(id)") }
            return p
        }
        func atPartUnit(_ p: CasePart) throws(CaseRuleError) {
            guard p.unit == node.id else { throw CaseRuleError(.notHolder, field: "part", "part \(p.id) is \(p.label)'s, not \(node.id)'s") }
        }

        switch command {
        case .coHandle(let labels, let note):
            try open()
            guard node.contains(c.holder) else {
                throw CaseRuleError(.notHolder, field: "holder", "co-handling units are named by the holder's node or a node above it; \(c.holder) is not in \(node.id)'s subtree")
            }
            let named = try units(labels, { node.contains($0.id) }, "a unit in \(node.id)'s subtree")
            return make(.coHandlingRequested, note: "co-handling (协办): \(named.joined(separator: ", ")): \(try text(note, "note"))", lists: [.units: named])
        case .summon(let labels, let note):
            try open()
            guard c.holder == node.id, node.tier == .street else {
                throw CaseRuleError(.notHolder, field: "holder", "a summons (吹哨) comes from the street that holds the case; \(c.holder) holds \(c.id)")
            }
            let named = try units(labels, { $0.tier < node.tier && $0.contains(node.id) }, "the district or the city above \(node.id)")
            guard named.allSatisfy({ CasePart.parse($0).department != nil }) else {
                throw CaseRuleError(.badTarget, field: "units", "a summons names departments (d990101/区城管局), not a whole unit")
            }
            return make(.summoned, note: "summons (吹哨): \(named.joined(separator: ", ")): \(try text(note, "note"))", lists: [.units: named])
        case .partAccept(let id):
            let p = try part(id)
            try atPartUnit(p)
            guard p.kind == .coHandling, p.state == .open else {
                throw CaseRuleError(.badTransition, field: "state", "part \(id) is a \(p.kind.rawValue) part, \(p.state.rawValue): only an open co-handling part is signed for")
            }
            return make(.partAccepted, note: "\(p.label) signed for its part", data: [.part: id])
        case .partAnswer(let id, let note):
            let p = try part(id)
            try atPartUnit(p)
            let reply = try text(note, "note")
            switch (p.kind, p.state) {
            case (.coHandling, .accepted): return make(.partAnswered, note: "\(p.label) answered its part: \(reply)", data: [.part: id, .reply: reply])
            case (.summons, .open): return make(.reported, note: "\(p.label) reported (报到): \(reply)", data: [.part: id, .reply: reply])
            default:
                throw CaseRuleError(.badTransition, field: "state", "part \(id) is \(p.state.rawValue): a co-handling part is answered once signed for, a summons reported while open")
            }
        case .partRelease(let id, let reason):
            let p = try part(id)
            guard p.isOpen else { throw CaseRuleError(.badTransition, field: "state", "part \(id) is \(p.state.rawValue) already") }
            guard p.by == node.id || node.contains(p.by) else {
                throw CaseRuleError(.notHolder, field: "part", "part \(id) was named by \(p.by); it or a node above it releases it, not \(node.id)")
            }
            return make(.partReleased, note: "\(p.label) released from its part: \(try text(reason, "reason"))", data: [.part: id, .reason: reason])
        default:
            return nil
        }
    }

    /// Stamps a part-creating event's limits (one per named unit) and a part's handling limit when it is signed for.
    static func stamp(_ event: inout CaseEvent, case c: Case, clock: DeadlineRules.Clock, unitsAbove: (String) -> Int) {
        let policy = clock.policy.parts, supervision = clock.policy.supervision
        func escalations(after due: Date, unit: String) -> String {
            var out: [String] = [], at = due
            for _ in 0..<min(2, unitsAbove(unit)) {
                at = supervision.escalateAfter.due(from: at, calendar: clock.calendar)
                out.append(WireDate.format(at))
            }
            return out.joined(separator: ",")
        }
        switch event.action {
        case .coHandlingRequested, .summoned:
            let limit = event.action == .summoned ? policy.summonsWithin : policy.response
            var due: [String] = [], warn: [String] = [], escalate: [String] = []
            for label in event[.units] {
                let unit = CasePart.parse(label).unit
                let d = limit.due(from: event.at, calendar: clock.calendar)
                due.append(WireDate.format(d))
                warn.append(WireDate.format(limit.warning(from: event.at, due: d, left: supervision.warnWhenLeft, calendar: clock.calendar)))
                escalate.append(escalations(after: d, unit: unit))
            }
            event[.partDue] = due
            event[.partWarnAt] = warn
            event[.partEscalateAt] = escalate
        case .partAccepted:
            guard let p = event[.part].flatMap(c.part) else { return }
            let d = policy.handling.due(from: event.at, calendar: clock.calendar)
            event[.due] = WireDate.format(d)
            event[.warnAt] = WireDate.format(policy.handling.warning(from: event.at, due: d, left: supervision.warnWhenLeft, calendar: clock.calendar))
            event[.escalateAt] = escalations(after: d, unit: p.unit).commaParts.map(String.init)
        default:
            break
        }
    }

    /// What a part step (or a part's timer event) does to the case.
    static func fold(_ event: CaseEvent, into c: inout Case) {
        switch event.action {
        case .coHandlingRequested, .summoned:
            var parts = c.parts
            let due = event[.partDue], warn = event[.partWarnAt], escalate = event[.partEscalateAt]
            for (i, label) in event[.units].enumerated() {
                let (unit, department) = CasePart.parse(label)
                let id = "\(event.id)#\(i + 1)"
                guard !parts.contains(where: { $0.id == id }) else { continue }
                parts.append(CasePart(id: id, kind: event.action == .summoned ? .summons : .coHandling, unit: unit, department: department, state: .open,
                                      by: event.node, clock: i < due.count ? id : nil, due: i < due.count ? due[i] : nil,
                                      warnAt: i < warn.count ? warn[i] : nil, escalateAt: i < escalate.count && !escalate[i].isEmpty ? escalate[i] : nil,
                                      issued: nil, answer: nil))
            }
            c.parts = parts
        case .partAccepted, .partAnswered, .reported, .partReleased, .warned, .overdue, .escalated:
            guard let id = event[.part] else { return }
            var parts = c.parts
            guard let i = parts.firstIndex(where: { $0.id == id }) else { return }
            switch event.action {
            case .partAccepted:
                parts[i].state = .accepted
                parts[i].clock = event.id
                parts[i].due = event[.due]
                parts[i].warnAt = event[.warnAt]
                parts[i].escalateAt = event[.escalateAt].isEmpty ? nil : event[.escalateAt].joined(separator: ",")
                parts[i].issued = nil
            case .partAnswered, .reported:
                parts[i].state = .answered
                parts[i].answer = event[.reply]
            case .partReleased:
                parts[i].state = .released
            default:
                // A timer mark for the part's running clock.
                guard event[.clock] == parts[i].clock, let mark = TimerRules.parseId(event.id)?.mark else { return }
                var marks = Case.marks(parts[i].issued)
                marks.insert(mark.description)
                parts[i].issued = marks.sorted().joined(separator: ",")
            }
            c.parts = parts
        default:
            break
        }
    }
}

extension CaseCommand {
    var isPartStep: Bool {
        switch self {
        case .coHandle, .summon, .partAccept, .partAnswer, .partRelease: true
        default: false
        }
    }
}
