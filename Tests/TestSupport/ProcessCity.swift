import CivicCases
import CivicNode
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A city whose nodes run as real `civicmesh node` processes on loopback, for crash tests.
public final class ProcessCity: @unchecked Sendable {
    public let topology: Topology
    public let dir: TempDirectory
    public private(set) var configs: [String: NodeConfig] = [:]
    private var processes: [String: CivicProcess] = [:]
    /// Environment every node process gets on top of the test's (e.g. `CIVICMESH_LOG_FORMAT`).
    public var environment: [String: String] = [:]
    private let lock = NSLock()

    /// `configure` changes every node's config before it is written (e.g. a faster clock).
    public init(topology: Topology, label: String = "pcity", configure: (inout NodeConfig) -> Void = { _ in }) throws {
        self.topology = topology
        dir = TempDirectory(label)
        var generated = ConfigGenerator.configs(for: topology, options: .init(basePort: 0, dataRoot: dir.path + "/nodes"))
        var meshPorts: [String: Int] = [:]
        for i in generated.indices {
            let mesh = freePort()
            meshPorts[generated[i].id] = mesh
            generated[i].meshListen = "127.0.0.1:\(mesh)"
            generated[i].httpListen = "127.0.0.1:\(freePort())"
            generated[i].heartbeatInterval = 0.5
            generated[i].heartbeatTimeout = 2.5
            configure(&generated[i])
        }
        for i in generated.indices {
            if let p = generated[i].parentId { generated[i].parentAddress = "127.0.0.1:\(meshPorts[p]!)" }
            configs[generated[i].id] = generated[i]
            try ConfigGenerator.write(generated[i], to: configPath(generated[i].id))
            // The admin token the tests' requests carry, made before the node process opens its database.
            TestTokens.admin(generated[i], address: generated[i].httpListen)
        }
    }

    public func configPath(_ id: String) -> String { dir.path + "/\(id).json" }

    /// Moves a node's data directory (before it starts), e.g. onto a small filesystem.
    public func setDataDir(_ id: String, _ path: String) throws {
        guard var c = configs[id] else { return }
        c.dataDir = path
        configs[id] = c
        try ConfigGenerator.write(c, to: configPath(id))
    }
    public func url(_ id: String, _ path: String) -> String {
        TestTokens.admin(configs[id]!, address: configs[id]!.httpListen)
        return "http://\(configs[id]!.httpListen)\(path)"
    }

    public func start(_ id: String) throws {
        let p = try CivicProcess(["node", "--config", configPath(id)], log: dir.path + "/\(id).log", environment: environment)
        lock.withLock { processes[id] = p }
        let healthy = eventually(timeout: 20) { (try? API.get(self.url(id, "/healthz")).status) == 200 }
        if !healthy { throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "node \(id) did not start:\n\(p.output)"]) }
    }

    public func startAll() throws { for n in topology.allNodes { try start(n.id) } }

    public func pid(_ id: String) -> Int32? { lock.withLock { processes[id]?.pid } }

    public func kill9(_ id: String) { lock.withLock { processes.removeValue(forKey: id) }?.kill9() }

    /// Sends SIGTERM and returns the process, to watch it drain and read its exit status (`wait()`).
    public func sigterm(_ id: String) -> CivicProcess? {
        let p = lock.withLock { processes.removeValue(forKey: id) }
        if let p { kill(p.pid, SIGTERM) }
        return p
    }

    public func stopAll() {
        let all = lock.withLock { () -> [CivicProcess] in defer { processes.removeAll() }; return Array(processes.values) }
        for p in all { p.terminate() }
    }

    public func log(_ id: String) -> String { (try? String(contentsOfFile: dir.path + "/\(id).log", encoding: .utf8)) ?? "" }

    /// Every non-city node reports its parent link up.
    public func waitUntilLinked(timeout: Double = 30) -> Bool {
        eventually(timeout: timeout) {
            topology.allNodes.filter { $0.tier != .city }.allSatisfy { n in
                (try? API.get(self.url(n.id, "/status")).string("parent", "state")) == "up"
            }
        }
    }

    /// Every case a node stores: id → state, read through the paged list API.
    public func cases(at id: String) throws -> [String: String] {
        var out: [String: String] = [:]
        var after: String? = nil
        var total = 0
        repeat {
            let page = try API.get(url(id, "/api/cases?limit=500" + (after.map { "&after=\($0)" } ?? "")))
            for c in page.array("cases") ?? [] {
                total += 1
                out[c["id"] as? String ?? ""] = "\(c["state"] as? String ?? "?")@\(c["holder"] as? String ?? "?")"
            }
            after = page.string("next")
        } while after != nil
        if total != out.count { throw CocoaError(.coderInvalidValue, userInfo: [NSLocalizedDescriptionKey: "\(id) lists a case twice"]) }
        return out
    }

    deinit { stopAll() }
}
