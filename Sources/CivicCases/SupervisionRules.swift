import Foundation

/// Operator commands of time limits and supervision (分级督办).
extension CaseCommand {
    /// The commands a unit above the holder gives (never the holder's own).
    var isFromAbove: Bool {
        switch self {
        case .approveExtension, .refuseExtension, .supervise: true
        default: false
        }
    }
}

/// Extensions (延期) and supervision orders (督办单), pure like the rest of `CaseRules`: the holder asks for more
/// time and answers orders; a unit above it (district or city dispatcher) grants or refuses and issues orders.
/// None of these moves the case; each starts or stops a clock (`DeadlineRules`).
enum SupervisionRules {
    static func event(for command: CaseCommand, on c: Case, node: TopologyNode, actor: String, eventId: String, at now: Date,
                      limits: DeadlinePolicy.Supervision) throws(CaseRuleError) -> CaseEvent? {
        func make(_ action: CaseAction, note: String, data: [EventKey: String]) -> CaseEvent {
            CaseEvent(id: eventId, caseId: c.id, at: now, node: node.id, actor: actor, action: action, state: c.state, holder: c.holder, note: note, data: data)
        }
        func text(_ value: String, _ field: String) throws(CaseRuleError) -> String { try CaseRuleError.nonEmpty(value, field) }
        func open() throws(CaseRuleError) {
            guard c.state.isOpen else { throw CaseRuleError(.badTransition, field: "state", "case \(c.id) is \(c.state.rawValue): no time limit runs") }
        }
        func runningLimit() throws(CaseRuleError) -> CaseTimer {
            try open()
            guard let timer = c.limitTimer else { throw CaseRuleError(.badTransition, field: "limit", "case \(c.id) has no time limit running at \(c.holder)") }
            return timer
        }
        switch command {
        case .requestExtension(let reason, let until):
            let timer = try runningLimit()
            guard !c.extensionPending else {
                throw CaseRuleError(.badTransition, field: "extension", "case \(c.id) already has a request for more time waiting for an answer")
            }
            guard c.extensionsGranted < limits.maxExtensions else {
                throw CaseRuleError(.badTransition, field: "extension", "case \(c.id) was granted \(c.extensionsGranted) extensions, the most the policy allows (max_extensions \(limits.maxExtensions))")
            }
            var data: [EventKey: String] = [.reason: try text(reason, "reason"), .clock: timer.clock, .limit: timer.kind.rawValue, .due: timer.dueText]
            if let until {
                guard until > timer.due else { throw CaseRuleError(.badTarget, field: "until", "until must be after the current due time \(timer.dueText)") }
                data[.until] = WireDate.format(until)
            }
            return make(.extensionRequested, note: "more time asked for the \(timer.kind.rawValue) limit: \(data[.reason]!)", data: data)
        case .approveExtension(let until, let reason):
            let timer = try runningLimit()
            guard c.extensionPending else { throw CaseRuleError(.badTransition, field: "extension", "case \(c.id) has no request for more time to answer") }
            guard until > timer.due, until > now else {
                throw CaseRuleError(.badTarget, field: "until", "until must be after the current due time \(timer.dueText) and after now")
            }
            var data: [EventKey: String] = [.until: WireDate.format(until), .clock: timer.clock, .limit: timer.kind.rawValue, .due: timer.dueText]
            let why = reason.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
            if let why { data[.reason] = why }
            return make(.extensionApproved, note: "extension granted to \(c.holder) until \(data[.until]!)" + (why.map { ": \($0)" } ?? ""), data: data)
        case .refuseExtension(let reason):
            _ = try runningLimit()
            guard c.extensionPending else { throw CaseRuleError(.badTransition, field: "extension", "case \(c.id) has no request for more time to answer") }
            let why = try text(reason, "reason")
            return make(.extensionRefused, note: "extension refused: \(why)", data: [.reason: why])
        case .supervise(let note, let answerBy):
            try open()
            guard c.orderTimer == nil else {
                throw CaseRuleError(.badTransition, field: "order", "case \(c.id) has a supervision order from \(c.supervisionOrderBy ?? "?") still unanswered")
            }
            var data: [EventKey: String] = [.reason: try text(note, "note")]
            if let answerBy {
                guard answerBy > now else { throw CaseRuleError(.badTarget, field: "answer_by", "answer_by must be in the future") }
                data[.answerBy] = WireDate.format(answerBy)
            }
            return make(.supervised, note: "supervision order to \(c.holder): \(data[.reason]!)", data: data)
        case .answerSupervision(let note):
            try open()
            guard let order = c.orderTimer else { throw CaseRuleError(.badTransition, field: "order", "case \(c.id) has no open supervision order") }
            let text = try text(note, "note")
            return make(.supervisionAnswered, note: "answer to the supervision order of \(c.supervisionOrderBy ?? "?"): \(text)", data: [.order: order.clock, .reply: text])
        default:
            return nil
        }
    }
}
