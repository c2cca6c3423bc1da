import CivicNode
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Admin tokens the tests' HTTP calls carry, one per node, keyed by the node's HTTP address: `API.request`
/// sends the one registered for the URL's host:port. Created the real way (`NodeTokens`, on the node's
/// database file), so every test goes through the same authentication as a user.
public enum TestTokens {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var byAddress: [String: String] = [:]
    nonisolated(unsafe) private static var byDatabase: [String: String] = [:]

    /// The admin token of the node with `config`, created once per database file, registered for `address`.
    @discardableResult
    public static func admin(_ config: NodeConfig, address: String) -> String {
        lock.lock()
        defer { lock.unlock() }
        let key = config.dataDir
        if let existing = byDatabase[key] {
            byAddress[address] = existing
            return existing
        }
        // The node may be opening (and migrating) the same file right now: SQLite can answer busy; try again
        // rather than remember a failure, which would turn every later request into a 401.
        var lastError: (any Error)?
        for attempt in 0..<20 {
            do {
                let token = try NodeTokens.create(config: config, role: .admin, unit: nil, name: "test-admin-\(UUID().uuidString.prefix(8))", lifetime: nil).token
                byDatabase[key] = token
                byAddress[address] = token
                return token
            } catch {
                lastError = error
                usleep(useconds_t(50_000 * (attempt + 1)))
            }
        }
        // Requests then go without a token and fail with a 401 that names the cause; nothing is remembered.
        print("TestTokens: cannot create a test token for \(config.id): \(lastError.map { "\($0)" } ?? "?")")
        return ""
    }

    /// The URL of `path` at a running node, with its admin token registered.
    public static func url(_ node: MeshNode, _ path: String) -> String {
        admin(node.config, address: node.httpAddress)
        return "http://\(node.httpAddress)\(path)"
    }

    static func token(forURL url: String) -> String? {
        var rest = url
        if let scheme = rest.range(of: "://") { rest = String(rest[scheme.upperBound...]) }
        let hostPort = String(rest.prefix { $0 != "/" })
        lock.lock()
        defer { lock.unlock() }
        return byAddress[hostPort]
    }
}
