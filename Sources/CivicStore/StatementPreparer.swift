import CSQLite

/// Compiles SQL text into `Statement`s: exactly one for the cache, or each one of a script.
enum StatementPreparer {
    /// Prepares `sql`, which must hold exactly one statement, with `SQLITE_PREPARE_PERSISTENT`:
    /// "a hint to the query planner that the prepared statement will be retained for a long
    /// time and probably reused many times" (<https://www.sqlite.org/c3ref/c_prepare_normalize.html>).
    static func prepareSingle(_ sql: String, connection: OpaquePointer, path: String) throws -> Statement {
        try sql.withCString { text in
            var handle: OpaquePointer?
            var tail: UnsafePointer<CChar>?
            let code = sqlite3_prepare_v3(
                connection, text, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &handle, &tail)
            guard code == SQLITE_OK else {
                sqlite3_finalize(handle)
                throw SQLiteError.last(on: connection, code: code, sql: sql, path: path)
            }
            guard let handle else {
                throw SQLiteError.misuse("no SQL statement in text", sql: sql, path: path)
            }
            let statement = Statement(handle: handle, sql: sql)
            // Silently ignoring a second statement would drop writes, so compile the tail:
            // whitespace and comments compile to no statement at all.
            if let tail, tail.pointee != 0 {
                var extra: OpaquePointer?
                let tailCode = sqlite3_prepare_v2(connection, tail, -1, &extra, nil)
                sqlite3_finalize(extra)
                if tailCode != SQLITE_OK || extra != nil {
                    throw SQLiteError.misuse(
                        "execute/query take exactly one statement; use executeScript", sql: sql, path: path)
                }
            }
            return statement
        }
    }

    /// Prepares and hands over each statement of a script in turn; each is finalized after use.
    static func forEachStatement(
        in script: String, connection: OpaquePointer, path: String, body: (Statement) throws -> Void
    ) throws {
        try script.withCString { start in
            var next: UnsafePointer<CChar>? = start
            while let current = next, current.pointee != 0 {
                var handle: OpaquePointer?
                var tail: UnsafePointer<CChar>?
                let code = sqlite3_prepare_v2(connection, current, -1, &handle, &tail)
                guard code == SQLITE_OK else {
                    sqlite3_finalize(handle)
                    // No statement to name yet: report the rest of the script from here.
                    let rest = String(cString: current).drop { $0.isWhitespace || $0.isNewline }
                    let remaining = String(rest.prefix(200))
                    throw SQLiteError.last(on: connection, code: code, sql: remaining, path: path)
                }
                next = tail
                // Trailing whitespace or a comment compiles to no statement.
                guard let handle else { continue }
                let statement = Statement(handle: handle, sql: String(cString: sqlite3_sql(handle)))
                defer { statement.finalize() }
                try body(statement)
            }
        }
    }
}
