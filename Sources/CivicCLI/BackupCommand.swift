import CivicNode
import CivicStore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `civicmesh backup --config FILE --out FILE`: a consistent online copy of a node's database, taken while the
/// node runs (SQLite's backup API on a read-only connection of its own), written 0600 (it holds citizens'
/// data and the link ledger). Restoring it is a later step (see the README).
enum BackupCommand {
    static func run(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, command: "backup")
        let config = try NodeConfig.load(path: try a.required("config"))
        let out = try a.required("out")
        let source = config.dataDir + "/node.sqlite"
        guard FileManager.default.fileExists(atPath: source) else { throw UsageError("no database at \(source): has node \(config.id) ever run with this config?") }
        guard !FileManager.default.fileExists(atPath: out) else { throw UsageError("\(out) exists already; a backup never overwrites a file") }
        // Created 0600 before SQLite writes a byte of it.
        let fd = open(out, O_CREAT | O_EXCL | O_WRONLY, 0o600)
        guard fd >= 0 else { throw UsageError("cannot create \(out): \(String(cString: strerror(errno)))") }
        close(fd)
        let started = Date()
        do {
            let db = try Database(path: source, readOnly: true)
            defer { db.close() }
            try db.backup(to: out)
        } catch {
            unlink(out)
            throw error
        }
        let check = try Database(path: out, readOnly: true)
        defer { check.close() }
        let ok = try check.queryOne("PRAGMA integrity_check")?.string("integrity_check") ?? "?"
        let events = try check.scalarInt("SELECT count(*) FROM events WHERE case_id <> ''") ?? 0  // a restore's marker is no event
        let cases = try check.scalarInt("SELECT count(*) FROM cases") ?? 0
        let bytes = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
        guard ok == "ok" else { throw UsageError("the copy at \(out) fails its integrity check: \(ok)") }
        printError("backup of \(config.id) in \(Int(Date().timeIntervalSince(started) * 1000)) ms: \(cases) cases, \(events) events, \(bytes) bytes, integrity ok → \(out)")
        return 0
    }
}
