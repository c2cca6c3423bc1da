import CivicCases
import CivicStore
import CivicWire
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `civicmesh restore`: puts a backup (`civicmesh backup`) back as a stopped node's database and prepares it to
/// rejoin the mesh (docs/protocol.md §3.4):
/// - every link is marked to resync: at its next handshake the node learns from the peer how far each stream had
///   got, sets its ledger right and records, and logs, what it no longer holds (ResyncRules);
/// - the node's own numbering moves past anything it may have used after the backup was taken, so nothing it makes
///   from now on reuses an id a peer already holds: event numbers jump to the restore time in microseconds (a node
///   makes fewer than a million events a second), and case numbers start a million above any used before (a node
///   takes fewer than a million cases between a backup and its restore); the event log's rowids (the event
///   stream's ids) jump the same way, past a marker row that belongs to no case.
/// The database in place is kept beside it (`node.sqlite.replaced-<time>`, with its WAL), never deleted.
public enum NodeRestore {
    public struct Report: Sendable {
        public var database: String
        public var keptAs: String?
        public var cases: Int
        public var events: Int
        public var links: [(peer: String, nextOut: Int, appliedIn: Int)]
        public var nextEvent: Int
        public var caseNumberFloor: Int
        public var restores: Int
        /// Tokens taken from the replaced database (created or revoked after the backup); nil when it was unreadable.
        public var tokensCarried: Int?
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    public static func restore(config: NodeConfig, from backup: String, now: Date = Date()) throws -> Report {
        guard FileManager.default.fileExists(atPath: backup) else { throw Failure("no backup at \(backup)") }
        let lock: DataDirLock
        do {
            try PrivateFile.directory(config.dataDir)
            lock = try DataDirLock(dataDir: config.dataDir)
        } catch let held as DataDirLock.Held {
            throw Failure("\(held.reason); a node is restored while it is stopped")
        }
        defer { lock.release() }
        let peers = [config.parentId].compactMap { $0 } + (config.unit?.children.map(\.id) ?? [])
        try check(backup: backup, peers: peers)

        let target = config.dataDir + "/node.sqlite"
        var keptAs: String?
        if FileManager.default.fileExists(atPath: target) {
            let kept = target + ".replaced-" + stamp(now)
            for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: target + suffix) {
                guard rename(target + suffix, kept + suffix) == 0 else { throw Failure("cannot move \(target + suffix) aside: \(String(cString: strerror(errno)))") }
            }
            keptAs = kept
        }
        let staging = target + ".restoring"
        unlink(staging)
        try copyDurably(from: backup, to: staging)
        guard rename(staging, target) == 0 else { throw Failure("cannot put the copy in place at \(target): \(String(cString: strerror(errno)))") }
        syncDirectory(config.dataDir)

        // Tokens are access, not case data: the replaced database's table is newer (a token revoked since the backup
        // must stay revoked), so it wins when it can still be read.
        let tokens: [[SQLValue]]? = keptAs.flatMap { kept in
            guard let old = try? Database(path: kept, readOnly: true) else { return nil }
            defer { old.close() }
            return try? old.query("SELECT name, hash, role, unit, created_at, expires_at, revoked_at FROM tokens").map { row in
                (0..<7).map { row[$0] }
            }
        }
        let db = try Database(path: target)
        defer { db.close() }
        try db.migrate(Schema.migrations)
        return try db.transaction {
            for token in tokens ?? [] {
                try db.execute("DELETE FROM tokens WHERE name = ? OR hash = ?", [token[0], token[1]])
                try db.execute("INSERT INTO tokens(name, hash, role, unit, created_at, expires_at, revoked_at) VALUES(?, ?, ?, ?, ?, ?, ?)", token)
            }
            func meta(_ key: String) throws -> String? { try db.queryOne("SELECT value FROM meta WHERE key = ?", [.text(key)])?.string("value") }
            func setMeta(_ key: String, _ value: String) throws {
                try db.execute("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", [.text(key), .text(value)])
            }
            var links: [(peer: String, nextOut: Int, appliedIn: Int)] = []
            let restoredAt = WireDate.format(now)
            for peer in peers {
                let row = try db.queryOne("SELECT next_out, applied_in FROM links WHERE peer = ?", [.text(peer)])
                let nextOut = row?.int("next_out") ?? 1
                links.append((peer, nextOut, row?.int("applied_in") ?? 0))
                try db.execute("INSERT INTO link_resync(peer, restored_next_out, restored_at) VALUES(?, ?, ?) ON CONFLICT(peer) DO UPDATE SET restored_next_out = excluded.restored_next_out, restored_at = excluded.restored_at",
                               [.text(peer), .integer(Int64(nextOut)), .text(restoredAt)])
            }
            let nextEvent = max(Int(try meta("next_event") ?? "1") ?? 1, Int(now.timeIntervalSince1970 * 1_000_000))
            try setMeta("next_event", String(nextEvent))
            var highestCase = Int(try meta("case_number_floor") ?? "0") ?? 0
            for row in try db.query("SELECT value FROM meta WHERE key LIKE 'case_seq:%'") { highestCase = max(highestCase, Int(row.string("value") ?? "0") ?? 0) }
            let floor = highestCase + 1_000_000
            try setMeta("case_number_floor", String(floor))
            let restores = (Int(try meta("restores") ?? "0") ?? 0) + 1
            // The event stream's ids are the log's rowids: the events made after the restore must not take ids the
            // lost events had, or a client resuming from one would skip new events. A marker row (no case) moves the
            // rowid past anything given out before, as the event numbers move (the readers of the log skip it).
            let lastOrd = try db.scalarInt("SELECT max(ord) FROM events") ?? 0
            try db.execute("INSERT INTO events(ord, id, case_id, body, action, at, node) VALUES(?, ?, '', '{}', 'restored', ?, ?)",
                           [.integer(Int64(max(lastOrd + 1, Int(now.timeIntervalSince1970 * 1_000_000)))), .text(":restored:\(restores)"),
                            .text(restoredAt), .text(config.id)])
            try setMeta("restores", String(restores))
            try setMeta("restored_at", restoredAt)
            return Report(database: target, keptAs: keptAs, cases: try db.scalarInt("SELECT count(*) FROM cases") ?? 0,
                          events: try db.scalarInt("SELECT count(*) FROM events WHERE case_id <> ''") ?? 0, links: links, nextEvent: nextEvent,
                          caseNumberFloor: floor, restores: restores, tokensCarried: tokens?.count)
        }
    }

    /// A backup is restored only when it is whole and is this node's: its links name no peer this node lacks.
    static func check(backup: String, peers: [String]) throws {
        let db: Database
        do { db = try Database(path: backup, readOnly: true) } catch { throw Failure("\(backup) is not a database this node can read: \(error)") }
        defer { db.close() }
        let integrity = (try? db.queryOne("PRAGMA integrity_check")?.string("integrity_check")) ?? "unreadable"
        guard integrity == "ok" else { throw Failure("\(backup) fails its integrity check: \(integrity)") }
        let tables = Set(try db.query("SELECT name FROM sqlite_master WHERE type = 'table'").compactMap { $0.string("name") })
        guard tables.isSuperset(of: ["meta", "links", "outbox", "cases", "events"]) else {
            throw Failure("\(backup) is not a civicmesh node database (it lacks \(Set(["meta", "links", "outbox", "cases", "events"]).subtracting(tables).sorted().joined(separator: ", ")))")
        }
        let strangers = try db.query("SELECT peer FROM links").compactMap { $0.string("peer") }.filter { !peers.contains($0) }
        guard strangers.isEmpty else {
            throw Failure("\(backup) has links to \(strangers.sorted().joined(separator: ", ")), which are not peers of this node (\(peers.joined(separator: ", "))): it is another node's backup")
        }
    }

    private static func copyDurably(from source: String, to target: String) throws {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw Failure("cannot read \(source): \(String(cString: strerror(errno)))") }
        defer { close(input) }
        let output = open(target, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw Failure("cannot create \(target): \(String(cString: strerror(errno)))") }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n < 0 { throw Failure("reading \(source): \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            var written = 0
            while written < n {
                let w = buffer.withUnsafeBytes { write(output, $0.baseAddress! + written, n - written) }
                guard w > 0 else { throw Failure("writing \(target): \(String(cString: strerror(errno)))") }
                written += w
            }
        }
        guard fsync(output) == 0 else { throw Failure("fsync \(target): \(String(cString: strerror(errno)))") }
    }

    private static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    private static func stamp(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return f.string(from: date)
    }
}
