/// One result row: column names (shared by every row of a query) and their values.
public struct Row: Sendable, Hashable {
    public let columns: [String]
    public let values: [SQLValue]

    public init(columns: [String], values: [SQLValue]) {
        precondition(columns.count == values.count, "Row needs one value per column")
        self.columns = columns
        self.values = values
    }

    /// The value of a column, or `.null` when the row has no such column.
    /// Exact name first, then a case-insensitive match, since SQLite
    /// identifiers are case-insensitive.
    public subscript(_ column: String) -> SQLValue {
        guard let index = index(of: column) else { return .null }
        return values[index]
    }

    /// The value at a column position; traps when out of range, like `Array`.
    public subscript(_ index: Int) -> SQLValue {
        values[index]
    }

    public func hasColumn(_ column: String) -> Bool {
        index(of: column) != nil
    }

    public func int(_ column: String) -> Int? { self[column].int }
    public func int64(_ column: String) -> Int64? { self[column].int64 }
    public func string(_ column: String) -> String? { self[column].string }
    public func double(_ column: String) -> Double? { self[column].double }
    public func bytes(_ column: String) -> [UInt8]? { self[column].bytes }
    public func bool(_ column: String) -> Bool? { self[column].bool }

    private func index(of column: String) -> Int? {
        if let exact = columns.firstIndex(of: column) { return exact }
        let lowered = column.lowercased()
        return columns.firstIndex { $0.lowercased() == lowered }
    }
}
