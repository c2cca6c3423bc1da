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

    init(path: String, config: NodeConfig, unit: TopologyNode, router: any CaseRouting, loop: EventLoop,
         onCommit: @escaping @Sendable (CommitReport) -> Void) throws {
        self.loop = loop
        let parentId = config.parentId
        let prefix = config.topology.casePrefix
        let maxLine = config.maxLineBytes
        writer = try GroupCommitWriter(path: path, maxBatch: 512, synchronousFull: true) { db in
            try NodeEngine(db: db, me: unit, parentId: parentId, casePrefix: prefix, router: router, maxLineBytes: maxLine)
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
        }, completion: { [writer] result in
            if case .failure(let error) = result, writer.stats.failedBatches > 0 {
                // A whole batch failed to commit (disk full, I/O error): the database rolled back, but the
                // engine's in-memory mirrors did not. Crash-only recovery: stop, and let the supervisor
                // restart the node from what is on disk. Nothing acknowledged is lost — acks follow commits.
                Logger(label: "store").error("a batch failed to commit (\(error)); exiting so the node restarts from disk")
                exit(70)
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
    /// Runs one operation so that, if it throws, the engine's in-memory mirrors match the rolled-back database.
    func guarded<R>(_ body: () throws -> R) throws -> R {
        let saved = snapshot()
        do {
            let result = try body()
            try flushMeta()
            return result
        } catch {
            restore(saved)
            throw error
        }
    }
}
