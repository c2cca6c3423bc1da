import CSQLite

extension Database {
    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT`; any error rolls back and is rethrown.
    ///
    /// IMMEDIATE takes the write lock up front: a DEFERRED transaction that reads first and
    /// writes later can get an SQLITE_BUSY on the lock upgrade that no busy timeout can fix
    /// (<https://www.sqlite.org/lang_transaction.html#deferred_immediate_and_exclusive_transactions>,
    /// GRDB `beginTransaction`).
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let value = try body()
            try ensureTransactionIsAlive()
            try execute("COMMIT")
            return value
        } catch {
            rollbackIfStillInTransaction()
            throw error
        }
    }

    /// Runs `body` inside a SAVEPOINT; on error only the savepoint's work is undone
    /// (`ROLLBACK TO` then `RELEASE`) and the error rethrown. Nests freely, inside or outside
    /// a transaction (outside, the savepoint is itself the transaction).
    public func savepoint<T>(_ body: () throws -> T) throws -> T {
        let name = "civic_sp\(savepointDepth)"
        try execute("SAVEPOINT \(name)")
        savepointDepth += 1
        defer { savepointDepth -= 1 }
        do {
            let value = try body()
            try execute("RELEASE \(name)")
            return value
        } catch {
            // Same rule as for transactions: after FULL/IOERR/BUSY/NOMEM SQLite may have rolled
            // back everything, savepoints included, and ROLLBACK TO would fail.
            if isInTransaction {
                try? execute("ROLLBACK TO \(name)")
                try? execute("RELEASE \(name)")
            }
            throw error
        }
    }

    /// Brings the schema up to date: `steps[i]` is the script that moves `PRAGMA user_version`
    /// from i to i+1. Each step commits with its version bump, so an interrupted or failing
    /// migration resumes at the first step not yet applied.
    public func migrate(_ steps: [String]) throws {
        while true {
            // Read the version inside the write transaction, so two processes migrating the
            // same file at once cannot both apply a step.
            let finished: Bool = try transaction {
                let version = try scalarInt("PRAGMA user_version") ?? 0
                guard version <= steps.count else {
                    throw SQLiteError(
                        extendedCode: SQLITE_ERROR,
                        message: "schema version \(version) is newer than this program knows (\(steps.count))",
                        sql: "PRAGMA user_version", path: path)
                }
                guard version < steps.count else { return true }
                try executeScript(steps[version])
                try execute("PRAGMA user_version = \(version + 1)")
                return false
            }
            if finished { return }
        }
    }

    /// Rolls back unless SQLite already did: "If certain kinds of errors occur within a
    /// transaction, the transaction may or may not be rolled back automatically. The errors
    /// that can cause an automatic rollback include: SQLITE_FULL, SQLITE_IOERR, SQLITE_BUSY,
    /// SQLITE_NOMEM" (<https://www.sqlite.org/lang_transaction.html>). Checking
    /// `sqlite3_get_autocommit` first is GRDB's rule.
    func rollbackIfStillInTransaction() {
        if isInTransaction { try? execute("ROLLBACK") }
    }

    /// A body that caught an error itself may carry on after SQLite rolled the transaction back;
    /// its later statements then ran in autocommit mode. Report that instead of a baffling
    /// "cannot commit - no transaction is active" (GRDB `checkForAbortedTransaction`).
    func ensureTransactionIsAlive() throws {
        guard isInTransaction else {
            throw SQLiteError(
                extendedCode: SQLITE_ABORT, message: "the transaction was rolled back by SQLite before COMMIT",
                sql: "COMMIT", path: path)
        }
    }
}
