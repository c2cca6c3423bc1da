import CSQLite

/// `SQLITE_TRANSIENT` is a C macro casting -1 to a destructor and is not imported:
/// it tells SQLite to copy the bound bytes before the bind call returns.
/// (Same definition as GRDB, `Database.swift`.)
private var transientDestructor: sqlite3_destructor_type {
    unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
}

/// A prepared statement. Owned by one `Database` and used only on that database's thread.
final class Statement {
    let sql: String
    private(set) var handle: OpaquePointer?

    init(handle: OpaquePointer, sql: String) {
        self.handle = handle
        self.sql = sql
    }

    deinit { finalize() }

    func finalize() {
        if let handle { sqlite3_finalize(handle) }
        handle = nil
    }

    /// Column names of the result; read per execution because a `SELECT *` statement is
    /// re-prepared by SQLite after a schema change and may then have other columns.
    static func columnNames(of handle: OpaquePointer) -> [String] {
        (0..<sqlite3_column_count(handle)).map { String(cString: sqlite3_column_name(handle, $0)) }
    }

    /// Binds positional arguments; the count must match the statement's parameters exactly.
    /// Returns an error instead of trapping (GRDB traps): a wrong count is a bug, but a node
    /// should report it and keep serving other requests.
    func bind(_ arguments: [SQLValue], connection: OpaquePointer, path: String?) throws {
        guard let handle else { throw SQLiteError.misuse("statement is finalized", sql: sql, path: path) }
        let expected = Int(sqlite3_bind_parameter_count(handle))
        guard expected == arguments.count else {
            throw SQLiteError(
                extendedCode: SQLITE_RANGE,
                message: "statement expects \(expected) arguments, got \(arguments.count)", sql: sql, path: path)
        }
        for (offset, value) in arguments.enumerated() {
            let code = Self.bind(value, at: Int32(offset + 1), in: handle)
            if code != SQLITE_OK {
                throw SQLiteError.last(on: connection, code: code, sql: sql, path: path)
            }
        }
    }

    private static func bind(_ value: SQLValue, at index: Int32, in handle: OpaquePointer) -> Int32 {
        switch value {
        case .null:
            return sqlite3_bind_null(handle, index)
        case .integer(let integer):
            return sqlite3_bind_int64(handle, index, integer)
        case .real(let real):
            return sqlite3_bind_double(handle, index, real)
        case .text(let text):
            var text = text
            return text.withUTF8 { utf8 in
                // An empty buffer may have a nil base address, which would bind NULL.
                let base = utf8.baseAddress.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(("" as StaticString).utf8Start)
                return sqlite3_bind_text64(
                    handle, index, base.assumingMemoryBound(to: CChar.self), UInt64(utf8.count),
                    transientDestructor, UInt8(SQLITE_UTF8))
            }
        case .utf8Text(let bytes):
            return bytes.withUnsafeBytes { raw in
                let base = raw.baseAddress ?? UnsafeRawPointer(("" as StaticString).utf8Start)
                return sqlite3_bind_text64(handle, index, base.assumingMemoryBound(to: CChar.self), UInt64(raw.count), transientDestructor, UInt8(SQLITE_UTF8))
            }
        case .blob(let bytes):
            // Same nil-base-address trap: an empty blob must stay an empty blob, not NULL.
            if bytes.isEmpty { return sqlite3_bind_zeroblob(handle, index, 0) }
            return bytes.withUnsafeBytes { raw in
                sqlite3_bind_blob64(handle, index, raw.baseAddress, UInt64(raw.count), transientDestructor)
            }
        }
    }

    /// Rewinds for the next use and drops the copies of bound values. The return value of
    /// `sqlite3_reset` repeats the error of the last step, which was already reported.
    func reset() {
        guard let handle else { return }
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Steps until done, handing each row to `onRow`; `onRow` returns false to stop early.
    func run(connection: OpaquePointer, path: String?, onRow: (OpaquePointer) -> Bool) throws {
        guard let handle else { throw SQLiteError.misuse("statement is finalized", sql: sql, path: path) }
        while true {
            let code = sqlite3_step(handle)
            switch code {
            case SQLITE_ROW: if !onRow(handle) { return }
            case SQLITE_DONE: return
            default: throw SQLiteError.last(on: connection, code: code, sql: sql, path: path)
            }
        }
    }

    /// Reads column `index` of the current row in its own storage class.
    static func value(in handle: OpaquePointer, at index: Int32) -> SQLValue {
        switch sqlite3_column_type(handle, index) {
        case SQLITE_INTEGER:
            return .integer(sqlite3_column_int64(handle, index))
        case SQLITE_FLOAT:
            return .real(sqlite3_column_double(handle, index))
        case SQLITE_TEXT:
            // Ask for the pointer first, then the size: the documented safe order
            // (<https://www.sqlite.org/c3ref/column_blob.html>).
            guard let text = sqlite3_column_text(handle, index) else { return .text("") }
            let count = Int(sqlite3_column_bytes(handle, index))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            // A zero-length blob comes back as a NULL pointer.
            guard let blob = sqlite3_column_blob(handle, index) else { return .blob([]) }
            let count = Int(sqlite3_column_bytes(handle, index))
            return .blob(Array(UnsafeRawBufferPointer(start: blob, count: count)))
        default:
            return .null
        }
    }
}

@available(*, unavailable)
extension Statement: Sendable {}
