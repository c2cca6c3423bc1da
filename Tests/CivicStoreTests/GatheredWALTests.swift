import Foundation
import Testing
@testable import CivicStore

/// A connection with `synchronous = FULL` writes its WAL through `GatheredWAL`: the frames of a commit go out in
/// one `pwrite` (two per frame without it), and nothing it committed is missing to another connection, to a
/// checkpoint or to a reopening.
@Suite struct GatheredWALTests {
    func insert(_ db: Database, rows: Int, bytes: Int, tag: Int) throws {
        try db.transaction {
            for i in 0..<rows { try db.execute("INSERT INTO t(tag, body) VALUES(?, ?)", [.integer(Int64(tag)), .blob([UInt8](repeating: UInt8(i & 0xFF), count: bytes))]) }
        }
    }

    @Test func aSmallCommitGoesOutInOneWriteAndAnotherConnectionSeesItAtOnce() throws {
        try withTemporaryDirectory { dir in
            let db = try Database(path: dir + "/g.sqlite", synchronousFull: true)
            defer { db.close() }
            try db.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, tag INTEGER, body BLOB)")
            let reader = try Database(path: dir + "/g.sqlite", readOnly: true)
            defer { reader.close() }
            for tag in 1...20 {
                let before = try #require(db.gatheredWALStatistics)
                try insert(db, rows: 3, bytes: 1500, tag: tag)
                let after = try #require(db.gatheredWALStatistics)
                #expect(after.flushes - before.flushes == 1, "commit \(tag): one pwrite")
                #expect(after.writes - before.writes >= 4, "commit \(tag): at least two frames of two writes each, gathered")
                #expect(try reader.scalarInt("SELECT count(*) FROM t WHERE tag = ?", [.integer(Int64(tag))]) == 3, "commit \(tag) seen by another connection")
            }
            #expect(reader.gatheredWALStatistics == nil, "a read-only connection's WAL is SQLite's own")
            let normal = try Database(path: dir + "/n.sqlite", synchronousFull: false)
            defer { normal.close() }
            try normal.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, tag INTEGER, body BLOB)")
            #expect(normal.gatheredWALStatistics == nil, "nor one with synchronous = NORMAL")
        }
    }

    /// Commits larger than what is gathered at once (64 KB), across many checkpoints and WAL restarts, and after
    /// reopening: every row there, the database sound. (Writes of 128 KB or more once came back short from the
    /// default VFS and read as a full disk.)
    @Test func largeCommitsAndCheckpointsKeepEveryRow() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/g.sqlite"
            do {
                let db = try Database(path: path, synchronousFull: true)
                defer { db.close() }
                try db.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, tag INTEGER, body BLOB)")
                for batch in 0..<120 { try insert(db, rows: batch % 7 == 0 ? 200 : 40, bytes: 2000 + batch, tag: batch) }
                let stats = try #require(db.gatheredWALStatistics)
                #expect(stats.flushes < stats.writes / 10, "\(stats)")
            }
            let reopened = try Database(path: path, synchronousFull: true)
            defer { reopened.close() }
            let expected = (0..<120).reduce(0) { $0 + ($1 % 7 == 0 ? 200 : 40) }
            #expect(try reopened.scalarInt("SELECT count(*) FROM t") == expected)
            #expect(try reopened.queryOne("PRAGMA integrity_check")?[0].string == "ok")
            #expect(try reopened.scalarInt("SELECT count(*) FROM t WHERE length(body) <> 2000 + tag") == 0)
        }
    }
}
