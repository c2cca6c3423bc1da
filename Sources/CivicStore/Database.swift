import CLinuxShims
import CSQLite
#if canImport(Glibc)
import Glibc
#endif

/// One SQLite connection: a thin wrapper over the C API with a prepared-statement cache.
///
/// Threading: opened with `SQLITE_OPEN_NOMUTEX` ("multi-thread" mode,
/// <https://www.sqlite.org/threadsafe.html>), so SQLite does no locking of its own and the
/// connection must be used by one thread at a time. The type is deliberately not `Sendable`;
/// the owner (e.g. `GroupCommitWriter`'s thread) provides the serialization, as GRDB's
/// `SerializedDatabase` does.
public final class Database {
    public let path: String
    public let isReadOnly: Bool
    private var connection: OpaquePointer?
    private var statementCache: [String: Statement] = [:]
    /// Bounds the cache against SQL built with interpolated values by mistake.
    private let statementCacheLimit = 256
    var savepointDepth = 0

    /// Once per process, before the first connection: SQLite's memory statistics off (nothing here reads them,
    /// and they cost a global mutex on every allocation).
    private static let memoryStatisticsOff: Int32 = civic_sqlite_disable_memory_statistics()

    /// Opens (or creates, when read-write) the database at `path`.
    ///
    /// Read-write connections are switched to WAL; `synchronousFull` then makes each COMMIT
    /// fsync the WAL before returning, which is what lets an acknowledgement survive power loss:
    /// "In WAL mode when synchronous is NORMAL, the WAL file is synchronized before each
    /// checkpoint [...]. FULL: the WAL file is synchronized before each transaction commit"
    /// (<https://www.sqlite.org/pragma.html#pragma_synchronous>).
    public init(
        path: String, readOnly: Bool = false, busyTimeoutMs: Int32 = 5000, synchronousFull: Bool = true
    ) throws {
        self.path = path
        self.isReadOnly = readOnly
        _ = Self.memoryStatisticsOff
        if !readOnly { Self.reserveSharedMemoryFile(for: path) }
        var handle: OpaquePointer?
        let access = readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        let flags = access | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        // A connection that syncs every COMMIT writes its WAL through `GatheredWAL` (one `pwrite` per commit).
        let vfs = !readOnly && synchronousFull && GatheredWAL.registered != nil ? GatheredWAL.vfsName : nil
        let code = sqlite3_open_v2(path, &handle, flags, vfs)
        guard code == SQLITE_OK, let handle else {
            let error = SQLiteError.last(on: handle, code: code, sql: nil, path: path)
            // "Whether or not an error occurs when it is opened, resources associated with the
            // database connection handle should be released by passing it to sqlite3_close()"
            // (<https://www.sqlite.org/c3ref/open.html>).
            sqlite3_close(handle)
            throw error
        }
        connection = handle
        do {
            try configure(busyTimeoutMs: busyTimeoutMs, synchronousFull: synchronousFull)
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// Blocks kept allocated for the WAL index (`<db>-shm`), which SQLite maps into memory.
    public static let sharedMemoryReserve: Int = 1 << 20

    /// SQLite maps `<db>-shm` into memory. On a full ext4 disk, opening a database after a crash can then
    /// touch a page that has no block behind it and die of SIGBUS inside SQLite, on every restart. Allocating
    /// the file's blocks ahead of time (beyond its size, which stays SQLite's business) while there is space
    /// means that later the pages exist. Best effort: on a full disk it does nothing, as before.
    static func reserveSharedMemoryFile(for path: String) {
        let fd = open(path + "-shm", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        defer { Glibc.close(fd) }
        _ = civic_allocate_keep_size(fd, Int64(sharedMemoryReserve))
    }

    private func configure(busyTimeoutMs: Int32, synchronousFull: Bool) throws {
        sqlite3_busy_timeout(connection, busyTimeoutMs)
        // Reading the schema fails now with SQLITE_NOTADB rather than on first use.
        _ = try scalarInt("SELECT count(*) FROM sqlite_master")
        try execute("PRAGMA foreign_keys = ON")
        try execute("PRAGMA temp_store = MEMORY")
        guard !isReadOnly else { return }
        // journal_mode answers with the mode actually in effect; a database that cannot use
        // WAL (e.g. in-memory) answers something else instead of failing
        // (<https://www.sqlite.org/pragma.html#pragma_journal_mode>).
        let mode = try queryOne("PRAGMA journal_mode = WAL")?[0].string?.lowercased()
        guard mode == "wal" else {
            throw SQLiteError(
                extendedCode: SQLITE_ERROR, message: "journal_mode=WAL refused (got \(mode ?? "nothing"))",
                sql: "PRAGMA journal_mode = WAL", path: path)
        }
        try execute(synchronousFull ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
    }

    // MARK: - Closing

    public var isOpen: Bool { connection != nil }

    /// Finalizes cached statements, truncates the WAL when read-write, and closes. Idempotent.
    public func close() {
        guard let handle = connection else { return }
        for statement in statementCache.values { statement.finalize() }
        statementCache.removeAll()
        hotStatements.removeAll()
        if !isReadOnly {
            // Best effort: a concurrent reader makes this return SQLITE_BUSY and leaves the WAL
            // in place, which is harmless — the next open replays it.
            sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_TRUNCATE, nil, nil)
        }
        // close_v2 rather than close: if a statement were still alive, close() would return
        // SQLITE_BUSY and leak the connection; close_v2 defers the release until it is finalized
        // (<https://www.sqlite.org/c3ref/close.html>).
        sqlite3_close_v2(handle)
        connection = nil
    }

    /// What `GatheredWAL` did with this connection's WAL writes: SQLite's writes and the `pwrite`s that carried
    /// them (nil for a connection whose WAL is not gathered, or before its WAL is open).
    public var gatheredWALStatistics: (writes: Int, flushes: Int)? { connection.flatMap(GatheredWAL.statistics(of:)) }

    func openConnection(sql: String? = nil) throws -> OpaquePointer {
        guard let connection else { throw SQLiteError.misuse("database is closed", sql: sql, path: path) }
        return connection
    }

    // MARK: - Statements

    /// Runs one statement (result rows, if any, are ignored) through the statement cache.
    public func execute(_ sql: String, _ args: [SQLValue] = []) throws {
        try withCachedStatement(sql, args) { _ in false }
    }

    public func query(_ sql: String, _ args: [SQLValue] = []) throws -> [Row] {
        var rows: [Row] = []
        var columns: [String]?
        try withCachedStatement(sql, args) { handle in
            let names = columns ?? Statement.columnNames(of: handle)
            columns = names
            rows.append(Self.row(from: handle, columns: names))
            return true
        }
        return rows
    }

    /// The first row, without stepping further.
    public func queryOne(_ sql: String, _ args: [SQLValue] = []) throws -> Row? {
        var first: Row?
        try withCachedStatement(sql, args) { handle in
            first = Self.row(from: handle, columns: Statement.columnNames(of: handle))
            return false
        }
        return first
    }

    /// The first column of the first row as an Int; nil when there is no row or it is NULL.
    public func scalarInt(_ sql: String, _ args: [SQLValue] = []) throws -> Int? {
        try queryOne(sql, args)?[0].int
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    public var changes: Int {
        connection.map { Int(sqlite3_changes($0)) } ?? 0
    }

    public var lastInsertRowID: Int64 {
        connection.map { sqlite3_last_insert_rowid($0) } ?? 0
    }

    /// True between BEGIN and COMMIT/ROLLBACK (`sqlite3_get_autocommit` is 0 there).
    public var isInTransaction: Bool {
        connection.map { sqlite3_get_autocommit($0) == 0 } ?? false
    }

    private static func row(from handle: OpaquePointer, columns: [String]) -> Row {
        Row(columns: columns, values: (0..<Int32(columns.count)).map { Statement.value(in: handle, at: $0) })
    }

    private func withCachedStatement(
        _ sql: String, _ args: [SQLValue], onRow: (OpaquePointer) -> Bool
    ) throws {
        let connection = try openConnection(sql: sql)
        let statement = try cachedStatement(sql, connection: connection)
        defer { statement.reset() }
        try statement.bind(args, connection: connection, path: path)
        do {
            try statement.run(connection: connection, path: path, onRow: onRow)
        } catch {
            // Like GRDB (`statementDidFail`), a statement that failed leaves the cache and is
            // prepared afresh next time, so no state of the failed run can leak into the next.
            statementCache[sql] = nil
            hotStatements.removeAll { $0.sql == sql }
            throw error
        }
    }

    private func cachedStatement(_ sql: String, connection: OpaquePointer) throws -> Statement {
        // Only a text held in storage of its own (over 15 bytes): a shorter one lies inside the String value,
        // and the address the closure sees is a temporary one.
        let address = sql.utf8.count > 15 ? sql.utf8.withContiguousStorageIfAvailable { UnsafeRawPointer($0.baseAddress) } ?? nil : nil
        if let address, let hit = hotStatements.first(where: { $0.address == address && $0.sql.utf8.count == sql.utf8.count }) { return hit.statement }
        let statement: Statement
        if let cached = statementCache[sql] {
            statement = cached
        } else {
            statement = try StatementPreparer.prepareSingle(sql, connection: connection, path: path)
            if statementCache.count >= statementCacheLimit { statementCache.removeAll(); hotStatements.removeAll() }
            statementCache[sql] = statement
        }
        if let address {
            let entry = HotStatement(address: address, sql: sql, statement: statement)
            if hotStatements.count < Self.hotStatementSlots { hotStatements.append(entry) } else { hotStatements[nextHotSlot] = entry }
            nextHotSlot = (nextHotSlot + 1) % Self.hotStatementSlots
        }
        return statement
    }

    /// The statements run most, found by where their SQL text lies (a string literal keeps one address; the entry
    /// holds the string, so no other text can take its place while it is here) before the dictionary: hashing
    /// a statement's text on every run cost 2 % of applying a peer's line.
    private struct HotStatement {
        let address: UnsafeRawPointer
        let sql: String
        let statement: Statement
    }
    private var hotStatements: [HotStatement] = []
    private var nextHotSlot = 0
    private static let hotStatementSlots = 32

    /// Runs several `;`-separated statements without arguments (schema scripts, migrations).
    /// An error names the statement of the script that failed.
    public func executeScript(_ sql: String) throws {
        let connection = try openConnection(sql: sql)
        try StatementPreparer.forEachStatement(in: sql, connection: connection, path: path) { statement in
            try statement.run(connection: connection, path: path) { _ in true }
        }
    }
}

@available(*, unavailable)
extension Database: Sendable {}
