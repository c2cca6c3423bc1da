import CivicStore
import Dispatch
import Foundation
import Synchronization
import Testing

private struct OperationRefused: Error {}

/// Collects completion results across threads.
private final class Recorder<T: Sendable>: Sendable {
    let items = Mutex<[T]>([])
    let wrongThread = Mutex(0)
    func append(_ item: T) { items.withLock { $0.append(item) } }
    var all: [T] { items.withLock { $0 } }
}

/// Holds the writer thread inside one operation, so that what is submitted meanwhile
/// lands in the next batch together.
private final class Gate: Sendable {
    let entered = DispatchSemaphore(value: 0)
    let release = DispatchSemaphore(value: 0)

    func hold<C>(_ writer: GroupCommitWriter<C>) {
        writer.submit({ _, _ in
            self.entered.signal()
            self.release.wait()
        }, completion: { _ in })
        entered.wait()
    }
}

/// What the writer's context mirrors of the database, in memory.
private final class Mirror: @unchecked Sendable {
    var count: Int
    init(_ count: Int) { self.count = count }
}

@Suite("GroupCommitWriter")
struct GroupCommitWriterTests {
    private func makeWriter(_ path: String, maxBatch: Int = 512) throws -> GroupCommitWriter<Void> {
        try GroupCommitWriter(path: path, maxBatch: maxBatch) { db in
            try db.execute("CREATE TABLE IF NOT EXISTS item(id INTEGER PRIMARY KEY, source INTEGER NOT NULL)")
        }
    }

    private static func insert(_ id: Int) -> @Sendable (Void, Database) throws -> Int {
        { _, db in
            try db.execute("INSERT INTO item(id, source) VALUES (?, 0)", [SQLValue(id)])
            return id
        }
    }

    @Test func concurrentSubmitsAreBatchedAndAllDurable() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/group.sqlite"
            let writer = try makeWriter(path)
            let results = Recorder<Bool>()
            let done = DispatchGroup()
            let threads = 4, perThread = 500
            DispatchQueue.concurrentPerform(iterations: threads) { thread in
                for index in 0..<perThread {
                    let id = thread * perThread + index
                    done.enter()
                    writer.submit({ _, db in
                        try db.execute("INSERT INTO item(id, source) VALUES (?, ?)", [SQLValue(id), SQLValue(thread)])
                    }, completion: { result in
                        if !writer.isWriterThread { results.wrongThread.withLock { $0 += 1 } }
                        results.append((try? result.get()) != nil)
                        done.leave()
                    })
                }
            }
            done.wait()
            let stats = writer.stats
            writer.close()

            #expect(results.all.count == threads * perThread)
            #expect(results.all.allSatisfy { $0 })
            #expect(results.wrongThread.withLock { $0 } == 0)
            #expect(stats.operations == threads * perThread && stats.failedOperations == 0)
            #expect(stats.batches < stats.operations, "group commit must put several operations in one COMMIT")
            #expect(stats.largestBatch > 1 && stats.largestBatch <= 512)

            // Everything is on disk for a new connection after close.
            let reopened = try Database(path: path)
            #expect(try reopened.scalarInt("SELECT count(*) FROM item") == threads * perThread)
            #expect(try reopened.scalarInt("SELECT count(DISTINCT source) FROM item") == threads)
            #expect((fileSize(path + "-wal") ?? 0) == 0)
        }
    }

    @Test func failingOperationFailsAloneInItsBatch() throws {
        try withTemporaryDirectory { dir in
            let writer = try makeWriter(dir + "/alone.sqlite")
            let gate = Gate()
            gate.hold(writer)
            let results = Recorder<(Int, Result<Int, any Error>)>()
            writer.submit(Self.insert(1)) { results.append((1, $0)) }
            writer.submit({ _, db in
                // Its first insert must be undone with it (savepoint), its second one fails.
                try db.execute("INSERT INTO item(id, source) VALUES (2, 0)")
                try db.execute("INSERT INTO item(id, source) VALUES (1, 0)")
                return 2
            }, completion: { results.append((2, $0)) })
            writer.submit({ _, _ in throw OperationRefused() }, completion: { results.append((3, $0)) })
            writer.submit(Self.insert(4)) { results.append((4, $0)) }
            #expect(writer.queueDepth == 4)
            gate.release.signal()
            writer.close()

            let outcomes = results.all
            #expect(outcomes.map(\.0) == [1, 2, 3, 4])
            #expect((try? outcomes[0].1.get()) == 1 && (try? outcomes[3].1.get()) == 4)
            #expect(throws: SQLiteError.self) { try outcomes[1].1.get() }
            #expect(throws: OperationRefused.self) { try outcomes[2].1.get() }
            #expect(writer.stats.largestBatch >= 4 && writer.stats.failedOperations == 2)
            let db = try Database(path: dir + "/alone.sqlite")
            #expect(try db.query("SELECT id FROM item ORDER BY id").compactMap { $0.int("id") } == [1, 4])
        }
    }

    @Test func beforeCommitRunsOncePerBatchInsideItAndAThrowFailsTheBatch() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/before.sqlite"
            let calls = Mutex(0)
            let refuse = Mutex(false)
            let writer = try GroupCommitWriter<Void>(path: path, beforeCommit: { _ in
                // Runs on the writer thread inside the batch's transaction: its write commits with the batch.
                calls.withLock { $0 += 1 }
                if refuse.withLock({ $0 }) { throw OperationRefused() }
            }) { db in
                try db.execute("CREATE TABLE IF NOT EXISTS item(id INTEGER PRIMARY KEY, source INTEGER NOT NULL)")
            }
            let gate = Gate()
            gate.hold(writer)  // one batch of its own
            let results = Recorder<Result<Int, any Error>>()
            for id in 1...5 { writer.submit(Self.insert(id)) { results.append($0) } }
            gate.release.signal()
            #expect(try writer.submitAndWait { _, db in try db.queryOne("SELECT count(*) AS n FROM item")?.int("n") ?? -1 } == 5)
            let batches = writer.stats.batches
            #expect(calls.withLock { $0 } == batches, "once per batch: \(calls.withLock { $0 }) calls, \(batches) batches")
            refuse.withLock { $0 = true }
            #expect(throws: OperationRefused.self) { try writer.submitAndWait(Self.insert(6)) }
            writer.close()
            #expect(results.all.allSatisfy { (try? $0.get()) != nil })
            let db = try Database(path: path)
            #expect(try db.query("SELECT id FROM item ORDER BY id").compactMap { $0.int("id") } == [1, 2, 3, 4, 5], "the refused batch kept nothing")
        }
    }

    @Test func failedCommitFailsTheWholeBatchAndKeepsNothing() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/commit.sqlite"
            // A deferred foreign key is only checked at COMMIT, which then fails
            // (<https://www.sqlite.org/foreignkeys.html#fk_deferred>).
            let writer = try GroupCommitWriter<Void>(path: path) { db in
                try db.executeScript("""
                    CREATE TABLE parent(id INTEGER PRIMARY KEY);
                    CREATE TABLE child(id INTEGER PRIMARY KEY,
                        parent INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);
                    """)
            }
            let gate = Gate()
            gate.hold(writer)
            let results = Recorder<Result<Void, any Error>>()
            let batchDone = DispatchGroup()
            for sql in [
                "INSERT INTO parent(id) VALUES (1)", "INSERT INTO child(id, parent) VALUES (1, 404)",
                "INSERT INTO parent(id) VALUES (2)",
            ] {
                batchDone.enter()
                writer.submit({ _, db in try db.execute(sql) }) {
                    results.append($0)
                    batchDone.leave()
                }
            }
            #expect(writer.queueDepth == 3)
            gate.release.signal()
            batchDone.wait()
            // The writer goes on after a failed batch.
            let after = try writer.submitAndWait { _, db in
                try db.execute("INSERT INTO parent(id) VALUES (3)")
                return db.lastInsertRowID
            }
            #expect(after == 3)
            let stats = writer.stats
            writer.close()

            #expect(results.all.count == 3)
            for result in results.all {
                let error = try #require(throws: SQLiteError.self) { try result.get() }
                #expect(error.extendedCode == SQLiteError.constraintForeignKey && error.sql == "COMMIT")
            }
            #expect(stats.failedBatches == 1 && stats.failedOperations == 3)
            let db = try Database(path: path)
            #expect(try db.query("SELECT id FROM parent").compactMap { $0.int("id") } == [3])
            #expect(try db.scalarInt("SELECT count(*) FROM child") == 0)
        }
    }

    /// A context mirroring the database (like the node engine's counters) is rebuilt from it after a batch
    /// that did not commit, so it never keeps what the database rolled back.
    @Test func aFailedBatchRebuildsTheContextFromTheDatabase() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/mirror.sqlite"
            let built = Mutex(0)
            let writer = try GroupCommitWriter<Mirror>(path: path) { db in
                try db.executeScript("""
                    CREATE TABLE IF NOT EXISTS parent(id INTEGER PRIMARY KEY);
                    CREATE TABLE IF NOT EXISTS child(id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);
                    """)
                built.withLock { $0 += 1 }
                return Mirror(try db.scalarInt("SELECT count(*) FROM parent") ?? 0)
            }
            try writer.submitAndWait { m, db in try db.execute("INSERT INTO parent(id) VALUES (1)"); m.count += 1 }
            let gate = Gate()
            gate.hold(writer)
            let done = DispatchGroup()
            for sql in ["INSERT INTO parent(id) VALUES (2)", "INSERT INTO child(id, parent) VALUES (1, 404)"] {
                done.enter()
                writer.submit({ m, db in
                    try db.execute(sql)
                    if sql.contains("parent(id)") { m.count += 1 }
                }, completion: { _ in done.leave() })
            }
            gate.release.signal()
            done.wait()
            let mirrored = try writer.submitAndWait { m, db in (m.count, try db.scalarInt("SELECT count(*) FROM parent") ?? -1) }
            writer.close()
            #expect(mirrored.0 == 1 && mirrored.1 == 1, "the mirror matches the rolled-back database: \(mirrored)")
            #expect(built.withLock { $0 } == 2, "built at start and once after the failed batch")
        }
    }

    @Test func completionsComeInSubmissionOrder() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/order.sqlite"
            let writer = try makeWriter(path, maxBatch: 16)
            let executed = Recorder<Int>()
            let completed = Recorder<Int>()
            for id in 0..<600 {
                writer.submit({ _, db in
                    executed.append(id)
                    try db.execute("INSERT INTO item(id, source) VALUES (?, 0)", [SQLValue(id)])
                    return id
                }, completion: { result in completed.append((try? result.get()) ?? -1) })
            }
            writer.close()
            #expect(executed.all == Array(0..<600))
            #expect(completed.all == Array(0..<600))
            #expect(writer.stats.largestBatch <= 16)
            let db = try Database(path: path)
            #expect(try db.query("SELECT id FROM item ORDER BY rowid").compactMap { $0.int("id") } == Array(0..<600))
        }
    }

    @Test func closeDrainsPendingOperationsThenRefuses() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/drain.sqlite"
            let writer = try makeWriter(path)
            // Hold the writer until close() has begun, so the 100 operations are still queued then.
            let entered = DispatchSemaphore(value: 0)
            writer.submit({ _, _ in
                entered.signal()
                while writer.isAccepting { usleep(1_000) }
            }, completion: { _ in })
            entered.wait()
            let results = Recorder<Bool>()
            for id in 0..<100 {
                writer.submit(Self.insert(id)) { results.append((try? $0.get()) != nil) }
            }
            #expect(writer.queueDepth == 100)
            writer.close()
            writer.close()  // idempotent
            #expect(results.all == Array(repeating: true, count: 100))

            let refused = Recorder<Result<Int, any Error>>()
            writer.submit(Self.insert(1_000)) { refused.append($0) }
            let error = try #require(throws: GroupCommitWriterError.self) { try refused.all.first?.get() }
            #expect(error == .closed(path: path))
            #expect(writer.stats.rejectedSubmits == 1)

            let db = try Database(path: path)
            #expect(try db.scalarInt("SELECT count(*) FROM item") == 100)
        }
    }

    @Test func submitAndWaitReturnsValueOrError() throws {
        try withTemporaryDirectory { dir in
            let writer = try makeWriter(dir + "/wait.sqlite")
            defer { writer.close() }
            #expect(try writer.submitAndWait(Self.insert(5)) == 5)
            #expect(throws: SQLiteError.self) { try writer.submitAndWait(Self.insert(5)) }
            #expect(throws: OperationRefused.self) { try writer.submitAndWait { _, _ -> Int in throw OperationRefused() } }
        }
    }

    @Test func contextAndAfterCommitLiveOnTheWriterThread() throws {
        final class Tally {
            var applied = 0
        }
        try withTemporaryDirectory { dir in
            let writer = try GroupCommitWriter<Tally>(path: dir + "/hook.sqlite") { db in
                try db.execute("CREATE TABLE item(id INTEGER PRIMARY KEY)")
                return Tally()
            }
            let completions = Mutex(0)
            let published = Recorder<Int>()
            writer.setAfterCommit { tally in
                // The hook runs before the batch's completions: none of them has been delivered yet.
                #expect(completions.withLock { $0 } < tally.applied)
                if !writer.isWriterThread { published.wrongThread.withLock { $0 += 1 } }
                published.append(tally.applied)
            }
            let done = DispatchGroup()
            for id in 0..<300 {
                done.enter()
                writer.submit({ tally, db in
                    try db.execute("INSERT INTO item(id) VALUES (?)", [SQLValue(id)])
                    tally.applied += 1
                }, completion: { _ in
                    let delivered = completions.withLock { $0 += 1; return $0 }
                    // Every completed operation is already in a tally the hook published.
                    #expect((published.all.last ?? 0) >= delivered)
                    done.leave()
                })
            }
            done.wait()
            writer.close()
            #expect(published.all.last == 300)
            #expect(published.all == published.all.sorted())
            #expect(published.wrongThread.withLock { $0 } == 0)
        }
    }

    @Test func openAndContextErrorsAreThrownByInit() throws {
        try withTemporaryDirectory { dir in
            #expect(throws: SQLiteError.self) {
                try GroupCommitWriter<Void>(path: dir + "/no/such/dir/x.sqlite") { _ in }
            }
            #expect(throws: OperationRefused.self) {
                try GroupCommitWriter<Void>(path: dir + "/ctx.sqlite") { _ in throw OperationRefused() }
            }
        }
    }

    @Test func benchmarkPrintsAFigure() throws {
        try withTemporaryDirectory { dir in
            let report = StoreBenchmark.run(path: dir + "/bench.sqlite", operations: 2_000)
            print(report)
            #expect(report.contains("ops/s") && !report.contains("benchmark failed"))
            #expect(report.contains("2000 ops") && report.contains(", 0 failed"))
        }
    }
}
