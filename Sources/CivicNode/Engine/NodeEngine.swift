import CivicCases
import CivicStore
import CivicWire
import Foundation

/// What intake learned about a new case before routing it.
public struct IntakeAnalysis: Sendable, Equatable {
    /// The topic when it is settled (given by the caller, or predicted confidently).
    public var category: String?
    public var requestType: String?
    /// Stored on the case: department, topic guess and probability…
    public var attributes: TextMap
    /// One line per decision, recorded in the case's first event.
    public var reasons: [String]
    /// Set when the topic decides the responsible department but the classifier is unsure: the case waits
    /// for an operator, who sees these guesses (best first) instead of a wrong unit getting it.
    public var uncertainTopics: [String]?
    /// Where the place rules put the new case within the intake node's subtree.
    public var placement: Placement?

    public init(category: String? = nil, requestType: String? = nil, attributes: TextMap = [:], reasons: [String] = [], uncertainTopics: [String]? = nil) {
        self.category = category; self.requestType = requestType; self.attributes = attributes
        self.reasons = reasons; self.uncertainTopics = uncertainTopics
    }
}

/// Decides where a case goes and what it is about. `NodeTriage` adapts CivicTriage to this.
public protocol CaseRouting: Sendable {
    func place(_ c: Case, within scope: TopologyNode) -> Placement
    /// Intake-time decisions for a new case, `scope` being the intake node's subtree.
    func analyse(_ draft: CaseDraft, within scope: TopologyNode) -> IntakeAnalysis
    /// The department the catalogue names for a topic at a unit's tier, as automatic dispatch would set it.
    func department(for category: String, at unit: String) -> String?
    /// A unit of the node's topology (its own subtree and the units above it).
    func unit(_ id: String) -> TopologyNode?
}

/// The case domain on top of the node's database. Runs only on the store's writer thread:
/// every method is called inside a group-commit transaction, so each call is atomic and durable together
/// with the outbox lines and counters it produces.
final class NodeEngine {
    let db: Database
    let me: TopologyNode
    let parentId: String?
    let casePrefix: String
    let router: any CaseRouting
    private let jsonEncoder = WireJSON.encoder()
    /// The read queries, on the writer's connection (inside its transactions).
    let queries: CaseQueries
    var jsonDecoder: JSONDecoder { queries.decoder }
    private let subtreeIds: Set<String>

    /// Undo for every in-memory mirror an operation changes (see OperationScope).
    let scope = OperationScope()
    let caseRows: CaseRowProjection
    let counterProjection: CounterProjection
    /// When this node next issues a timer event, and the supervision list.
    let supervision: SupervisionProjection
    /// Every read model the engine keeps from the events, in the order each recorded event reaches them.
    private(set) var projections: [any Projection] = []
    var counters: CounterSet { counterProjection.counters }
    /// Link sequence numbers and the outbox: owned there, never copied here.
    let linkLedger: LinkLedger
    private var nextEventNumber: Int
    /// Case numbers start above this (raised by each restore: NodeRestore).
    private let caseNumberFloor: Int
    let duplicates: DuplicateRegistry
    /// The whole history of each case this operation has in hand, kept as its events are recorded, so that
    /// sending a case down (a dispatch carries its history) or finding who returned it does not read and decode
    /// the events back from the database. Emptied at the start of every operation (intake, command, peer message).
    private var histories: [String: [CaseEvent]] = [:]
    /// The JSON each event this operation stored was written as, by id: a line carrying the event splices these
    /// bytes instead of writing the event again (an event never changes once stored). Emptied with `histories`.
    private var storedEventBodies: [String: [UInt8]] = [:]

    /// The city's time limits and working-day calendar (from the topology).
    let deadlineClock: DeadlineRules.Clock

    init(db: Database, me: TopologyNode, parentId: String?, casePrefix: String, router: any CaseRouting, maxLineBytes: Int = 1 << 20, now: Date = Date(),
         deadlineClock: DeadlineRules.Clock = DeadlineRules.Clock(policy: .sample, calendar: .china2026)) throws {
        self.deadlineClock = deadlineClock
        self.maxLineBytes = maxLineBytes
        self.db = db
        queries = CaseQueries(db: db, nodeId: me.id)
        self.me = me
        self.parentId = parentId
        self.casePrefix = casePrefix
        self.router = router
        self.subtreeIds = Set(me.allNodes.map(\.id))
        try db.migrate(Schema.migrations)
        nextEventNumber = Int(try db.queryOne("SELECT value FROM meta WHERE key = 'next_event'")?.string("value") ?? "1") ?? 1
        caseNumberFloor = Int(try db.queryOne("SELECT value FROM meta WHERE key = 'case_number_floor'")?.string("value") ?? "0") ?? 0
        for row in try db.query("SELECT key, value FROM meta WHERE key LIKE 'features:%'") {
            if let key = row.string("key") { peerFeatures[String(key.dropFirst(9))] = Set((row.string("value") ?? "").split(separator: ",").map(String.init)) }
        }
        linkLedger = try LinkLedger(db: db, scope: scope)
        caseRows = CaseRowProjection(db: db, links: linkLedger)
        counterProjection = try CounterProjection(db: db, scope: scope, me: me.id, subtree: subtreeIds)
        supervision = SupervisionProjection(db: db, me: me)
        projections = [caseRows, counterProjection, DeadlineProjection(db: db), supervision, PartProjection(db: db)]
        duplicates = DuplicateRegistry(scope: scope)
        try duplicates.load(from: db, decoder: jsonDecoder, now: now)
    }

    // MARK: - Intake

    /// - Parameter precomputed: triage computed before, off the writer thread (`IntakePipeline`); computed
    ///   here when absent. It needs no database, so the writer need not spend its time on it.
    func intake(_ draft: CaseDraft, at now: Date, analysis precomputed: IntakeAnalysis? = nil) throws -> IntakeReceipt {
        try operation { try intakeCase(draft, at: now, analysis: precomputed) }
    }

    private func intakeCase(_ draft: CaseDraft, at now: Date, analysis precomputed: IntakeAnalysis?) throws -> IntakeReceipt {
        let subject = draft.subject.trimmingWhitespace
        guard !subject.isEmpty else { throw CaseRuleError(.missingField, field: "subject", "subject must not be empty") }
        try draft.checkLimits()
        linkLedger.lineBudget = localLineBudget
        guard me.tier != .district else {
            throw CaseRuleError(.wrongTier, field: "tier", "cases enter at the city or at a street; \(me.id) is a district")
        }
        var analysis = precomputed ?? router.analyse(draft, within: me)
        // Where the case belongs, as far as this node can tell: the key for "the same place" in duplicate checks.
        let place = me.tier == .street ? me.id : (analysis.placement?.target ?? draft.location.division)
        if let place { analysis.attributes["place"] = place }
        if let match = duplicates.findDuplicate(of: draft, place: place, at: now), let existing = try loadCase(match.caseId), existing.state.isOpen,
           subtreeIds.contains(existing.holder) {
            // Only a case held in this node's subtree: a street's stale copy of a case it returned is not its to link.
            let event = makeEvent(existing, at: now, actor: draft.actor, action: .linked, state: existing.state, holder: existing.holder,
                                  note: "repeat report via \(draft.channel.rawValue): \(subject)",
                                  data: [.reason: match.reason, .phone: draft.citizen.phone ?? "", .channel: draft.channel.rawValue])
            var updated = existing
            try record(event, into: &updated, origin: .local)
            return IntakeReceipt(case: updated, linkedTo: existing.id, reasons: [match.reason])
        }
        let day = CaseID.dayStamp(now)
        let sequence = try nextCaseNumber(day: day)
        let id = CaseID.make(prefix: casePrefix, day: day, intakeNode: me.id, isCity: me.tier == .city, sequence: sequence)
        let handledHere = me.tier == .street
        var c = Case(id: id, channel: draft.channel, citizen: draft.citizen, subject: subject, detail: draft.detail,
                     location: draft.location, category: analysis.category, requestType: analysis.requestType,
                     intake: me.id, createdAt: now, state: handledHere ? .accepted : .pending, holder: me.id, attributes: analysis.attributes)
        if handledHere, c.location.division == nil { c.location.division = me.codes.first }
        let created = makeEvent(c, at: now, actor: draft.actor, action: .created, state: c.state, holder: me.id,
                                note: handledHere ? "reported at \(me.name); handled here" : nil,
                                data: [.channel: draft.channel.rawValue], lists: [.triage: analysis.reasons])
        try record(created, into: &c, origin: .local, known: false)
        duplicates.add(c)
        var reasons = analysis.reasons
        if let guesses = analysis.uncertainTopics, !handledHere {
            let reason = "topic uncertain (top guesses: \(guesses.joined(separator: ", "))): an operator chooses the department"
            reasons.append(try queueForOperator(&c, reason: reason, lists: [.topics: guesses], at: now))
        } else if !handledHere {
            reasons.append(contentsOf: try route(&c, at: now, excluding: [], placement: analysis.placement))
        }
        return IntakeReceipt(case: c, linkedTo: nil, reasons: reasons)
    }

    /// The day's last case number, kept in memory: its meta row is written once per batch (`flushMeta`), as the
    /// event number is, instead of a read and a write of the row for every new case.
    private var caseSequence: (day: String, last: Int, dirty: Bool)?

    private func nextCaseNumber(day: String) throws -> Int {
        let before = caseSequence
        // Whatever this operation changes, a rollback restores: also the old day's row written at midnight below,
        // which the savepoint's rollback takes back with it (so that day stays dirty).
        scope.onRollback { [unowned self] in caseSequence = before }
        if caseSequence?.day != day {
            try flushCaseSequence()
            // After a restore the node may have numbered cases the backup never saw: it starts above them (NodeRestore).
            let stored = Int(try db.queryOne("SELECT value FROM meta WHERE key = ?", [.text("case_seq:\(day)")])?.string("value") ?? "0") ?? 0
            caseSequence = (day, max(stored, caseNumberFloor), false)
        }
        caseSequence!.last += 1
        caseSequence!.dirty = true
        return caseSequence!.last
    }

    private func flushCaseSequence() throws {
        guard let sequence = caseSequence, sequence.dirty else { return }
        try db.execute("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                       [.text("case_seq:\(sequence.day)"), .text(String(sequence.last))])
        caseSequence!.dirty = false
    }

    // MARK: - Operator commands

    /// `authorize` sees the case as stored before anything is decided, and throws to refuse (the caller's
    /// access rule): a refused command changes nothing.
    func perform(_ command: CaseCommand, on caseId: String, actor: String, at now: Date, authorize: ((Case) throws -> Void)? = nil) throws -> Case {
        try operation { try performCommand(command, on: caseId, actor: actor, at: now, authorize: authorize) }
    }

    private func performCommand(_ command: CaseCommand, on caseId: String, actor: String, at now: Date, authorize: ((Case) throws -> Void)?) throws -> Case {
        try command.checkLimits()
        try CaseLimits.check(actor, "actor", max: CaseLimits.actor)
        linkLedger.lineBudget = localLineBudget
        guard var c = try loadCase(caseId) else { throw CaseRuleError(.notFound, field: "id", "no case \(caseId) at \(me.id)") }
        try authorize?(c)
        guard try queries.eventCount(of: caseId) < CaseLimits.maxEvents else {
            throw CaseRuleError(.tooLong, field: "history", "case \(caseId) already has \(CaseLimits.maxEvents) events, the most one case may collect")
        }
        var event = try CaseRules.event(for: command, on: c, node: me, parent: parentId, actor: actor, eventId: takeEventId(), at: now,
                                        limits: deadlineClock.policy.supervision, verdicts: deadlineClock.policy.verdicts, find: router.unit)
        if event.action == .assigned, event[.departmentHolds] == nil, let category = event[.category], let department = router.department(for: category, at: event.holder) {
            // Settling the topic by hand names the department just as automatic dispatch would have.
            event[.department] = department
        }
        try record(event, into: &c, origin: .local)
        try carryOutRecall(&c, at: now)
        if !c.state.isOpen { duplicates.remove(c) }
        return c
    }

    // MARK: - Messages from peers

    /// `bodies`: the line's own JSON for the case and events (`MeshCodec.decodeKeepingBodies`), stored as they
    /// came instead of being written again; nil when Foundation read the line.
    func apply(_ message: MeshMessage, bodies: ReceivedBodies? = nil, from peer: String, at now: Date) throws -> ApplyOutcome {
        try operation { try applyMessage(message, bodies: bodies, from: peer, at: now) }
    }

    /// One operation: the history in hand and the projections' held rows start empty, and the rows are written
    /// when it succeeds (a failed one is rolled back by its savepoint, and what it held is dropped next time).
    private func operation<T>(_ body: () throws -> T) throws -> T {
        histories.removeAll(keepingCapacity: true)
        storedEventBodies.removeAll(keepingCapacity: true)
        linkLedger.beginOperation()
        for projection in projections { projection.beginOperation() }
        let result = try body()
        for projection in projections { try projection.finishOperation() }
        try linkLedger.finishOperation()
        return result
    }

    private func applyMessage(_ message: MeshMessage, bodies: ReceivedBodies?, from peer: String, at now: Date) throws -> ApplyOutcome {
        guard let seq = message.durableSeq else { throw ApplyError(code: "not_durable", message: "\(message.type) is not a durable message") }
        switch linkLedger.classify(inbound: seq, from: peer) {
        case .duplicate: return .duplicate
        case .gap(let expected): throw ApplyError(code: "sequence_gap", message: "expected seq \(expected) from \(peer), got \(seq)")
        case .next: break
        }
        let fromParent = peer == parentId
        let origin: EventOrigin = fromParent ? .parent : .child(peer)
        let sender: PeerRules.Sender = fromParent ? .parent : .child(peer)
        linkLedger.lineBudget = maxLineBytes
        switch message {
        case .dispatch(let m):
            guard fromParent else { throw ApplyError(code: "wrong_direction", message: "dispatch only comes from the parent") }
            // The case comes down to be held here, or for a part (co-handling, a summons) a unit here has.
            guard subtreeIds.contains(m.case.holder) || m.case.parts.contains(where: { subtreeIds.contains($0.unit) }) else {
                throw ApplyError(code: "invalid_case", message: "dispatch of \(m.case.id) to \(m.case.holder), which is not in \(me.id)'s subtree")
            }
            // A case new here takes the parent's header, less what the events fold in (they are all here and are
            // folded below); a known one keeps ours and changes only by events.
            let stored = try loadCase(m.case.id)
            var c = stored ?? m.case.withoutFoldedAttributes
            var known = stored != nil
            // The case row takes the line's bytes for the case if the events fold it to the very header it carries.
            if let bodies { caseRows.remember(m.case, body: bodies.caseJSON) }
            for (index, event) in m.events.enumerated() {
                guard event.caseId == m.case.id else { throw ApplyError(code: "invalid_event", message: "event \(event.id) is about \(event.caseId), not \(m.case.id)") }
                try recordFromPeer(event, body: bodies?.eventsJSON[index], into: &c, known: known, from: sender, origin: origin)
                known = true
            }
            try react(&c, after: m.events.last, at: now)
        case .update(let m):
            guard m.event.caseId == m.case.id else { throw ApplyError(code: "invalid_event", message: "event \(m.event.id) is about \(m.event.caseId), not \(m.case.id)") }
            let stored = try loadCase(m.case.id)
            // A restore that lost messages with this peer may have lost the case itself: it is adopted from the header.
            let adopted = stored == nil && m.event.action != .created && linkLedger.lostMessages(with: peer)
            if adopted {
                if let refusal = PeerRules.checkAdoptedHeader(m.case, event: m.event, from: sender, me: me) { throw ApplyError(refusal) }
            } else if stored == nil, let refusal = PeerRules.checkNewHeader(m.case, first: m.event, from: sender) { throw ApplyError(refusal) }
            var c = stored ?? m.case
            if let bodies { caseRows.remember(m.case, body: bodies.caseJSON) }
            let body = bodies?.eventsJSON.first
            let isNew = adopted ? try recordAdopted(m.event, body: body, into: &c, origin: origin)
                : try recordFromPeer(m.event, body: body, into: &c, known: stored != nil, from: sender, origin: origin)
            if isNew, m.event.action == .created { duplicates.add(c) }
            if !c.state.isOpen { duplicates.remove(c) }
            try react(&c, after: m.event, at: now)
        default:
            throw ApplyError(code: "not_durable", message: "\(message.type) is not a durable message")
        }
        try linkLedger.markApplied(seq, from: peer)
        return .applied
    }

    /// Records a peer's event after the protocol's checks: a new event must be one this peer may send
    /// (PeerRules); a known id must carry the very event stored under it (a clash is refused, never skipped).
    @discardableResult
    private func recordFromPeer(_ event: CaseEvent, body: [UInt8]? = nil, into c: inout Case, known: Bool, from sender: PeerRules.Sender,
                                origin: EventOrigin) throws -> Bool {
        // Insert first: a new event costs one statement, and only a known id is read back (to tell a resend from a
        // clash). A refused event is rolled back with the operation.
        guard try insertEvent(event, body: body) else {
            guard let stored = try queries.event(event.id), stored.sameEvent(as: event) else {
                throw ApplyError(code: "event_id_clash", message: "event id \(event.id) is already used by a different event at \(me.id)")
            }
            return false
        }
        if let refusal = PeerRules.check(event, stored: known ? c : nil, from: sender, me: me) { throw ApplyError(refusal) }
        try applyRecorded(event, into: &c, origin: origin, known: known)
        return true
    }

    /// A case this node lost in a restore, taken back from a peer's update (checked by `PeerRules.checkAdoptedHeader`):
    /// the header as the peer has it, with this one event; its earlier history stays with the peers that hold it.
    private func recordAdopted(_ event: CaseEvent, body: [UInt8]?, into c: inout Case, origin: EventOrigin) throws -> Bool {
        guard try insertEvent(event, body: body) else {
            throw ApplyError(code: "event_id_clash", message: "event id \(event.id) is already used at \(me.id), but its case \(event.caseId) is not")
        }
        // The header is the case as the peer has it after this event: the event is stored, not folded in again.
        try applyRecorded(event, into: &c, origin: origin, known: false, fold: false)
        return true
    }

    /// After a peer's events: when the case now waits on this node for routing, route it —
    /// never back into the subtree that just returned it.
    private func react(_ c: inout Case, after last: CaseEvent?, at now: Date) throws {
        if try carryOutRecall(&c, at: now) { return }
        guard c.holder == me.id, me.tier != .street, c.state == .dispatched || c.state == .returned else { return }
        // Sent to one of this node's departments: it is theirs to sign for, not to route on.
        if c.state == .dispatched, c.holdingDepartment != nil { return }
        // Never back to any unit that has returned it: the history says who did.
        let returners = c.returnCount > 0 ? Set(try history(of: c.id).filter { $0.action == .returned }.compactMap { $0[.from] }) : []
        try route(&c, at: now, excluding: returners)
    }

    /// A pending recall is carried out by whoever holds the case, as soon as it does (CaseRules.carryOutRecall).
    @discardableResult
    private func carryOutRecall(_ c: inout Case, at now: Date) throws -> Bool {
        guard let event = CaseRules.carryOutRecall(c, node: me, parent: parentId, eventId: takeEventId, at: now) else { return false }
        try record(event, into: &c, origin: .local)
        return true
    }

    func acknowledge(peer: String, upTo seq: Int) throws { try linkLedger.acknowledge(peer: peer, upTo: seq) }

    func storeSummary(_ summary: Summary, from peer: String) throws {
        let body = String(decoding: try jsonEncoder.encode(summary), as: UTF8.self)
        try db.execute("INSERT INTO summaries(peer, body) VALUES(?, ?) ON CONFLICT(peer) DO UPDATE SET body = excluded.body", [.text(peer), .text(body)])
    }

    // MARK: - Routing

    /// Sends a case this node holds down to the unit the rules choose, or queues it for an operator.
    @discardableResult
    private func route(_ c: inout Case, at now: Date, excluding returners: Set<String>, placement known: Placement? = nil) throws -> [String] {
        switch RoutingRules.decide(known ?? router.place(c, within: me), returners: returners, me: me) {
        case .dispatch(let target, let path, let reason, let department):
            var data: [EventKey: String] = [.reason: reason]
            if let department { data[.department] = department; data[.departmentHolds] = department }
            let event = makeEvent(c, at: now, actor: "system", action: .dispatched, state: .dispatched, holder: target,
                                  note: department.map { "\(reason); to \($0)" } ?? reason, data: data, lists: [.route: path])
            try record(event, into: &c, origin: .local)
            return ["dispatched to \(target): \(reason)"]
        case .queue(let reason, let candidates):
            return [try queueForOperator(&c, reason: reason, lists: [.candidates: candidates], at: now)]
        }
    }

    /// Parks the case in this node's manual-dispatch queue; `lists` (candidates, topics) is what the operator sees
    /// besides the reason. Returns the reason line for the intake receipt.
    private func queueForOperator(_ c: inout Case, reason: String, lists: [EventListKey: [String]] = [:], at now: Date) throws -> String {
        let event = makeEvent(c, at: now, actor: "system", action: .queued, state: .pending, holder: me.id,
                              note: "manual dispatch needed: \(reason)", data: [.reason: reason], lists: lists)
        try record(event, into: &c, origin: .local)
        return "queued for manual dispatch at \(me.id): \(reason)"
    }

    // MARK: - Applying one event

    /// Stores a new event, moves the case and the counters, and queues it for the peers that need it.
    /// An event id that exists already is an error: ids are unique by construction, so a clash means
    /// something forged or corrupted one, and skipping it silently would lose a change.
    @discardableResult
    /// - Parameter known: whether `c` is the case as stored (false for a case this event brings): the state and
    ///   holder before the event are then `c`'s, without reading them back.
    private func record(_ made: CaseEvent, into c: inout Case, origin: EventOrigin, known: Bool = true) throws -> Bool {
        var event = made
        // A clock the event starts is stamped by the node that makes it; peers fold the same due times.
        if case .local = origin { DeadlineRules.stamp(&event, case: c, clock: deadlineClock, unitsAbove: unitsAbove) }
        guard try insertEvent(event) else {
            throw ApplyError(code: "event_id_clash", message: "event id \(event.id) already exists at \(me.id)")
        }
        try applyRecorded(event, into: &c, origin: origin, known: known)
        return true
    }

    /// How many units are above `unit` (0 for the city): how many levels a limit of that unit escalates.
    private func unitsAbove(_ unit: String) -> Int {
        if let path = me.path(to: unit) { return me.tier.depth + path.count - 1 }
        return unit == parentId ? max(0, me.tier.depth - 1) : 0
    }

    // MARK: - Timers (分级督办)

    /// Issues every timer event this node owes at `now` (TimerRules says which are its own), a page of cases
    /// at a time from the head of the timer index, in this one transaction: an event is checked and recorded
    /// together, and its id is deterministic, so a crash or a second tick never issues it twice.
    func fireTimers(at now: Date, limit: Int = 256) throws -> TimerTick {
        let issued = try operation { () throws -> Int in
            var issued = 0
            for id in try supervision.dueCases(at: now, limit: limit) {
                guard var c = try loadCase(id) else { continue }
                let due = TimerRules.dueEvents(c, me: me, at: now)
                // A row the case no longer backs (nothing is due after all) is recomputed, never picked up again.
                if due.isEmpty { supervision.refresh(c) }
                for event in due {
                    if try insertEvent(event) {
                        try applyRecorded(event, into: &c, origin: .local, known: true)
                        issued += 1
                    } else if let stored = try queries.event(event.id) {
                        // Issued before but not folded (a projection rebuilt from an older log): fold it, send nothing again.
                        try applyRecorded(stored, into: &c, origin: .local, known: true, send: false)
                    }
                }
            }
            return issued
        }
        return TimerTick(issued: issued, next: try supervision.nextFire())
    }

    /// Stores the event; false when its id is already there.
    /// `body`: the event's JSON as a peer's line carried it (see `ReceivedBodies`), else written here.
    private func insertEvent(_ event: CaseEvent, body given: [UInt8]? = nil) throws -> Bool {
        let body = given ?? WireJSON.bytes(event)
        try db.execute("INSERT INTO events(id, case_id, body, action, at, node) VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
                       [.text(event.id), .text(event.caseId), .utf8Text(body), .text(event.action.rawValue), .text(WireDate.format(event.at)), .text(event.node)])
        guard db.changes == 1 else { return false }
        storedEventBodies[event.id] = body
        return true
    }

    /// A stored event moves the case, the counters and the peers.
    private func applyRecorded(_ event: CaseEvent, into c: inout Case, origin: EventOrigin, known: Bool, send: Bool = true, fold: Bool = true) throws {
        let before = known ? c : nil
        if !known { histories[event.caseId] = [event] } else { histories[event.caseId]?.append(event) }
        if fold { CaseRules.fold(event, into: &c) }
        for projection in projections { try projection.apply(event, before: before, after: c) }
        if send { try propagate(event, case: c, origin: origin) }
    }

    /// Up to the parent unless it came from there; down towards the holder unless it came from there.
    /// Only the holder moves a case (a recall from above is a request the holder carries out), so the unit that
    /// held it before an event is always the event's sender or this node: nobody else needs telling.
    /// An event whose action needs a feature the peer did not name is not sent to it (a note it would refuse).
    private func propagate(_ event: CaseEvent, case c: Case, origin: EventOrigin) throws {
        // The case's JSON once for every line that carries it here, and handed to the case row, which stores the
        // same bytes unless a later event in this operation moves the case again.
        var body: [UInt8]?
        func caseBody() -> [UInt8] {
            if let body { return body }
            let made = WireJSON.bytes(c)
            body = made
            caseRows.remember(c, body: made)
            return made
        }
        for send in PropagationRules.sends(event, case: c, me: me, parent: parentId, origin: origin) {
            switch send {
            case .update(let peer):
                if let feature = event.action.feature, peerLacks(feature, peer) { continue }
                try enqueue(to: peer, caseBody: caseBody()) { .update(Update(seq: $0, case: c, event: event)) }
            case .dispatch(let peer):
                // A dispatch for a part (the case held elsewhere) goes only to a peer that knows parts.
                if let feature = event.action.feature, peerLacks(feature, peer) { continue }
                let history = try history(of: c.id).filter { event in event.action.feature.map { !peerLacks($0, peer) } ?? true }
                try enqueue(to: peer, caseBody: caseBody()) { .dispatch(Dispatch(seq: $0, case: c, events: history)) }
            }
        }
    }

    // MARK: - Peer features

    /// What each peer named in its last handshake (absent: never connected yet, taken to be this release).
    private var peerFeatures: [String: Set<String>] = [:]

    func peerLacks(_ feature: String, _ peer: String) -> Bool { peerFeatures[peer].map { !$0.contains(feature) } ?? false }

    /// Remembers (durably) the features a peer named when its link came up, for the events recorded from now on.
    func rememberFeatures(_ features: [String], of peer: String) throws {
        let named = Set(features)
        let old = peerFeatures[peer]
        guard old != named else { return }
        peerFeatures[peer] = named
        scope.onRollback { [unowned self] in peerFeatures[peer] = old }
        try db.execute("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                       [.text("features:\(peer)"), .text(features.joined(separator: ","))])
    }

    /// Every event of a case, oldest first: from this operation's hand when it has them all, else from the database.
    private func history(of caseId: String) throws -> [CaseEvent] {
        if let known = histories[caseId] { return known }
        let stored = try events(of: caseId)
        histories[caseId] = stored
        return stored
    }

    private func enqueue(to peer: String, caseBody: [UInt8]? = nil, _ make: (Int) -> MeshMessage) throws {
        try linkLedger.enqueue(to: peer, storedEvent: { storedEventBodies[$0] }, caseBody: caseBody, make)
    }

    private func makeEvent(_ c: Case, at: Date, actor: String, action: CaseAction, state: CaseState, holder: String, note: String? = nil,
                           data: [EventKey: String] = [:], lists: [EventListKey: [String]] = [:]) -> CaseEvent {
        CaseEvent(id: takeEventId(), caseId: c.id, at: at, node: me.id, actor: actor, action: action, state: state, holder: holder, note: note, data: data, lists: lists)
    }

    private func takeEventId() -> String {
        let (number, wasDirty) = (nextEventNumber, metaDirty)
        nextEventNumber += 1
        // Persisted lazily: the meta row is written in the same transaction (see flushMeta).
        metaDirty = true
        scope.onRollback { [unowned self] in
            nextEventNumber = number
            metaDirty = wasDirty
        }
        return "\(me.id)-\(number)"
    }
    private var metaDirty = false

    /// The largest mesh line the peers accept. A local change (intake, an operator's action) must leave room
    /// for what the tiers below add when they route it on; applying a peer's message may use all of it.
    let maxLineBytes: Int
    var localLineBudget: Int { maxLineBytes - min(64 << 10, maxLineBytes / 8) }

    /// What a batch's operations share, written once per batch inside its transaction, before COMMIT (the
    /// writer's `beforeCommit`; `StandaloneEngine` calls it the same way): the event number, the counters and the
    /// links' sequence numbers.
    func flushBatch() throws {
        try flushMeta()
        try counterProjection.flushBatch()
        try linkLedger.flushBatch()
    }

    private func flushMeta() throws {
        try flushCaseSequence()
        guard metaDirty else { return }
        try db.execute("INSERT INTO meta(key, value) VALUES('next_event', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", [.text(String(nextEventNumber))])
        metaDirty = false
    }

    /// What the last commit produced; called after COMMIT.
    func drainCommitReport() -> CommitReport {
        defer { counterProjection.changed = false }
        return CommitReport(lines: linkLedger.drainPendingLines(), counters: counters, countersChanged: counterProjection.changed)
    }

    // MARK: - Replay

    /// Rebuilds every projection from the event log: each is emptied, then every stored case is folded again
    /// from its header and its events, one case at a time, in the order the events were applied here.
    /// For a projection added to an existing node, or one whose tables were lost or damaged.
    func rebuildProjections() throws {
        linkLedger.beginOperation()
        for projection in projections { try projection.reset(); projection.beginOperation() }
        var current: Case?
        // Rows without a case are markers (a restore's: NodeRestore), not events.
        for row in try db.query("SELECT body FROM events WHERE case_id <> '' ORDER BY case_id, ord") {
            let event = try WireJSON.decodeEvent((row.string("body") ?? "").utf8)
            if current?.id != event.caseId {
                if let done = current { try caseRows.save(done) }
                current = try loadCase(event.caseId)
                guard current != nil else { continue }
                // The header as stored; its state is re-derived from the first event on.
                var fresh = current!.withoutFoldedAttributes
                fresh.updatedAt = fresh.createdAt
                current = fresh
                CaseRules.fold(event, into: &current!)
                for projection in projections where projection !== caseRows { try projection.apply(event, before: nil, after: current!) }
                continue
            }
            guard var c = current else { continue }
            let before = c
            CaseRules.fold(event, into: &c)
            for projection in projections where projection !== caseRows { try projection.apply(event, before: before, after: c) }
            current = c
        }
        if let done = current { try caseRows.save(done) }
        for projection in projections where projection !== caseRows { try projection.finishOperation() }
    }

    // MARK: - Reads

    func loadCase(_ id: String) throws -> Case? { try queries.loadCase(id) }

    func events(of caseId: String) throws -> [CaseEvent] { try queries.events(of: caseId) }

    func outbox(peer: String, after seq: Int, limit: Int) throws -> [OutboxLine] { try linkLedger.outbox(peer: peer, after: seq, limit: limit) }

    func linkFigures(_ peer: String) -> LinkFigures { linkLedger.figures(peer) }

    /// A restored link meets its peer (docs/protocol.md §3.4): the ledger set right, the losses recorded.
    func resyncLink(_ peer: String, peerApplied: Int, peerAcked: Int?, at now: Date) throws -> (losses: [RestoreLoss], figures: LinkFigures) {
        try operation {
            let losses = try linkLedger.resync(peer: peer, peerApplied: peerApplied, peerAcked: peerAcked, at: now)
            return (losses, linkLedger.figures(peer))
        }
    }

    /// Every range of messages a restore lost here, per peer, oldest first (for `/status`).
    func restoreLosses() throws -> [String: [RestoreLoss]] {
        var out: [String: [RestoreLoss]] = [:]
        for row in try db.query("SELECT peer, direction, first_seq, last_seq, noted_at FROM restore_losses ORDER BY ord") {
            out[row.string("peer") ?? "", default: []].append(RestoreLoss(direction: row.string("direction") ?? "", first: row.int("first_seq") ?? 0,
                                                                           last: row.int("last_seq") ?? 0, notedAt: row.string("noted_at") ?? ""))
        }
        return out
    }

    func storedSummaries() throws -> [String: Summary] {
        var out: [String: Summary] = [:]
        for row in try db.query("SELECT peer, body FROM summaries") {
            if let peer = row.string("peer"), let body = row.string("body"), let s = try? jsonDecoder.decode(Summary.self, from: Data(body.utf8)) { out[peer] = s }
        }
        return out
    }
}
