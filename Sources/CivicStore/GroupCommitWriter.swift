import CLinuxShims
import Dispatch
import Foundation
import Synchronization

/// The single writer of a node's database: one thread, one connection, group commit.
///
/// Submitted operations queue up; the writer thread takes everything queued (up to
/// `maxBatch`) and runs it in one transaction, each operation inside its own SAVEPOINT, so
/// one fsync (synchronous=FULL) covers the whole batch. Completions are called on the
/// writer thread, in submission order, only after COMMIT returned OK: a `.success`
/// completion means the operation is durable.
///
/// `Context` (e.g. prepared domain state) is created by `makeContext` before the thread
/// starts and is touched by the writer thread only, which is why it need not be `Sendable`.
/// Operations must not BEGIN/COMMIT themselves; use `Database.savepoint` to nest.
public final class GroupCommitWriter<Context>: @unchecked Sendable {
    // @unchecked: every stored property is either immutable and Sendable or the executor,
    // which only the writer thread uses after init.
    public let path: String
    public let maxBatch: Int
    private let queue = WriterQueue<Context>()
    private let finished = DispatchGroup()
    private let thread: Thread

    /// Opens the database (errors are thrown here) and runs `makeContext` on the calling
    /// thread, before the writer thread starts; afterwards only that thread touches either.
    /// `beforeCommit` runs on the writer thread once per batch, inside its transaction, after the last
    /// operation and before COMMIT: for writes a batch can share (counters, sequence numbers). If it throws, the
    /// whole batch fails as a failed COMMIT does (every operation in it gets the error; the context is rebuilt).
    public init(
        path: String, maxBatch: Int = 512, synchronousFull: Bool = true,
        beforeCommit: ((Context) throws -> Void)? = nil,
        makeContext: @escaping (Database) throws -> Context
    ) throws {
        precondition(maxBatch >= 1, "maxBatch must be at least 1")
        self.path = path
        self.maxBatch = maxBatch
        let database = try Database(path: path, synchronousFull: synchronousFull)
        let executor = BatchExecutor(database: database, context: try makeContext(database), makeContext: makeContext, beforeCommit: beforeCommit)
        let queue = self.queue
        let finished = self.finished
        // The thread holds the queue and executor, not `self`, so dropping the writer
        // closes it (deinit) instead of leaking a thread.
        thread = Thread {
            // The kernel's name for the thread too (`Thread.name` is Foundation's only): `top -H`, `perf` and the
            // bench's per-thread figures tell the writer from the other threads by it.
            civic_set_thread_name(storeWriterThreadName)
            Self.writerLoop(queue: queue, executor: executor, maxBatch: maxBatch)
            finished.leave()
        }
        thread.name = storeWriterThreadName
        finished.enter()
        thread.start()
    }

    deinit { close() }

    // MARK: - Submitting

    /// Queues `operation`; thread-safe. `completion` runs on the writer thread after the
    /// batch's COMMIT (keep it short: the next batch waits for it). After `close()` the
    /// operation is not run and `completion` gets `GroupCommitWriterError.closed` at once,
    /// on the calling thread.
    public func submit<R: Sendable>(
        _ operation: @escaping @Sendable (Context, Database) throws -> R,
        completion: @escaping @Sendable (Result<R, any Error>) -> Void
    ) {
        let pending = PendingOperation(operation, completion: completion)
        if case .rejected = queue.enqueue(pending) {
            completion(.failure(GroupCommitWriterError.closed(path: path)))
        }
    }

    /// Submits and blocks until the operation is committed (or failed). Never call it on the
    /// writer thread (from an operation or a completion): it would wait for itself.
    public func submitAndWait<R: Sendable>(
        _ operation: @escaping @Sendable (Context, Database) throws -> R
    ) throws -> R {
        precondition(!isWriterThread, "submitAndWait on the writer thread would deadlock")
        let outcome = Outcome<R>()
        submit(operation) { result in
            outcome.result.withLock { $0 = result }
            outcome.done.signal()
        }
        outcome.done.wait()
        guard let result = outcome.result.withLock({ $0 }) else {
            throw SQLiteError.misuse("writer finished without a result", path: path)
        }
        return try result.get()
    }

    /// Sets the closure called on the writer thread after each successful COMMIT, before that
    /// batch's completions (e.g. to publish the Context's new state before callers are told).
    /// Set it before the first submit to see every commit.
    public func setAfterCommit(_ body: @escaping (Context) -> Void) {
        queue.setAfterCommit(AfterCommitHook(body))
    }

    // MARK: - Observing

    public var stats: WriterStats {
        queue.stats.withLock { $0 }
    }

    /// Operations queued and not yet taken by the writer (the batch in flight is not counted).
    public var queueDepth: Int {
        queue.depth
    }

    /// False once `close()` has been called.
    public var isAccepting: Bool {
        queue.isAccepting
    }

    public var isWriterThread: Bool {
        Thread.current === thread
    }

    // MARK: - Closing

    /// Stops accepting, lets the writer commit everything already queued, closes the database
    /// and waits for the thread to end. Idempotent; concurrent callers all wait.
    /// Called on the writer thread (e.g. from a completion) it cannot wait for itself: it only
    /// stops accepting and the thread finishes on its own after the current batch.
    public func close() {
        _ = queue.stopAccepting()
        if !isWriterThread { finished.wait() }
    }

    // MARK: - Writer thread

    private static func writerLoop(queue: WriterQueue<Context>, executor: BatchExecutor<Context>, maxBatch: Int) {
        var carried: [PendingOperation<Context>] = []
        var hook: AfterCommitHook<Context>?
        while true {
            var batch = carried
            carried = []
            if batch.count < maxBatch {
                switch queue.take(limit: maxBatch - batch.count) {
                case .batch(let taken, let currentHook):
                    batch += taken
                    hook = currentHook
                case .wait where batch.isEmpty:
                    queue.waitForWork()
                    continue
                case .finished where batch.isEmpty:
                    executor.close()
                    return
                case .wait, .finished:
                    break
                }
            }
            let started = DispatchTime.now().uptimeNanoseconds
            let outcome = executor.execute(batch)
            let took = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            carried = Array(batch[outcome.ran...])
            record(outcome, seconds: took, in: queue)
            // The hook first: what it publishes (e.g. new outbox lines for the links) is out before any
            // caller hears that its operation is done, so a reply never runs ahead of its own effects.
            if outcome.committed, let hook {
                executor.runAfterCommit(hook)
            } else if !outcome.committed, let error = executor.rebuildContext() {
                queue.stats.withLock { $0.lastRebuildError = "\(error)" }
            }
            for (operation, failure) in zip(batch, outcome.failures) {
                operation.complete(failure)
            }
        }
    }

    private static func record(_ outcome: BatchExecutor<Context>.Outcome, seconds took: Double, in queue: WriterQueue<Context>) {
        let failed = outcome.failures.lazy.filter { $0 != nil }.count
        queue.stats.withLock { stats in
            stats.batches += 1
            stats.operations += outcome.ran
            stats.failedOperations += failed
            stats.largestBatch = max(stats.largestBatch, outcome.ran)
            stats.batchSizes.observe(Double(outcome.ran))
            stats.batchSeconds.observe(took)
            if !outcome.committed { stats.failedBatches += 1 }
        }
    }
}

/// The writer thread's name, for Foundation and for the kernel (`top -H`, `perf`, the process bench's figures).
public let storeWriterThreadName = "civic-writer"

/// Rendezvous between `submitAndWait` and the completion on the writer thread.
private final class Outcome<R: Sendable>: Sendable {
    let result = Mutex<Result<R, any Error>?>(nil)
    let done = DispatchSemaphore(value: 0)
}
