import CivicCases
import CivicStore
import CivicWire
import Foundation

/// One token as stored (never the token itself: its SHA-256 hash).
public struct TokenRecord: Codable, Sendable, Equatable {
    public var name: String
    public var role: Role
    public var unit: String
    public var createdAt: Date
    public var expiresAt: Date?
    public var revokedAt: Date?
    enum CodingKeys: String, CodingKey { case name, role, unit, createdAt = "created_at", expiresAt = "expires_at", revokedAt = "revoked_at" }

    public func state(at now: Date) -> String {
        if revokedAt != nil { return "revoked" }
        if let expiresAt, expiresAt <= now { return "expired" }
        return "active"
    }
}

/// A token just created: the bearer string (shown once) and its record.
public struct IssuedToken: Sendable {
    public var token: String
    public var record: TokenRecord
}

/// A token request that cannot be carried out; names the field at fault.
public struct TokenError: Error, CustomStringConvertible, Sendable {
    public var field: String
    public var message: String
    public var status: Int
    /// The API's error code for it.
    public var code: String { status == 404 ? "not_found" : status == 409 ? "conflict" : "bad_field" }
    public init(_ field: String, _ message: String, status: Int = 422) { self.field = field; self.message = message; self.status = status }
    public var description: String { message }
}

/// The `tokens` table: create, list, revoke and look up, on whichever connection the caller owns (the
/// node's writer, its authentication connection, or the CLI's own).
public enum TokenTable {
    /// "cmt_" and 64 hex digits: 256 random bits.
    public static func newToken() -> String { "cmt_" + Hex.encode(SecureRandom.bytes(32)) }
    public static func hash(_ token: String) -> String { Hex.encode(SHA256.hash(Array(token.utf8))) }

    /// Names are what the case history shows as the actor: letters, digits and . _ - @, at most 64.
    static func validName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && name.allSatisfy { $0.isLetter || $0.isNumber || "._-@".contains($0) }
    }

    /// "90d", "12h", "30m", or "never".
    public static func parseLifetime(_ text: String) -> TimeInterval?? {
        if text == "never" { return .some(nil) }
        guard let unit = text.last, let n = Double(text.dropLast()), n > 0, n.isFinite else { return nil }
        switch unit {
        case "d": return .some(n * 86_400)
        case "h": return .some(n * 3_600)
        case "m": return .some(n * 60)
        default: return nil
        }
    }

    public static func create(_ db: Database, role: Role, unit: String, name: String?, lifetime: TimeInterval?, node: TopologyNode, now: Date) throws -> IssuedToken {
        // `unit` is a node, or `node/department` for a handler of one department.
        let bound = Principal(name: "", role: role, boundTo: unit)
        guard node.contains(bound.unit) else { throw TokenError("unit", "unit \(bound.unit) is not \(node.id) or a unit below it") }
        if let department = bound.department {
            guard role == .handler else { throw TokenError("department", "only a handler token is bound to a department, not a \(role.rawValue) token") }
            guard let owner = node.find(bound.unit), owner.hasDepartment(department) else {
                let known = node.find(bound.unit)?.departments.joined(separator: ", ") ?? ""
                throw TokenError("department", "\(bound.unit) has no department \(department)\(known.isEmpty ? "" : "; it has \(known)")")
            }
        }
        if role == .admin, unit != node.id { throw TokenError("unit", "an admin token is bound to the node itself (\(node.id)), not to \(unit)") }
        let name = name ?? "\(role.rawValue)-\(Hex.encode(SecureRandom.bytes(3)))"
        guard validName(name) else { throw TokenError("name", "token name \"\(name.prefix(80))\" must be 1 to 64 letters, digits or . _ - @") }
        if try db.queryOne("SELECT name FROM tokens WHERE name = ?", [.text(name)]) != nil {
            throw TokenError("name", "a token named \(name) exists already (names stay taken after revocation, so the history's actors stay unambiguous)", status: 409)
        }
        let token = newToken()
        let record = TokenRecord(name: name, role: role, unit: unit, createdAt: now, expiresAt: lifetime.map { now.addingTimeInterval($0) }, revokedAt: nil)
        try db.execute("INSERT INTO tokens(name, hash, role, unit, created_at, expires_at, revoked_at) VALUES(?, ?, ?, ?, ?, ?, NULL)",
                       [.text(name), .text(hash(token)), .text(role.rawValue), .text(unit), .text(WireDate.format(now)),
                        record.expiresAt.map { .text(WireDate.format($0)) } ?? .null])
        return IssuedToken(token: token, record: record)
    }

    public static func list(_ db: Database) throws -> [TokenRecord] {
        try db.query("SELECT name, role, unit, created_at, expires_at, revoked_at FROM tokens ORDER BY created_at, name").compactMap(record)
    }

    /// Revokes `name`; returns the record as it is now. Revoking twice keeps the first time.
    public static func revoke(_ db: Database, name: String, now: Date) throws -> TokenRecord {
        guard try db.queryOne("SELECT name FROM tokens WHERE name = ?", [.text(name)]) != nil else {
            throw TokenError("name", "no token named \(name.prefix(80))", status: 404)
        }
        try db.execute("UPDATE tokens SET revoked_at = coalesce(revoked_at, ?) WHERE name = ?", [.text(WireDate.format(now)), .text(name)])
        return try db.query("SELECT name, role, unit, created_at, expires_at, revoked_at FROM tokens WHERE name = ?", [.text(name)]).compactMap(record).first!
    }

    /// The record whose hash matches `token`, compared in constant time; nil when there is none.
    static func lookup(_ db: Database, token: String) throws -> TokenRecord? {
        let digest = hash(token)
        guard let row = try db.queryOne("SELECT name, role, unit, created_at, expires_at, revoked_at, hash FROM tokens WHERE hash = ?", [.text(digest)]),
              constantTimeEquals(Array((row.string("hash") ?? "").utf8), Array(digest.utf8)) else { return nil }
        return record(row)
    }

    static func record(_ row: Row) -> TokenRecord? {
        guard let name = row.string("name"), let role = row.string("role").flatMap(Role.init(rawValue:)), let unit = row.string("unit"),
              let created = row.string("created_at").flatMap(WireDate.parse) else { return nil }
        return TokenRecord(name: name, role: role, unit: unit, createdAt: created,
                           expiresAt: row.string("expires_at").flatMap(WireDate.parse), revokedAt: row.string("revoked_at").flatMap(WireDate.parse))
    }
}

/// Token commands on a node's database from outside the node (the CLI), whether the node runs or not:
/// SQLite serialises the write with the node's own writer.
public enum NodeTokens {
    static func open(_ config: NodeConfig) throws -> Database {
        try PrivateFile.directory(config.dataDir)
        PrivateFile.touch(config.dataDir + "/node.sqlite")
        let db = try Database(path: config.dataDir + "/node.sqlite")
        try db.migrate(Schema.migrations)
        return db
    }

    public static func create(config: NodeConfig, role: Role, unit: String?, name: String?, lifetime: TimeInterval?, department: String? = nil, now: Date = Date()) throws -> IssuedToken {
        guard let node = config.unit else { throw TokenError("unit", "node \(config.id) is not in its topology") }
        let unit = department.map { "\(unit ?? config.id)/\($0)" } ?? unit
        let db = try open(config)
        defer { db.close() }
        return try db.transaction { try TokenTable.create(db, role: role, unit: unit ?? config.id, name: name, lifetime: lifetime, node: node, now: now) }
    }

    public static func list(config: NodeConfig) throws -> [TokenRecord] {
        let db = try open(config)
        defer { db.close() }
        return try TokenTable.list(db)
    }

    /// Whether `token` is a live token of this node (not unknown, revoked or expired).
    public static func isActive(config: NodeConfig, token: String, now: Date = Date()) throws -> Bool {
        let db = try open(config)
        defer { db.close() }
        guard let r = try TokenTable.lookup(db, token: token) else { return false }
        return r.state(at: now) == "active"
    }

    public static func revoke(config: NodeConfig, name: String, now: Date = Date()) throws -> TokenRecord {
        let db = try open(config)
        defer { db.close() }
        return try db.transaction { try TokenTable.revoke(db, name: name, now: now) }
    }
}
