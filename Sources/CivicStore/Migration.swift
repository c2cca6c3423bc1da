/// One step of a database's schema, known by its name (recorded when applied; see `Database.migrate`).
public struct Migration: Sendable, Equatable {
    public let name: String
    public let sql: String
    public init(_ name: String, _ sql: String) { self.name = name; self.sql = sql }
}
