import Dispatch
import Foundation

/// Throughput of the group-commit writer with synchronous=FULL: 1-row inserts submitted from
/// several threads, against the same inserts with one COMMIT (one fsync) per operation.
/// Prints figures for `civicmesh bench`; nothing here is asserted.
public enum StoreBenchmark {
    /// `path` is the database file to use (created if missing; the caller removes it).
    public static func run(path: String, operations: Int) -> String {
        let operations = max(operations, 1)
        do {
            let grouped = try measure(path: path, table: "bench_grouped", operations: operations, maxBatch: 512)
            // The per-commit baseline is fsync-bound, so it gets fewer operations.
            let single = try measure(
                path: path, table: "bench_single", operations: min(operations, 1_000), maxBatch: 1)
            return """
                store (WAL, synchronous=FULL, 1-row inserts, 4 submitting threads):
                  group commit:        \(grouped.summary)
                  one commit per op:   \(single.summary)
                """
        } catch {
            return "store benchmark failed: \(error)"
        }
    }

    private struct Measurement {
        var operations: Int
        var seconds: Double
        var stats: WriterStats

        var summary: String {
            let rate = Double(operations) / max(seconds, 1e-9)
            let perBatch = Double(stats.operations) / Double(max(stats.batches, 1))
            return "\(operations) ops in \(format(seconds, 3)) s = \(format(rate, 0)) ops/s; "
                + "\(stats.batches) commits, \(format(perBatch, 1)) ops/commit (largest \(stats.largestBatch)), "
                + "\(stats.failedOperations) failed"
        }

        private func format(_ value: Double, _ digits: Int) -> String {
            String(format: "%.\(digits)f", value)
        }
    }

    private static func measure(path: String, table: String, operations: Int, maxBatch: Int) throws -> Measurement {
        let insert = "INSERT INTO \(table)(ref, payload) VALUES (?, ?)"
        let writer = try GroupCommitWriter<Void>(path: path, maxBatch: maxBatch) { database in
            try database.execute(
                "CREATE TABLE IF NOT EXISTS \(table)(id INTEGER PRIMARY KEY, ref TEXT NOT NULL, payload TEXT NOT NULL)")
            try database.execute("DELETE FROM \(table)")
        }
        defer { writer.close() }
        let payload = String(repeating: "x", count: 120)
        let done = DispatchGroup()
        let threads = 4
        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for index in stride(from: thread, to: operations, by: threads) {
                done.enter()
                writer.submit({ _, database in
                    try database.execute(insert, [.text("op-\(index)"), .text(payload)])
                }, completion: { _ in done.leave() })
            }
        }
        done.wait()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Measurement(operations: operations, seconds: seconds, stats: writer.stats)
    }
}
