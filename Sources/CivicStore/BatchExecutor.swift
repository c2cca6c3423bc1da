/// Runs batches of operations in one transaction each. Owns the writer's `Database` and
/// `Context`.
///
/// Invariant: after `GroupCommitWriter.init` hands it over, only the writer thread touches
/// it — hence `@unchecked Sendable` (needed only to move it into that thread once).
final class BatchExecutor<Context>: @unchecked Sendable {
    struct Outcome {
        /// How many operations of the batch ran (the rest go into the next batch).
        var ran: Int
        /// Per operation that ran: nil for success, else the error its completion gets.
        var failures: [(any Error)?]
        var committed: Bool
    }

    private let database: Database
    private var context: Context
    /// Builds the context from what the database holds (the same closure that built it at start).
    private let makeContext: (Database) throws -> Context
    private static var savepointName: String { "civic_op" }

    private let beforeCommit: ((Context) throws -> Void)?

    init(database: Database, context: Context, makeContext: @escaping (Database) throws -> Context, beforeCommit: ((Context) throws -> Void)? = nil) {
        self.beforeCommit = beforeCommit
        self.database = database
        self.context = context
        self.makeContext = makeContext
    }

    /// After a batch that did not commit (a full disk, an I/O error), the database rolled back every operation
    /// that ran, but the context may still mirror them (counters, sequence numbers, caches). It is rebuilt from
    /// the database, so the writer can go on serving: crash-only recovery without the crash. Returns the error
    /// if even that fails (the old context is then kept, and the next failed batch tries again).
    func rebuildContext() -> (any Error)? {
        do {
            context = try makeContext(database)
            return nil
        } catch {
            return error
        }
    }

    /// BEGIN IMMEDIATE, each operation in its own SAVEPOINT, COMMIT.
    ///
    /// Failure rules:
    /// * An operation that throws is rolled back to its savepoint alone; the others go on.
    /// * If SQLite rolls back the whole transaction on its own (FULL, IOERR, BUSY, NOMEM —
    ///   <https://www.sqlite.org/lang_transaction.html>), every operation that ran fails with
    ///   that error, and the ones not yet run are left for the next batch.
    /// * If BEGIN or COMMIT fails, every operation fails and nothing is kept: we roll back
    ///   rather than retry a COMMIT, since the busy timeout already waited for the lock.
    func execute(_ batch: [PendingOperation<Context>]) -> Outcome {
        do {
            try database.execute("BEGIN IMMEDIATE")
        } catch {
            return Outcome(ran: batch.count, failures: Array(repeating: error, count: batch.count), committed: false)
        }
        var failures: [(any Error)?] = []
        failures.reserveCapacity(batch.count)
        for operation in batch {
            let failure = runIsolated(operation)
            failures.append(failure)
            if let failure, !database.isInTransaction {
                return Outcome(ran: failures.count, failures: failures.map { $0 ?? failure }, committed: false)
            }
        }
        do {
            try database.ensureTransactionIsAlive()
            try beforeCommit?(context)
            try database.execute("COMMIT")
        } catch {
            database.rollbackIfStillInTransaction()
            return Outcome(ran: batch.count, failures: failures.map { $0 ?? error }, committed: false)
        }
        return Outcome(ran: batch.count, failures: failures, committed: true)
    }

    /// Runs one operation inside its savepoint; returns its error, if any.
    private func runIsolated(_ operation: PendingOperation<Context>) -> (any Error)? {
        let name = Self.savepointName
        do {
            try database.execute("SAVEPOINT \(name)")
        } catch {
            return error
        }
        do {
            try operation.perform(context, database)
            try database.execute("RELEASE \(name)")
            return nil
        } catch {
            guard database.isInTransaction else { return error }
            do {
                try database.execute("ROLLBACK TO \(name)")
                try database.execute("RELEASE \(name)")
            } catch {
                // The operation cannot be undone alone: give up the whole batch
                // (the caller sees !isInTransaction and fails what ran).
                database.rollbackIfStillInTransaction()
            }
            return error
        }
    }

    func runAfterCommit(_ hook: AfterCommitHook<Context>) {
        hook.body(context)
    }

    func close() {
        database.close()
    }
}
