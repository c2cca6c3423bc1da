import CivicCases
import Foundation
import TestSupport
import Testing
@testable import CivicNode

/// The authenticator on a real node database: a token table it cannot read is the node's trouble (503),
/// never the caller's (401).
@Suite struct AuthenticatorTests {
    @Test func anUnreadableTokenTableIsUnavailableNotUnknown() throws {
        let dir = TempDirectory("auth")
        let config = loneNodeConfig(in: dir)
        let token = try NodeTokens.create(config: config, role: .viewer, unit: nil, name: "leader", lifetime: 60).token
        let auth = try Authenticator(path: config.dataDir + "/node.sqlite")
        #expect(auth.authenticate("Bearer \(token)", now: Date()) == .success(Principal(name: "leader", role: .viewer, unit: "city")))
        #expect(auth.authenticate("Bearer \(token)", now: Date().addingTimeInterval(120)) == .failure(.expired("leader")))
        auth.close()
        guard case .failure(.unavailable) = auth.authenticate("Bearer \(token)", now: Date()) else {
            Issue.record("a closed token table must answer unavailable")
            return
        }
    }
}
