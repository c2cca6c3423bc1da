import CivicCases
import CivicWire
import Foundation

typealias EventOrigin = PropagationRules.Origin

/// A request to create a case, after HTTP/CLI parsing.
public struct CaseDraft: Sendable, Codable, Equatable {
    public var channel: Channel
    public var citizen: Citizen
    public var subject: String
    public var detail: String
    public var location: Location
    public var category: String?
    public var actor: String

    public init(channel: Channel, citizen: Citizen = Citizen(), subject: String, detail: String = "", location: Location = Location(), category: String? = nil, actor: String = "intake") {
        self.channel = channel; self.citizen = citizen; self.subject = subject; self.detail = detail
        self.location = location; self.category = category; self.actor = actor
    }
}

public struct IntakeReceipt: Sendable, Equatable {
    public var `case`: Case
    /// Set when the draft repeated an open case: `case` is then that existing case.
    public var linkedTo: String?
    public var reasons: [String]
}

/// A new durable line for a peer, produced by a commit and handed to the link layer.
public struct OutboxLine: Sendable, Equatable {
    public var peer: String
    public var seq: Int
    public var line: [UInt8]
}

/// What a committed batch changed, for the link layer and the status cache.
public struct CommitReport: Sendable {
    public var lines: [OutboxLine]
    public var counters: CounterSet
    public var countersChanged: Bool
}

/// Persistent per-link sequence state.
struct LinkRecord {
    var nextOut: Int
    var ackedOut: Int
    var appliedIn: Int
}

/// A durable message from a peer could not be applied. The link layer reports it and does not ack.
public struct ApplyError: Error, CustomStringConvertible, Sendable {
    public var code: String
    public var message: String
    public var description: String { "\(code): \(message)" }
    public init(code: String, message: String) { self.code = code; self.message = message }
    init(_ refusal: PeerRules.Refusal) { self.init(code: refusal.code, message: refusal.message) }
}

extension CaseDraft {
    /// Every field within CaseLimits (see there for why).
    func checkLimits() throws(CaseRuleError) {
        try CaseLimits.check(subject, "subject", max: CaseLimits.subject)
        try CaseLimits.check(detail, "detail", max: CaseLimits.detail)
        try CaseLimits.check(location.address, "address", max: CaseLimits.address)
        try CaseLimits.check(location.division, "division", max: CaseLimits.division)
        try CaseLimits.check(citizen.name, "citizen_name", max: CaseLimits.citizenName)
        try CaseLimits.check(citizen.phone, "citizen_phone", max: CaseLimits.phone)
        try CaseLimits.check(category, "category", max: CaseLimits.category)
        try CaseLimits.check(actor, "actor", max: CaseLimits.actor)
    }
}

extension CaseCommand {
    func checkLimits() throws(CaseRuleError) {
        switch self {
        case .accept: return
        case .progress(let note): try CaseLimits.check(note, "note", max: CaseLimits.note)
        case .resolve(let reply): try CaseLimits.check(reply, "reply", max: CaseLimits.note)
        case .returnUp(let reason): try CaseLimits.check(reason, "reason", max: CaseLimits.note)
        case .assign(let target, let category, let reason, _, let department):
            try CaseLimits.check(target, "target", max: CaseLimits.unitId)
            try CaseLimits.check(department, "department", max: CaseLimits.category)
            try CaseLimits.check(category, "category", max: CaseLimits.category)
            try CaseLimits.check(reason, "reason", max: CaseLimits.note)
        case .allowReturn(let reason), .requestExtension(let reason, _), .refuseExtension(let reason): try CaseLimits.check(reason, "reason", max: CaseLimits.note)
        case .approveExtension(_, let reason): try CaseLimits.check(reason, "reason", max: CaseLimits.note)
        case .supervise(let note, _), .answerSupervision(let note), .revisitFailed(let note): try CaseLimits.check(note, "note", max: CaseLimits.note)
        case .evaluate(let verdict, _): try CaseLimits.check(verdict.comment, "comment", max: CaseLimits.note)
        case .sendToCheck(let reason): try CaseLimits.check(reason, "reason", max: CaseLimits.note)
        case .recordCheck(_, let finding): try CaseLimits.check(finding, "finding", max: CaseLimits.note)
        case .coHandle(let units, let note), .summon(let units, let note):
            for unit in units { try CaseLimits.check(unit, "units", max: CaseLimits.unitId + CaseLimits.category + 1) }
            try CaseLimits.check(note, "note", max: CaseLimits.note)
        case .partAccept(let part): try CaseLimits.check(part, "part", max: CaseLimits.unitId * 2)
        case .partAnswer(let part, let note), .partRelease(let part, let note):
            try CaseLimits.check(part, "part", max: CaseLimits.unitId * 2)
            try CaseLimits.check(note, "note", max: CaseLimits.note)
        }
    }
}

/// Result of applying a durable message from a peer.
public enum ApplyOutcome: Sendable, Equatable {
    case applied
    /// Already applied earlier (a resend after a reconnect): acknowledge again, change nothing.
    case duplicate
}

/// One page of a case list.
public struct CasePage: Sendable {
    public var cases: [Case]
    /// Cursor for the next page (pass as `after`), nil at the end.
    public var next: String?
}

/// Link sequence figures for the status endpoint.
public struct LinkFigures: Sendable, Equatable {
    public var lastAssigned: Int
    public var lastAcked: Int
    public var lastApplied: Int
    /// Restored from a backup and not yet in step with the peer (docs/protocol.md §3.4).
    public var needsResync = false
    public var outboxDepth: Int { lastAssigned - lastAcked }
}

/// A range of one link's messages a restore from a backup lost at this node (`restore_losses`, docs/protocol.md §3.4):
/// `to_peer` were sent and applied by the peer after the backup was taken, `from_peer` were received and
/// acknowledged here after it. The peer holds every event in them.
public struct RestoreLoss: Sendable, Equatable, Codable, CustomStringConvertible {
    public var direction: String
    public var first: Int
    public var last: Int
    public var notedAt: String
    enum CodingKeys: String, CodingKey { case direction, first = "first_seq", last = "last_seq", notedAt = "noted_at" }

    init(direction: String, first: Int, last: Int, notedAt: String) { self.direction = direction; self.first = first; self.last = last; self.notedAt = notedAt }
    init(_ loss: ResyncRules.Loss, notedAt: String) { self.init(direction: loss.direction.rawValue, first: loss.first, last: loss.last, notedAt: notedAt) }

    /// "sent to the peer, seq 11…20 (10)", as the log says it.
    public var description: String { "\(direction == ResyncRules.Loss.Direction.toPeer.rawValue ? "sent to" : "received from") the peer, seq \(first)…\(last) (\(count))" }
    public var count: Int { last - first + 1 }
}

/// What one timer tick did, and when the next timer event of the node falls due.
public struct TimerTick: Sendable, Equatable {
    public var issued: Int
    public var next: Date?
}
