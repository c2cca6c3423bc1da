import CSQLite

extension Database {
    /// A consistent copy of this database at `destination` while others keep writing it: SQLite's online backup
    /// API (<https://www.sqlite.org/backup.html>), a page range at a time; a write by another connection during the
    /// copy makes it start over, so what lands is one committed state. The copy is a plain (rollback-journal)
    /// database file.
    public func backup(to destination: String, pagesPerStep: Int32 = 1024) throws {
        let source = try openConnection()
        var target: OpaquePointer?
        let opened = sqlite3_open_v2(destination, &target, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, nil)
        guard opened == SQLITE_OK, let target else {
            let error = SQLiteError.last(on: target, code: opened, sql: nil, path: destination)
            sqlite3_close(target)
            throw error
        }
        defer { sqlite3_close(target) }
        guard let job = sqlite3_backup_init(target, "main", source, "main") else {
            throw SQLiteError.last(on: target, code: sqlite3_errcode(target), sql: "backup_init", path: destination)
        }
        var code: Int32
        repeat {
            code = sqlite3_backup_step(job, pagesPerStep)
            if code == SQLITE_BUSY || code == SQLITE_LOCKED { sqlite3_sleep(5) }
        } while code == SQLITE_OK || code == SQLITE_BUSY || code == SQLITE_LOCKED
        let finished = sqlite3_backup_finish(job)
        guard code == SQLITE_DONE, finished == SQLITE_OK else {
            throw SQLiteError.last(on: target, code: code == SQLITE_DONE ? finished : code, sql: "backup_step", path: destination)
        }
    }
}
