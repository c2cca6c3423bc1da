import Foundation

/// How satisfied the citizen is with the handling (群众评价).
public enum Satisfaction: String, Sendable, Equatable, CaseIterable {
    case satisfied
    case basicallySatisfied = "basically_satisfied"
    case unsatisfied
}

/// The citizen's verdict on a resolved case, as the citizen gave it or a return-visit operator (回访) heard it.
public struct Verdict: Sendable, Equatable {
    public enum Source: String, Sendable { case citizen, revisit }
    public var satisfaction: Satisfaction
    /// "Was the problem solved?" (解决 / 未解决); nil when not asked.
    public var solved: Bool?
    public var comment: String?
    public var source: Source
    public init(satisfaction: Satisfaction, solved: Bool?, comment: String?, source: Source) {
        self.satisfaction = satisfaction; self.solved = solved; self.comment = comment; self.source = source
    }
}

/// What happens to an unsatisfied case.
public enum UnsatisfiedRoute: String, Sendable, Equatable {
    /// Back to the unit that resolved it (二次办理), with the citizen's comment.
    case reopen
    /// To the city's third-party check (第三方核查).
    case check
}

/// Why a case was closed (`closed_as` on the case and on the closing event).
public enum ClosedAs: String, Sendable, CaseIterable {
    /// Satisfied or basically satisfied.
    case verdict
    /// No verdict within the policy's time: counted apart, never as satisfied.
    case noEvaluation = "no_evaluation"
    /// The return visit could not reach the citizen after the policy's attempts.
    case unreachable
    /// A third-party check found the handling sound.
    case checkUpheld = "check_upheld"
}

/// The verdict steps at the city, the node that keeps every case whole and takes verdicts.
extension CaseCommand {
    var isVerdictStep: Bool {
        switch self {
        case .evaluate, .revisitFailed, .sendToCheck, .recordCheck: true
        default: false
        }
    }
}

/// The citizen's verdict and what follows it, pure like the rest of `CaseRules`.
///
/// Verdicts are taken at the city only: the city holds every case, the citizen's phone number and the
/// return-visit desk, and it is the one node that moves a resolved case, so verdict steps never race (the
/// holder can no longer move a resolved case; a reopened one is the holder's again).
///
/// | from | step | to |
/// |---|---|---|
/// | resolved | satisfied / basically satisfied | closed (`verdict`) |
/// | resolved | unsatisfied, reopens left (`reopen_limit`) | dispatched to the same unit (二次办理), a new response clock |
/// | resolved | unsatisfied, no reopens left, or the operator's choice | checking (第三方核查) |
/// | resolved | could not reach the citizen, `max_attempts` times | closed (`unreachable`) |
/// | resolved | no verdict within `within` (the city's timer) | closed (`no_evaluation`) |
/// | resolved | a dispatcher sends it to the check | checking |
/// | checking | the check upholds the handling | closed (`check_upheld`) |
/// | checking | the check finds it not handled | dispatched to the same unit |
enum VerdictRules {
    static func event(for command: CaseCommand, on c: Case, node: TopologyNode, actor: String, eventId: String, at now: Date,
                      policy: DeadlinePolicy.Verdicts) throws(CaseRuleError) -> CaseEvent? {
        guard command.isVerdictStep else { return nil }
        guard node.tier == .city else {
            throw CaseRuleError(.wrongTier, field: "tier", "verdicts are taken at the city; \(node.id) is a \(node.tier.rawValue)")
        }
        func make(_ action: CaseAction, _ state: CaseState, note: String, data: [EventKey: String]) -> CaseEvent {
            CaseEvent(id: eventId, caseId: c.id, at: now, node: node.id, actor: actor, action: action, state: state, holder: c.holder, note: note, data: data)
        }
        func require(_ state: CaseState, _ verb: String) throws(CaseRuleError) {
            guard c.state == state else {
                throw CaseRuleError(.badTransition, field: "state", "\(verb) requires state \(state.rawValue); case \(c.id) is \(c.state.rawValue)")
            }
        }
        func text(_ value: String, _ field: String) throws(CaseRuleError) -> String { try CaseRuleError.nonEmpty(value, field) }
        switch command {
        case .evaluate(let verdict, let asked):
            try require(.resolved, "a verdict")
            let comment = verdict.comment?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty
            var data: [EventKey: String] = [.satisfaction: verdict.satisfaction.rawValue, .verdictBy: verdict.source.rawValue]
            if let solved = verdict.solved { data[.solved] = solved ? "true" : "false" }
            if let comment { data[.comment] = comment }
            let heard = "\(verdict.satisfaction.rawValue)\(verdict.solved.map { $0 ? ", solved" : ", not solved" } ?? "")\(comment.map { ": \($0)" } ?? "")"
            guard verdict.satisfaction == .unsatisfied else {
                data[.closedAs] = ClosedAs.verdict.rawValue
                return make(.evaluated, .closed, note: "verdict (\(verdict.source.rawValue)): \(heard)", data: data)
            }
            let route = asked ?? (c.reopenCount < policy.reopenLimit ? .reopen : .check)
            if route == .reopen {
                data[.reopen] = "true"
                return make(.evaluated, .dispatched, note: "verdict (\(verdict.source.rawValue)): \(heard); reopened at \(c.holder)", data: data)
            }
            return make(.evaluated, .checking, note: "verdict (\(verdict.source.rawValue)): \(heard); sent to the third-party check", data: data)
        case .revisitFailed(let note):
            try require(.resolved, "a return visit")
            let attempts = c.revisitAttempts + 1
            let why = note.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty ?? "no answer"
            var data: [EventKey: String] = [.attempt: String(attempts)]
            guard attempts >= policy.maxAttempts else {
                return make(.revisitFailed, .resolved, note: "return visit \(attempts) of \(policy.maxAttempts) could not reach the citizen: \(why)", data: data)
            }
            data[.closedAs] = ClosedAs.unreachable.rawValue
            return make(.closed, .closed, note: "closed: the citizen could not be reached in \(attempts) return visits (\(why))", data: data)
        case .sendToCheck(let reason):
            try require(.resolved, "a third-party check")
            let why = try text(reason, "reason")
            return make(.checkRequested, .checking, note: "sent to the third-party check: \(why)", data: [.reason: why])
        case .recordCheck(let upheld, let finding):
            try require(.checking, "a check finding")
            let text = try text(finding, "finding")
            if upheld {
                return make(.checked, .closed, note: "third-party check upheld the handling: \(text)", data: [.finding: text, .upheld: "true", .closedAs: ClosedAs.checkUpheld.rawValue])
            }
            return make(.checked, .dispatched, note: "third-party check found it not handled: \(text); reopened at \(c.holder)",
                        data: [.finding: text, .upheld: "false", .reopen: "true"])
        default:
            return nil
        }
    }

    /// What a verdict step does to the case (part of `CaseRules.fold`).
    static func fold(_ event: CaseEvent, into c: inout Case) {
        switch event.action {
        case .resolved:
            c.attributes[VerdictKeys.verdictDue] = event[.verdictDue]
            c.attributes[VerdictKeys.verdictClock] = event[.verdictDue] == nil ? nil : event.id
            c.attributes[VerdictKeys.verdictIssued] = nil
            c.attributes[VerdictKeys.revisitAttempts] = nil
        case .evaluated, .checked, .closed, .checkRequested:
            if event.action == .evaluated {
                c.attributes[VerdictKeys.satisfaction] = event[.satisfaction]
                c.attributes[VerdictKeys.solved] = event[.solved]
            }
            if let closedAs = event[.closedAs] { c.attributes[VerdictKeys.closedAs] = closedAs }
            if event[.reopen] == "true" { c.reopenCount += 1 }
            if event.state != .resolved {
                for key in [VerdictKeys.verdictDue, VerdictKeys.verdictClock, VerdictKeys.verdictIssued] { c.attributes[key] = nil }
            }
            if TimerRules.parseId(event.id)?.mark == .unrated { c.attributes[VerdictKeys.verdictIssued] = "unrated" }
        case .revisitFailed:
            c.attributes[VerdictKeys.revisitAttempts] = event[.attempt]
        default:
            break
        }
    }

    static func totals(for event: CaseEvent) -> [String] {
        var out: [String] = []
        if event.action == .evaluated, let s = event[.satisfaction] { out.append(s) }
        if event.action == .evaluated, let solved = event[.solved] { out.append(solved == "true" ? "solved" : "not_solved") }
        if event[.reopen] == "true" { out.append("reopened") }
        if event.state == .checking { out.append("checks") }
        if let closedAs = event[.closedAs], event.state == .closed { out.append("closed_" + closedAs) }
        return out
    }
}

/// The verdict counters (`Counters.verdicts`): totals of events about cases the scope's units resolved.
public enum VerdictCounts {
    public static let totals = ["satisfied", "basically_satisfied", "unsatisfied", "solved", "not_solved", "reopened", "checks",
                                "closed_verdict", "closed_no_evaluation", "closed_unreachable", "closed_check_upheld"]
}

/// The attribute keys a case keeps the verdict under (folded from the events).
enum VerdictKeys {
    static let verdictDue = "verdict_due", verdictClock = "verdict_clock", verdictIssued = "verdict_issued"
    static let satisfaction = "satisfaction", solved = "solved", closedAs = "closed_as", reopens = "reopens", revisitAttempts = "revisit_attempts"
    static let all: Set<String> = [verdictDue, verdictClock, verdictIssued, satisfaction, solved, closedAs, reopens, revisitAttempts]
}

extension Case {
    /// How often a verdict or a check sent the case back to its unit (二次办理).
    public var reopenCount: Int {
        get { Int(attributes[VerdictKeys.reopens] ?? "") ?? 0 }
        set { attributes[VerdictKeys.reopens] = String(newValue) }
    }
    /// Return visits that could not reach the citizen since the case was last resolved.
    public var revisitAttempts: Int { Int(attributes[VerdictKeys.revisitAttempts] ?? "") ?? 0 }
    public var satisfaction: Satisfaction? { attributes[VerdictKeys.satisfaction].flatMap(Satisfaction.init(rawValue:)) }
    public var closedAs: ClosedAs? { attributes[VerdictKeys.closedAs].flatMap(ClosedAs.init(rawValue:)) }

    /// The time the city waits for the verdict, while the case waits for one.
    public var verdictTimer: CaseTimer? {
        guard state == .resolved, let clock = attributes[VerdictKeys.verdictClock], let due = attributes[VerdictKeys.verdictDue] else { return nil }
        return CaseTimer(kind: .verdict, clock: clock, dueText: due, warnText: nil, escalateText: nil, issuedText: attributes[VerdictKeys.verdictIssued] ?? "")
    }
}

extension EventKey {
    public static let satisfaction: EventKey = "satisfaction"  // satisfied, basically_satisfied or unsatisfied
    public static let solved: EventKey = "solved"              // "true" / "false": was the problem solved
    public static let comment: EventKey = "comment"            // the citizen's words with the verdict
    public static let verdictBy: EventKey = "verdict_by"       // citizen (the public page) or revisit (a return-visit call)
    public static let closedAs: EventKey = "closed_as"         // why a closing event closes (ClosedAs)
    public static let reopen: EventKey = "reopen"              // "true" on a step that sends the case back to its unit
    public static let attempt: EventKey = "attempt"            // which return visit could not reach the citizen
    public static let finding: EventKey = "finding"            // the third-party check's finding
    public static let upheld: EventKey = "upheld"              // "true" when the check upheld the handling
    public static let verdictDue: EventKey = "verdict_due"     // stamped on a resolution: when the city closes it without a verdict
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
