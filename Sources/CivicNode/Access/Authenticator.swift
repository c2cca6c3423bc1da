import CivicCases
import CivicStore
import Foundation

/// Checks bearer tokens against the node's `tokens` table on its own read-only connection, one indexed
/// lookup per request: a token created, revoked or expired — by the node or by the CLI on the same file —
/// counts from the very next request. Loop-confined (runs on the event loop thread).
final class Authenticator: @unchecked Sendable {
    // Invariant: `db` is used only on the loop thread.
    private let db: Database

    enum Failure: Error, Equatable {
        case missing, malformed, unknown
        case expired(String), revoked(String)
        /// The token table could not be read: not the caller's fault (503, not 401).
        case unavailable(String)
        var message: String {
            switch self {
            case .missing: "this endpoint needs a token: send Authorization: Bearer <token> (civicmesh token create makes one)"
            case .malformed: "the Authorization header must be \"Bearer <token>\""
            case .unknown: "the token is not known at this node"
            case .expired(let name): "token \(name) has expired; create a new one"
            case .revoked(let name): "token \(name) was revoked"
            case .unavailable(let why): "tokens cannot be checked right now (\(why)); retry shortly"
            }
        }
        var code: String {
            switch self {
            case .missing: "missing_token"
            case .malformed: "malformed_token"
            case .unknown: "unknown_token"
            case .expired: "expired_token"
            case .revoked: "revoked_token"
            case .unavailable: "storage_error"
            }
        }
    }

    /// Open after the writer has migrated the database (the `tokens` table must exist).
    init(path: String) throws { db = try Database(path: path, readOnly: true) }

    func authenticate(_ header: String?, now: Date) -> Result<Principal, Failure> {
        guard let header, !header.isEmpty else { return .failure(.missing) }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return .failure(.malformed) }
        let token = parts[1].trimmingWhitespace
        guard token.utf8.count <= 256, !token.isEmpty else { return .failure(.malformed) }
        let record: TokenRecord?
        do { record = try TokenTable.lookup(db, token: token) } catch { return .failure(.unavailable("\(error)")) }
        guard let record else { return .failure(.unknown) }
        if record.revokedAt != nil { return .failure(.revoked(record.name)) }
        if let expires = record.expiresAt, expires <= now { return .failure(.expired(record.name)) }
        return .success(Principal(name: record.name, role: record.role, boundTo: record.unit))
    }

    func close() { db.close() }
}

/// Who a request comes from, the endpoint it called and how far its role reaches there; left in
/// `RequestContext.identity` by `AuthMiddleware` for the handlers.
struct RequestAccess: Sendable {
    let principal: Principal
    let endpoint: Endpoint
    let reach: Reach
}


/// A token's role reaches the endpoint but not this case (403 naming the rule).
struct AccessDenied: Error, CustomStringConvertible {
    let rule: String
    var description: String { rule }
}

extension RequestAccess {
    /// Throws unless this caller may touch the case.
    func authorize(_ c: Case, at me: TopologyNode, createdBy: String? = nil) throws {
        let facts = AccessRules.CaseFacts(id: c.id, holder: c.holder, createdBy: createdBy, intake: c.intake, holdingDepartment: c.holdingDepartment,
                                              partUnits: c.parts.map { (unit: $0.unit, department: $0.department) })
        if let rule = AccessRules.check(reach, principal, at: me, facts) { throw AccessDenied(rule: rule) }
    }

    /// The case as this caller may read it: personal data masked unless the rules let it see them.
    func view(_ c: Case) -> Case { AccessRules.seesPersonalData(principal, holder: c.holder) ? c : PersonalData.mask(c) }
}
