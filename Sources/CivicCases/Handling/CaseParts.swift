import Foundation

/// One unit's share of a case besides the lead's: a co-handling part (协办) a dispatcher names, or a summons
/// (吹哨报到) a street sends to a department above it. Each has its own unit, its own time limit and its own steps;
/// the lead (the holder) keeps the case. Folded from the events like everything else, kept on the case as JSON
/// under `attributes["parts"]` (only cases that have parts pay for it).
public struct CasePart: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case coHandling = "co_handling", summons }
    public enum State: String, Codable, Sendable {
        /// Sent, not yet signed for (co-handling) or reported to (a summons).
        case open
        case accepted
        /// The co-handling unit answered, or the summoned department reported (报到).
        case answered
        /// The dispatcher let the unit off it.
        case released
    }
    /// `<id of the event that created it>#<n>`: unique mesh-wide, and the clock its first limit runs on.
    public var id: String
    public var kind: Kind
    /// The node, and the department of it when a department has it.
    public var unit: String
    public var department: String?
    public var state: State
    /// The node that created it (a release comes from there or above).
    public var by: String
    /// The running limit: its clock (the event that started it), due, warn and escalation times (wire text).
    public var clock: String?
    public var due: String?
    public var warnAt: String?
    public var escalateAt: String?
    public var issued: String?
    public var answer: String?

    enum CodingKeys: String, CodingKey {
        case id, kind, unit, department, state, by, clock, due, warnAt = "warn_at", escalateAt = "escalate_at", issued, answer
    }

    /// "node" or "node/department", as commands and event lists name a unit.
    public var label: String { department.map { "\(unit)/\($0)" } ?? unit }
    public var isOpen: Bool { state == .open || state == .accepted }

    /// Splits "node/department".
    public static func parse(_ label: String) -> (unit: String, department: String?) {
        let parts = label.split(separator: "/", maxSplits: 1)
        return (parts.first.map(String.init) ?? label, parts.count == 2 ? String(parts[1]) : nil)
    }

    /// The part's running limit as a timer the part's unit warns and marks overdue, and the units above it escalate.
    var timer: CaseTimer? {
        guard isOpen, let clock, let due else { return nil }
        return CaseTimer(kind: kind == .summons ? .summons : .part, clock: clock, dueText: due, warnText: warnAt, escalateText: escalateAt,
                         issuedText: issued ?? "", holder: unit, part: id)
    }
}

extension Case {
    /// The case's co-handling parts and summonses, in the order they were created.
    public var parts: [CasePart] {
        get {
            guard let text = attributes[PartKeys.parts] else { return [] }
            return (try? JSONDecoder().decode([CasePart].self, from: Data(text.utf8))) ?? []
        }
        set {
            attributes[PartKeys.parts] = newValue.isEmpty ? nil : (try? JSONEncoder.sortedKeys.encode(newValue)).map { String(decoding: $0, as: UTF8.self) }
        }
    }
    public func part(_ id: String) -> CasePart? { parts.first { $0.id == id } }
    /// Co-handling parts still open: the lead cannot resolve the case before they are answered or released.
    public var openCoHandlingParts: [CasePart] { parts.filter { $0.kind == .coHandling && $0.isOpen } }
    /// Whether a unit (or a department of it) has an open part here.
    public func hasOpenPart(at unit: String) -> Bool { attributes[PartKeys.parts] != nil && parts.contains { $0.isOpen && $0.unit == unit } }
}

extension JSONEncoder {
    static var sortedKeys: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }
}

enum PartKeys {
    static let parts = "parts"
}

extension EventKey {
    public static let part: EventKey = "part"                  // the part a part step, or a part's timer event, is about
}

extension EventListKey {
    public static let units: EventListKey = "units"            // the units ("node" or "node/department") a co-handling request or a summons names
    public static let partDue: EventListKey = "part_due"       // one due time per named unit, stamped by the node that names them
    public static let partWarnAt: EventListKey = "part_warn_at"
    public static let partEscalateAt: EventListKey = "part_escalate_at" // per unit: "t1,t2" (or empty)
}
