import CSQLite

/// An error reported by SQLite, with enough context to find the statement and the file.
///
/// Bound argument values are deliberately not stored: rows carry citizens' requests, and
/// errors end up in logs (GRDB hides arguments for the same reason, `DatabaseError.swift`).
public struct SQLiteError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Primary result code (`extendedCode & 0xFF`), e.g. `SQLITE_CONSTRAINT` = 19.
    public let resultCode: Int32
    /// Extended result code, e.g. `SQLITE_CONSTRAINT_UNIQUE` = 2067
    /// (<https://www.sqlite.org/rescode.html#extrc>).
    public let extendedCode: Int32
    public let message: String
    /// The statement that failed, with placeholders (never the argument values).
    public let sql: String?
    public let path: String?

    public init(extendedCode: Int32, message: String, sql: String? = nil, path: String? = nil) {
        self.resultCode = extendedCode & 0xFF
        self.extendedCode = extendedCode
        self.message = message
        self.sql = sql
        self.path = path
    }

    public var description: String {
        var text = "SQLite error \(resultCode)"
        if extendedCode != resultCode { text += " (extended \(extendedCode))" }
        text += ": \(message)"
        if let sql { text += " — while executing `\(sql)`" }
        if let path { text += " — database \(path)" }
        return text
    }

    // MARK: - Classification

    public var isConstraintViolation: Bool { resultCode == SQLITE_CONSTRAINT }
    public var isUniqueViolation: Bool {
        extendedCode == Self.constraintUnique || extendedCode == Self.constraintPrimaryKey
    }

    // Extended codes are macros built with `|` and `<<`, which Swift does not import
    // (<https://www.sqlite.org/rescode.html>: (SQLITE_CONSTRAINT | (8<<8)) and (… | (6<<8))).
    public static let constraintUnique: Int32 = SQLITE_CONSTRAINT | (8 << 8)
    public static let constraintPrimaryKey: Int32 = SQLITE_CONSTRAINT | (6 << 8)
    public static let constraintForeignKey: Int32 = SQLITE_CONSTRAINT | (3 << 8)
    public static let constraintNotNull: Int32 = SQLITE_CONSTRAINT | (5 << 8)
    public var isBusy: Bool { resultCode == SQLITE_BUSY || resultCode == SQLITE_LOCKED }

    /// Errors after which SQLite may have rolled back the whole transaction on its own
    /// (<https://www.sqlite.org/lang_transaction.html>, "Response To Errors Within A Transaction").
    public var mayHaveAbortedTransaction: Bool {
        [SQLITE_FULL, SQLITE_IOERR, SQLITE_BUSY, SQLITE_NOMEM].contains(resultCode)
    }
}

extension SQLiteError {
    /// The error of the last failing call on `connection`. `code` is the value returned by
    /// that call; with `SQLITE_OPEN_EXRESCODE` it is already the extended code.
    static func last(
        on connection: OpaquePointer?, code: Int32, sql: String?, path: String?
    ) -> SQLiteError {
        // Prefer the connection's extended code when it refines the code we were handed
        // (some paths return a primary code even with EXRESCODE).
        var extended = code
        if let connection {
            let connectionCode = sqlite3_extended_errcode(connection)
            if connectionCode & 0xFF == code & 0xFF { extended = connectionCode }
        }
        let message: String
        if let connection, let cMessage = sqlite3_errmsg(connection) {
            message = String(cString: cMessage)
        } else {
            message = String(cString: sqlite3_errstr(code))
        }
        return SQLiteError(extendedCode: extended, message: message, sql: sql, path: path)
    }

    /// A misuse detected by this wrapper before reaching SQLite.
    static func misuse(_ message: String, sql: String? = nil, path: String? = nil) -> SQLiteError {
        SQLiteError(extendedCode: SQLITE_MISUSE, message: message, sql: sql, path: path)
    }
}
