import CivicCases
import Foundation

/// A whole city of nodes inside one process, on loopback with ephemeral ports: for benchmarks and tests.
/// Every node still has its own event loop, its own SQLite file and real TCP links.
public final class LocalCity: @unchecked Sendable {
    // Invariant: `nodes` is only mutated by start/stop/restart, which callers serialise.
    public private(set) var nodes: [String: MeshNode] = [:]
    public private(set) var configs: [String: NodeConfig] = [:]
    public let topology: Topology
    public let directory: String
    let logLevel: Logger.Level
    /// Case time for every node (a manual clock in tests); nil: each node's config decides (`clock_speed`).
    let clock: (any CaseClock)?

    /// Starts parents before children so each child can be given its parent's actual mesh port.
    public init(topology: Topology, directory: String, heartbeat: Double = 1, logLevel: Logger.Level = .warning, clock: (any CaseClock)? = nil) throws {
        self.logLevel = logLevel
        self.clock = clock
        self.topology = topology
        self.directory = directory
        var generated = ConfigGenerator.configs(for: topology, options: .init(host: "127.0.0.1", basePort: 0, dataRoot: directory))
        for i in generated.indices {
            generated[i].httpListen = "127.0.0.1:0"
            generated[i].meshListen = "127.0.0.1:0"
            generated[i].heartbeatInterval = heartbeat
            generated[i].heartbeatTimeout = heartbeat * 5
        }
        for c in generated { configs[c.id] = c }
        for node in topology.allNodes { try start(node.id) }
    }

    /// (Re)starts one node with its stored config, pointing it at its parent's current mesh address.
    @discardableResult
    public func start(_ id: String) throws -> MeshNode {
        guard var c = configs[id] else { throw ConfigError(file: "-", field: "id", problem: "no node \(id) in this city") }
        if let parentId = c.parentId, let parent = nodes[parentId], let address = parent.meshAddress { c.parentAddress = address }
        if let old = nodes[id], let mesh = old.meshAddress { c.meshListen = mesh }
        let node = try MeshNode(config: c, logLevel: logLevel, clock: clock ?? c.caseClock)
        if let mesh = node.meshAddress { c.meshListen = mesh }
        configs[id] = c
        nodes[id] = node
        return node
    }

    public func stop(_ id: String) {
        nodes[id]?.stop()
        nodes[id] = nil
    }

    public func stopAll() {
        for id in topology.allNodes.map(\.id).reversed() { stop(id) }
    }

    /// Waits until every running non-city node has its parent link up.
    public func waitUntilLinked(timeout: Double = 20) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if nodes.values.allSatisfy({ $0.parentLinkState == nil || $0.parentLinkState == "up" }) { return true }
            usleep(50_000)
        }
        return false
    }
}

extension MeshNode {
    /// "up", "down"… for the parent link; nil for the city.
    public var parentLinkState: String? {
        (try? onLoop { self.links.parent?.state.rawValue }.get()) ?? nil
    }

    /// Operations and commits of the node's store writer so far (group commit: commits ≪ operations).
    public var storeFigures: (operations: Int, commits: Int) {
        let stats = store.stats
        return (stats.operations, stats.batches)
    }

    /// The node's counters as of its last commit.
    public var counters: CounterSet {
        (try? onLoop { self.links.counters }.get()) ?? CounterSet()
    }

    /// Runs an engine operation and waits for its commit (benchmarks and tests).
    public func intakeAndWait(_ draft: CaseDraft) throws -> IntakeReceipt {
        try store.runAndWait { [clock] engine in try engine.intake(draft, at: clock.now()) }
    }

    /// Submits an intake without waiting; `done` runs after the commit, on the node's loop.
    public func intake(_ draft: CaseDraft, done: @escaping @Sendable (Result<IntakeReceipt, any Error>) -> Void) {
        intakes.submit(draft, done: done)
    }

    public func caseWithHistory(_ id: String) throws -> (Case, [CaseEvent])? {
        try store.runAndWait { engine in
            guard let c = try engine.loadCase(id) else { return nil }
            return (c, try engine.events(of: id))
        }
    }
}

extension MeshNode {
    /// The durable sequence figures of the link to `peer`, as stored (tests and tools).
    public func linkFigures(_ peer: String) throws -> LinkFigures {
        try store.runAndWait { engine in engine.linkFigures(peer) }
    }
}
