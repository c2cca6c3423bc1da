import CivicStore
import Testing

private struct Abandon: Error {}

@Suite("Transactions, savepoints and migrations")
struct TransactionTests {
    private func makeDatabase(_ dir: String) throws -> Database {
        let db = try Database(path: dir + "/tx.sqlite")
        try db.execute("CREATE TABLE t(x INTEGER UNIQUE)")
        return db
    }

    private func values(_ db: Database) throws -> [Int] {
        try db.query("SELECT x FROM t ORDER BY x").compactMap { $0.int("x") }
    }

    @Test func transactionCommitsAndReturnsItsValue() throws {
        try withTemporaryDirectory { dir in
            let db = try makeDatabase(dir)
            let count = try db.transaction {
                try db.execute("INSERT INTO t VALUES (1), (2)")
                return db.changes
            }
            #expect(count == 2)
            #expect(try values(db) == [1, 2])
            #expect(!db.isInTransaction)
        }
    }

    @Test func failedTransactionLeavesNothing() throws {
        try withTemporaryDirectory { dir in
            let db = try makeDatabase(dir)
            #expect(throws: Abandon.self) {
                try db.transaction {
                    try db.execute("INSERT INTO t VALUES (1), (2)")
                    #expect(db.isInTransaction)
                    throw Abandon()
                }
            }
            #expect(try values(db).isEmpty)
            #expect(!db.isInTransaction)
            // A constraint error inside rolls back the earlier statements too.
            #expect(throws: SQLiteError.self) {
                try db.transaction {
                    try db.execute("INSERT INTO t VALUES (5)")
                    try db.execute("INSERT INTO t VALUES (5)")
                }
            }
            #expect(try values(db).isEmpty)
        }
    }

    @Test func savepointUndoesOnlyItsOwnWork() throws {
        try withTemporaryDirectory { dir in
            let db = try makeDatabase(dir)
            try db.transaction {
                try db.execute("INSERT INTO t VALUES (1)")
                #expect(throws: Abandon.self) {
                    try db.savepoint {
                        try db.execute("INSERT INTO t VALUES (2)")
                        try db.savepoint { try db.execute("INSERT INTO t VALUES (3)") }
                        throw Abandon()
                    }
                }
                try db.savepoint {
                    try db.execute("INSERT INTO t VALUES (4)")
                    #expect(throws: SQLiteError.self) {
                        try db.savepoint { try db.execute("INSERT INTO t VALUES (4)") }
                    }
                }
                try db.execute("INSERT INTO t VALUES (5)")
            }
            #expect(try values(db) == [1, 4, 5])
        }
    }

    @Test func savepointOutsideATransactionCommitsOnItsOwn() throws {
        try withTemporaryDirectory { dir in
            let db = try makeDatabase(dir)
            try db.savepoint { try db.execute("INSERT INTO t VALUES (7)") }
            #expect(!db.isInTransaction)
            #expect(try values(db) == [7])
        }
    }

    @Test func namedMigrationsRunOnceInOrderAndResume() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/migrate.sqlite"
            var steps = [
                Migration("districts", "CREATE TABLE district(id INTEGER PRIMARY KEY, name TEXT NOT NULL);"),
                Migration("streets", "CREATE TABLE street(id INTEGER PRIMARY KEY); INSERT INTO district(name) VALUES ('东城');"),
            ]
            let db = try Database(path: path)
            try db.migrate(steps)
            #expect(try db.query("SELECT name FROM schema_migrations ORDER BY position").compactMap { $0.string("name") } == ["districts", "streets"])
            // Running again applies nothing (a second CREATE TABLE would fail, a second INSERT would show).
            try db.migrate(steps)
            #expect(try db.scalarInt("SELECT count(*) FROM district") == 1)

            // A failing step is rolled back whole and is not recorded.
            steps.append(Migration("wards", "CREATE TABLE ward(id INTEGER PRIMARY KEY); INSERT INTO nowhere VALUES (1);"))
            #expect(throws: SQLiteError.self) { try db.migrate(steps) }
            #expect(try db.scalarInt("SELECT count(*) FROM schema_migrations") == 2)
            #expect(try db.scalarInt("SELECT count(*) FROM sqlite_master WHERE name = 'ward'") == 0)
            db.close()

            // A later run (new process, fixed step) resumes at the third only.
            steps[2] = Migration("wards", "CREATE TABLE ward(id INTEGER PRIMARY KEY);")
            let reopened = try Database(path: path)
            try reopened.migrate(steps)
            #expect(try reopened.scalarInt("SELECT count(*) FROM schema_migrations") == 3)
            #expect(try reopened.scalarInt("SELECT count(*) FROM district") == 1)

            // A database migrated by a newer program, or in another order, is refused, naming the step.
            let error = try #require(throws: SQLiteError.self) { try reopened.migrate(Array(steps.prefix(2))) }
            #expect(error.message.contains("\"wards\""), "\(error)")
            #expect(throws: SQLiteError.self) { try reopened.migrate([steps[1], steps[0], steps[2]]) }
        }
    }

    @Test func aDatabaseFromBeforeNamedMigrationsCountsItsVersionAsApplied() throws {
        try withTemporaryDirectory { dir in
            let db = try Database(path: dir + "/legacy.sqlite")
            try db.executeScript("CREATE TABLE district(id INTEGER PRIMARY KEY); PRAGMA user_version = 1;")
            try db.migrate([Migration("districts", "CREATE TABLE district(id INTEGER PRIMARY KEY);"), Migration("streets", "CREATE TABLE street(id INTEGER PRIMARY KEY);")])
            #expect(try db.query("SELECT name FROM schema_migrations ORDER BY position").compactMap { $0.string("name") } == ["districts", "streets"])
            #expect(try db.scalarInt("SELECT count(*) FROM sqlite_master WHERE name = 'street'") == 1)
        }
    }
}
