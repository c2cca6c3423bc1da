/// One SQLite value, in the five storage classes SQLite knows
/// (<https://www.sqlite.org/datatype3.html>).
public enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
    /// TEXT given as UTF-8 bytes the caller vouches for (JSON our own writer made from Swift strings): bound as
    /// text without building a String first. Reads back as `.text`.
    case utf8Text([UInt8])
}

// MARK: - Convenience initializers (nil becomes NULL)

extension SQLValue {
    public init(_ value: String?) {
        self = value.map { .text($0) } ?? .null
    }

    public init(_ value: Int?) {
        self = value.map { .integer(Int64($0)) } ?? .null
    }

    public init(_ value: Int64?) {
        self = value.map { .integer($0) } ?? .null
    }

    public init(_ value: Double?) {
        self = value.map { .real($0) } ?? .null
    }

    /// SQLite has no boolean class: booleans are stored as 0 and 1.
    public init(_ value: Bool) {
        self = .integer(value ? 1 : 0)
    }

    public init(_ bytes: [UInt8]?) {
        self = bytes.map { .blob($0) } ?? .null
    }
}

// MARK: - Accessors (no silent conversions between storage classes, except integer → real)

extension SQLValue {
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    public var int64: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    /// nil for non-integers and for integers that do not fit `Int` (never traps).
    public var int: Int? {
        int64.flatMap { Int(exactly: $0) }
    }

    /// Integers read as doubles too, because SQLite stores a REAL column value that
    /// is integral as an INTEGER on disk ("REAL affinity" in datatype3.html).
    public var double: Double? {
        switch self {
        case .real(let value): return value
        case .integer(let value): return Double(value)
        default: return nil
        }
    }

    public var string: String? {
        if case .text(let value) = self { return value }
        return nil
    }

    public var bytes: [UInt8]? {
        if case .blob(let value) = self { return value }
        return nil
    }

    public var bool: Bool? {
        int64.map { $0 != 0 }
    }
}

// MARK: - Literals

extension SQLValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .real(value) }
    public init(nilLiteral: ()) { self = .null }
}

extension SQLValue: CustomStringConvertible {
    /// Shows the storage class and size only, so values never leak into logs.
    public var description: String {
        switch self {
        case .null: return "NULL"
        case .integer: return "INTEGER"
        case .real: return "REAL"
        case .text(let text): return "TEXT(\(text.utf8.count) bytes)"
        case .blob(let bytes): return "BLOB(\(bytes.count) bytes)"
        case .utf8Text(let bytes): return "TEXT(\(bytes.count) bytes)"
        }
    }
}
