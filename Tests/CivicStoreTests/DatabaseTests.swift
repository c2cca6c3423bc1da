import CSQLite
import CivicStore
import Foundation
import Testing

@Suite("Database")
struct DatabaseTests {
    /// SQLite's memory statistics are off once a database has been opened (they take a global mutex on every
    /// allocation); with them off, SQLite counts nothing.
    /// The statement cache finds a statement by its text's address first: texts made at run time, freed and made
    /// again, short ones held inside the String, and literals must each still run their own statement.
    @Test func everyTextRunsItsOwnStatementHoweverItWasMade() throws {
        try withTemporaryDirectory { dir in
            let db = try Database(path: dir + "/cache.sqlite")
            defer { db.close() }
            try db.execute("CREATE TABLE t(k INTEGER, v TEXT)")
            for k in 0..<40 { try db.execute("INSERT INTO t(k, v) VALUES(?, ?)", [.integer(Int64(k)), .text("v\(k)")]) }
            for round in 0..<3 {
                for k in 0..<40 {
                    // A new String each time, of the same length for many k: only its text says which row.
                    let sql = "SELECT v FROM t WHERE k = " + String(k).padding(toLength: 2, withPad: " ", startingAt: 0)
                    #expect(try db.queryOne(sql)?.string("v") == "v\(k)", "round \(round), k \(k)")
                }
                #expect(try db.queryOne("SELECT 1 AS x")?.int("x") == 1)
                #expect(try db.queryOne("SELECT 2 AS x")?.int("x") == 2)
                #expect(try db.queryOne("SELECT count(*) AS n FROM t")?.int("n") == 40)
            }
        }
    }

    @Test func memoryStatisticsAreOffOnceADatabaseIsOpen() throws {
        try withTemporaryDirectory { dir in
            let db = try Database(path: dir + "/stats.sqlite")
            defer { db.close() }
            try db.execute("CREATE TABLE t(x TEXT)")
            for i in 0..<100 { try db.execute("INSERT INTO t(x) VALUES(?)", [.text(String(repeating: "x", count: i * 10))]) }
            #expect(sqlite3_memory_used() == 0 && sqlite3_memory_highwater(0) == 0)
        }
    }
    @Test func syntaxErrorCarriesCodeMessageSQLAndPath() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/syntax.sqlite"
            let db = try Database(path: path)
            let error = try #require(throws: SQLiteError.self) { try db.execute("SELEC 1") }
            #expect(error.resultCode == SQLITE_ERROR)
            #expect(error.message.contains("syntax error"))
            #expect(error.sql == "SELEC 1")
            #expect(error.path == path)
            #expect(error.description.contains("SELEC 1"))
        }
    }

    @Test func constraintViolationKeepsArgumentsOutOfTheError() throws {
        try withTemporaryDirectory { dir in
            let db = try Database(path: dir + "/constraint.sqlite")
            try db.execute("CREATE TABLE caller(phone TEXT PRIMARY KEY NOT NULL, name TEXT)")
            let insert = "INSERT INTO caller(phone, name) VALUES (?, ?)"
            try db.execute(insert, ["13800138000", "张三"])
            let error = try #require(throws: SQLiteError.self) {
                try db.execute(insert, ["13800138000", "李四"])
            }
            #expect(error.resultCode == SQLITE_CONSTRAINT)
            #expect(error.extendedCode == SQLiteError.constraintPrimaryKey)
            #expect(error.isConstraintViolation && error.isUniqueViolation)
            #expect(error.message.contains("caller.phone"))
            #expect(error.sql == insert)
            #expect(!error.description.contains("13800138000") && !error.description.contains("李四"))
            // The failed statement was evicted and re-prepared: the next insert works.
            try db.execute(insert, ["13900139000", "王五"])
            #expect(try db.scalarInt("SELECT count(*) FROM caller") == 2)
        }
    }

    /// UTF-8 bytes bound as TEXT read back as the same text, are TEXT to SQLite (its JSON functions read them),
    /// and an empty one is '' (not NULL).
    @Test func utf8BytesBindAsText() throws {
        try withTemporaryDirectory { dir in
            let db = try Database(path: dir + "/utf8.sqlite")
            try db.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, body TEXT)")
            let json = #"{"subject":"路灯不亮","note":"a \"quoted\" word"}"#
            try db.execute("INSERT INTO t(id, body) VALUES(1, ?)", [.utf8Text(Array(json.utf8))])
            try db.execute("INSERT INTO t(id, body) VALUES(2, ?)", [.utf8Text([])])
            #expect(try db.queryOne("SELECT body, typeof(body) AS kind, json_extract(body, '$.subject') AS s FROM t WHERE id = 1").map {
                [$0.string("body") ?? "", $0.string("kind") ?? "", $0.string("s") ?? ""] } == [json, "text", "路灯不亮"])
            #expect(try db.queryOne("SELECT (body IS NULL) AS null_body, length(body) AS n FROM t WHERE id = 2").map { [$0.int("null_body"), $0.int("n")] } == [0, 0])
        }
    }

    @Test func foreignKeysAreEnforced() throws {
        try withTemporaryDirectory { dir in
            let db = try Database(path: dir + "/fk.sqlite")
            try db.executeScript("""
                CREATE TABLE district(id INTEGER PRIMARY KEY);
                CREATE TABLE street(id INTEGER PRIMARY KEY, district INTEGER NOT NULL REFERENCES district(id));
                """)
            let error = try #require(throws: SQLiteError.self) {
                try db.execute("INSERT INTO street(id, district) VALUES (1, 99)")
            }
            #expect(error.extendedCode == SQLiteError.constraintForeignKey)
        }
    }

    @Test func pragmasAreWALAndSynchronousFull() throws {
        try withTemporaryDirectory { dir in
            let db = try Database(path: dir + "/pragmas.sqlite")
            #expect(try db.queryOne("PRAGMA journal_mode")?[0].string == "wal")
            #expect(try db.scalarInt("PRAGMA synchronous") == 2)  // 2 = FULL
            #expect(try db.scalarInt("PRAGMA foreign_keys") == 1)
            let normal = try Database(path: dir + "/normal.sqlite", synchronousFull: false)
            #expect(try normal.scalarInt("PRAGMA synchronous") == 1)  // 1 = NORMAL
        }
    }

    @Test func executeTakesExactlyOneStatement() throws {
        try withTemporaryDirectory { dir in
            let db = try Database(path: dir + "/one.sqlite")
            try db.execute("CREATE TABLE t(x); -- trailing comment")
            let error = try #require(throws: SQLiteError.self) {
                try db.execute("INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)")
            }
            #expect(error.resultCode == SQLITE_MISUSE)
            #expect(try db.scalarInt("SELECT count(*) FROM t") == 0)
            let arity = try #require(throws: SQLiteError.self) { try db.execute("INSERT INTO t VALUES (?)", []) }
            #expect(arity.resultCode == SQLITE_RANGE)
        }
    }

    @Test func scriptErrorNamesTheFailingStatement() throws {
        try withTemporaryDirectory { dir in
            let db = try Database(path: dir + "/script.sqlite")
            let error = try #require(throws: SQLiteError.self) {
                try db.executeScript("CREATE TABLE a(x); INSERT INTO missing VALUES (1); CREATE TABLE b(x);")
            }
            #expect(error.message.contains("no such table: missing"))
            #expect(error.sql?.hasPrefix("INSERT INTO missing") == true)
            // Statements before the failure ran (scripts are not transactions by themselves).
            #expect(try db.scalarInt("SELECT count(*) FROM sqlite_master WHERE name IN ('a', 'b')") == 1)
        }
    }

    @Test func changesAndLastInsertRowID() throws {
        try withTemporaryDirectory { dir in
            let db = try Database(path: dir + "/changes.sqlite")
            try db.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, x INTEGER)")
            try db.execute("INSERT INTO t(x) VALUES (10), (20), (30)")
            #expect(db.changes == 3 && db.lastInsertRowID == 3)
            try db.execute("UPDATE t SET x = x + 1 WHERE x > ?", [15])
            #expect(db.changes == 2)
        }
    }

    @Test func openErrorsAreThrown() throws {
        try withTemporaryDirectory { dir in
            let missing = try #require(throws: SQLiteError.self) {
                try Database(path: dir + "/absent.sqlite", readOnly: true)
            }
            #expect(missing.resultCode == SQLITE_CANTOPEN)
            #expect(missing.path == dir + "/absent.sqlite")

            let garbage = dir + "/garbage.sqlite"
            try Data(repeating: 0x5A, count: 4096).write(to: URL(fileURLWithPath: garbage))
            let notADatabase = try #require(throws: SQLiteError.self) { try Database(path: garbage) }
            #expect(notADatabase.resultCode == SQLITE_NOTADB)
        }
    }

    @Test func readOnlyConnectionRefusesWrites() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/ro.sqlite"
            let writer = try Database(path: path)
            try writer.execute("CREATE TABLE t(x)")
            try writer.execute("INSERT INTO t VALUES (1)")
            let reader = try Database(path: path, readOnly: true)
            #expect(try reader.scalarInt("SELECT count(*) FROM t") == 1)
            let error = try #require(throws: SQLiteError.self) { try reader.execute("INSERT INTO t VALUES (2)") }
            #expect(error.resultCode == SQLITE_READONLY)
        }
    }

    @Test func closeCheckpointsAndLaterUseIsAnError() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/close.sqlite"
            let db = try Database(path: path)
            try db.execute("CREATE TABLE t(x)")
            try db.execute("INSERT INTO t VALUES (1)")
            #expect((fileSize(path + "-wal") ?? 0) > 0)
            db.close()
            db.close()
            #expect(!db.isOpen)
            #expect((fileSize(path + "-wal") ?? 0) == 0)  // wal_checkpoint(TRUNCATE)
            let error = try #require(throws: SQLiteError.self) { try db.execute("SELECT 1") }
            #expect(error.resultCode == SQLITE_MISUSE)
            let reopened = try Database(path: path)
            #expect(try reopened.scalarInt("SELECT x FROM t") == 1)
        }
    }
}
