import CivicCases
import CivicNode
import Foundation

/// The sample city running in this process (real TCP links, one SQLite file per node), links up, stopped
/// when released: the fixture most mesh tests start from.
public final class SampleCity: @unchecked Sendable {
    public let dir: TempDirectory
    public let city: LocalCity

    public init(_ label: String, heartbeat: Double = 0.5, clock: (any CaseClock)? = nil) throws {
        dir = TempDirectory(label)
        city = try LocalCity(topology: SampleTopology.load(), directory: dir.path, heartbeat: heartbeat, clock: clock)
        guard city.waitUntilLinked() else { throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "the sample city's links did not come up"]) }
    }

    deinit { city.stopAll() }
}

/// Helpers for a test that runs on a `SampleCity`.
public protocol OnSampleCity {
    var city: LocalCity { get }
}

extension OnSampleCity {
    public func url(_ node: String, _ path: String) -> String { TestTokens.url(city.nodes[node]!, path) }
    /// The case as `node` has it, or nil.
    public func show(_ node: String, _ id: String) -> JSONResponse? { try? API.get(url(node, "/api/cases/\(id)")) }
    public func state(at node: String, _ id: String) -> String? { show(node, id)?.string("case", "state") }
    /// "state@holder" as `node` has it.
    public func at(_ node: String, _ id: String) -> String? { show(node, id).map { "\($0.string("case", "state") ?? "?")@\($0.string("case", "holder") ?? "?")" } }
}

/// The config of one sample node on its own, on ephemeral loopback ports, with its data in `dir` (a node
/// started alone: its links stay down, its own API and database are real).
public func loneNodeConfig(_ id: String = "city", in dir: TempDirectory) -> NodeConfig {
    var config = ConfigGenerator.configs(for: SampleTopology.load(), options: .init(basePort: 0, dataRoot: dir.path)).first { $0.id == id }!
    config.httpListen = "127.0.0.1:0"
    config.meshListen = "127.0.0.1:0"
    return config
}
