import CivicCases
import CivicIO
import CivicStore
import CivicWire
import Foundation

/// The node's single writer: every engine call runs in a group-commit batch on the store thread,
/// and its result comes back on the event loop only after COMMIT — so whatever the loop does with it
/// (an ack, an HTTP 201) is backed by a durable write.
final class NodeStore: @unchecked Sendable {
    // Invariant: `writer` is thread-safe; the engine it owns is touched only on the writer thread.
    private let writer: GroupCommitWriter<NodeEngine>
    private let loop: EventLoop
    private let log: Logger
    private let throttle: LogThrottleBox

    init(path: String, config: NodeConfig, unit: TopologyNode, router: any CaseRouting, loop: EventLoop, clock: any CaseClock = SystemClock(),
         onCommit: @escaping @Sendable (CommitReport) -> Void) throws {
        self.loop = loop
        self.log = Logger(label: config.id)
        self.throttle = LogThrottleBox()
        let parentId = config.parentId
        let prefix = config.topology.casePrefix
        let maxLine = config.maxLineBytes
        let deadlines = try config.topology.deadlineClock()
        // Counters and the event number are written once per batch, just before its COMMIT.
        writer = try GroupCommitWriter(path: path, maxBatch: 512, synchronousFull: true, beforeCommit: { engine in try engine.flushBatch() }) { db in
            try NodeEngine(db: db, me: unit, parentId: parentId, casePrefix: prefix, router: router, maxLineBytes: maxLine, now: clock.now(), deadlineClock: deadlines)
        }
        writer.setAfterCommit { engine in
            let report = engine.drainCommitReport()
            if !report.lines.isEmpty || report.countersChanged { onCommit(report) }
        }
    }

    /// Runs `op` in the next batch; `done` runs on the loop after the batch committed (or failed).
    func run<R: Sendable>(_ op: @escaping @Sendable (NodeEngine) throws -> R, done: @escaping @Sendable (Result<R, any Error>) -> Void) {
        let loop = self.loop
        writer.submit({ engine, _ in
            try engine.guarded { try op(engine) }
        }, completion: { [writer, log, throttle] result in
            if case .failure(let error) = result, StorageFailure(error) != nil {
                // The storage refused a write (disk full, I/O error): the operation, or its whole batch, left nothing
                // behind (a failed batch also makes the writer rebuild the engine from the database), and every
                // caller hears why. Reads go on; writing resumes by itself when the disk has room again.
                // Nothing acknowledged is lost — acks follow commits.
                let failed = writer.stats.failedBatches
                if let line = throttle.pass("storage", "storage refused a write (\(error)); \(failed) whole batches failed so far; reads go on, writes resume when storage recovers") {
                    log.error(line)
                }
            }
            loop.execute { done(result) }
        })
    }

    /// Blocking call for start-up and tools; never call it on the loop or writer thread.
    func runAndWait<R: Sendable>(_ op: @escaping @Sendable (NodeEngine) throws -> R) throws -> R {
        try writer.submitAndWait { engine, _ in try engine.guarded { try op(engine) } }
    }

    var queueDepth: Int { writer.queueDepth }
    var stats: WriterStats { writer.stats }

    func close() { writer.close() }
}

extension NodeEngine {
    /// Runs one operation so that, if it throws, every in-memory mirror matches the rolled-back database
    /// (each registered its undo with `scope` as it changed).
    func guarded<R>(_ body: () throws -> R) throws -> R {
        scope.begin()
        do {
            let result = try body()
            scope.commit()
            return result
        } catch {
            scope.rollback()
            throw error
        }
    }
}

/// A LogThrottle shared by writer-thread completions (one at a time, in order): the lock only makes that
/// hand-over explicit.
final class LogThrottleBox: @unchecked Sendable {
    private let lock = NSLock()
    private let throttle = LogThrottle(interval: 10)
    func pass(_ key: String, _ message: String) -> String? { lock.withLock { throttle.pass(key, message) } }
}

/// A write the storage refused as a whole: the disk is full, or an I/O error.
struct StorageFailure {
    enum Kind { case full, io }
    let kind: Kind
    init?(_ error: any Error) {
        guard let e = error as? SQLiteError else { return nil }
        switch e.extendedCode & 0xFF {
        case 13: kind = .full  // SQLITE_FULL
        case 10, 4: kind = .io  // SQLITE_IOERR; SQLITE_ABORT when SQLite rolled the transaction back on its own
        default: return nil
        }
    }
}
