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

    /// Brings the schema up to date with named, ordered migrations. The names applied are recorded in
    /// `schema_migrations`, each committed with its own step, so an interrupted or failing migration resumes
    /// at the first one not yet applied. The applied names must be a prefix of `migrations`, in order: a
    /// database migrated by a newer program (a name this one does not know) is refused, not guessed at.
    /// A database from before named migrations (`PRAGMA user_version` = n) counts its first n as applied.
    public func migrate(_ migrations: [Migration]) throws {
        let names = migrations.map(\.name)
        precondition(Set(names).count == names.count, "migration names must be unique")
        while true {
            // Read what is applied inside the write transaction, so two processes migrating the same file at
            // once cannot both apply a step.
            let finished: Bool = try transaction {
                try execute("CREATE TABLE IF NOT EXISTS schema_migrations(position INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)")
                var applied = try query("SELECT name FROM schema_migrations ORDER BY position").compactMap { $0.string("name") }
                if applied.isEmpty, let legacy = try scalarInt("PRAGMA user_version"), legacy > 0 {
                    guard legacy <= migrations.count else { throw newerSchema("schema version \(legacy)", known: migrations.count) }
                    for (i, name) in names.prefix(legacy).enumerated() {
                        try execute("INSERT INTO schema_migrations(position, name) VALUES(?, ?)", [.integer(Int64(i)), .text(name)])
                    }
                    applied = Array(names.prefix(legacy))
                }
                guard applied.count <= names.count, Array(names.prefix(applied.count)) == applied else {
                    let unknown = applied.enumerated().first { $0.offset >= names.count || names[$0.offset] != $0.element }?.element ?? "?"
                    throw newerSchema("migration \"\(unknown)\"", known: names.count)
                }
                guard applied.count < migrations.count else { return true }
                let next = migrations[applied.count]
                try executeScript(next.sql)
                try execute("INSERT INTO schema_migrations(position, name) VALUES(?, ?)", [.integer(Int64(applied.count)), .text(next.name)])
                try execute("PRAGMA user_version = \(applied.count + 1)")
                return false
            }
            if finished { return }
        }
    }

    private func newerSchema(_ what: String, known: Int) -> SQLiteError {
        SQLiteError(extendedCode: SQLITE_ERROR, message: "the database has \(what), which this program does not know (it knows \(known) migrations): it was migrated by a newer release",
                    sql: "schema_migrations", path: path)
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
