import CivicCases
import CivicStore
import CivicWire
import Foundation

/// One node's case engine on its own database, driven synchronously: each call is one committed
/// transaction, as the node's writer runs it (guarded, meta flushed),
/// but with no threads and no sockets. What it would send is returned, for the caller to carry.
/// For tests and tools that need a city of engines in milliseconds (TestSupport's `EngineMesh`).
public final class StandaloneEngine {
    public let nodeId: String
    let db: Database
    let engine: NodeEngine
    let codec = MeshCodec()

    public init(config: NodeConfig, path: String, clock: any CaseClock) throws {
        guard let unit = config.unit else { throw ConfigError(file: "-", field: "id", problem: "node \(config.id) is not in its topology") }
        nodeId = config.id
        db = try Database(path: path, synchronousFull: false)
        let routing = try NodeTriage.make(config: config)
        let (parent, prefix, maxLine) = (config.parentId, config.topology.casePrefix, config.maxLineBytes)
        engine = try NodeEngine(db: db, me: unit, parentId: parent, casePrefix: prefix, router: routing, maxLineBytes: maxLine, now: clock.now(),
                                deadlineClock: try config.topology.deadlineClock())
    }

    /// One transaction: the operation's effects and the lines it produced, or its error and nothing kept.
    /// Inside `batch`, one savepoint of the batch's transaction, as the node's writer runs an operation.
    private func run<R>(_ body: (NodeEngine) throws -> R) throws -> (R, [OutboxLine]) {
        // `guarded` restores the engine's mirrors when the operation throws; the transaction rolls back with it.
        let result = inBatch ? try db.savepoint { try engine.guarded { try body(engine) } }
                             : try db.transaction { () throws -> R in
                                 let r = try engine.guarded { try body(engine) }
                                 try engine.flushBatch()
                                 return r
                             }
        return (result, engine.drainCommitReport().lines)
    }
    private var inBatch = false

    /// Several operations in one transaction (one commit), as group commit runs them: for benchmarks.
    public func batch<T>(_ body: () throws -> T) throws -> T {
        inBatch = true
        defer { inBatch = false }
        return try db.transaction { () throws -> T in
            let r = try body()
            try engine.flushBatch()
            return r
        }
    }

    /// Triage alone (what the intake pipeline computes off the writer thread), and an intake that takes it.
    public func analyse(_ draft: CaseDraft) -> IntakeAnalysis { engine.router.analyse(draft, within: engine.me) }
    public func intake(_ draft: CaseDraft, analysis: IntakeAnalysis, at now: Date) throws -> (IntakeReceipt, [OutboxLine]) {
        try run { try $0.intake(draft, at: now, analysis: analysis) }
    }

    public func intake(_ draft: CaseDraft, at now: Date) throws -> (IntakeReceipt, [OutboxLine]) {
        try run { try $0.intake(draft, at: now) }
    }

    public func perform(_ command: CaseCommand, on caseId: String, actor: String, at now: Date) throws -> (Case, [OutboxLine]) {
        try run { try $0.perform(command, on: caseId, actor: actor, at: now) }
    }

    /// Applies a line a peer sent; returns the lines that produced (to this node's own peers).
    public func receive(_ line: [UInt8], from peer: String, at now: Date) throws -> (ApplyOutcome, [OutboxLine]) {
        let (message, bodies) = try codec.decodeKeepingBodies(line)
        return try run { try $0.apply(message, bodies: bodies, from: peer, at: now) }
    }

    /// One timer tick at `now`: the timer events this node owes, and the lines they produce.
    public func fireTimers(at now: Date) throws -> (TimerTick, [OutboxLine]) {
        try run { try $0.fireTimers(at: now) }
    }

    /// Adds `count` timer rows for open cases whose next timer event is years away (benchmarks only: `bench
    /// --timers` shows a tick does not slow down with them).
    public func addIdleTimersForBenchmark(_ count: Int) throws {
        try db.transaction {
            for i in 0..<count {
                try db.execute("INSERT INTO timers(case_id, fire_at) VALUES(?, ?)", [.text("IDLE-\(i)"), .text("2099-01-01T00:00:00.\(i % 1000).Z")])
            }
        }
    }

    /// The supervision list of this node (every holder).
    public func supervisedCases() throws -> [Case] { try engine.queries.supervisedCases(holders: nil, limit: 1000) }

    public func acknowledge(peer: String, upTo seq: Int) throws {
        _ = try run { try $0.acknowledge(peer: peer, upTo: seq) }
    }

    public func caseWithHistory(_ id: String) throws -> (Case, [CaseEvent])? {
        guard let c = try engine.loadCase(id) else { return nil }
        return (c, try engine.events(of: id))
    }

    public func linkFigures(_ peer: String) -> LinkFigures { engine.linkFigures(peer) }
    /// Open cases the repeat-report index holds (a mirror of the cases table).
    public var duplicateIndexCount: Int { engine.duplicates.count }
    public var counters: CounterSet { engine.counters }
    /// Lines still unacknowledged towards `peer` (what a reconnect would resend).
    public func unacknowledged(to peer: String) throws -> [OutboxLine] {
        try engine.outbox(peer: peer, after: engine.linkFigures(peer).lastAcked, limit: 1 << 20)
    }

    /// Rebuilds every projection (case rows, counters) by replaying the event log, in one transaction.
    /// Open cases whose running clock falls due before `time`, from the due-time index (tests and tools).
    public func casesDue(before time: Date) throws -> [Case] { try engine.queries.casesDue(before: time, holders: nil, limit: 1000) }

    public func rebuildProjections() throws { _ = try run { try $0.rebuildProjections() } }

    /// Every case this node stores, as its row has it.
    public func allCases() throws -> [Case] { try engine.queries.listCases(state: nil, holder: nil, limit: 1 << 30, after: nil).cases }

    /// Damages the counters table (for a test of the replay).
    public func corruptCountersForTest() throws { _ = try db.execute("UPDATE counters SET value = value + 7") }

    public func close() { db.close() }
}
