import CivicCases
import CivicHTTP
import CivicNode
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `civicmesh up`: every node of a topology as its own OS process on loopback, supervised until Ctrl-C.
/// The configs (ports, secrets) are written once under DIR and reused, so a second run resumes the same data.
enum UpCommand {
    static func run(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, command: "up")
        let termination = TerminationSignal()
        let dir = absolute(a["data"] ?? "civicmesh-data")
        let topology = try a["topology"].map(TopologyCommands.loadTopology) ?? SampleTopology.load()
        var configs = try prepareConfigs(topology: topology, dir: dir, basePort: try a.int("base-port", default: 7400))
        if let model = a["topic-model"] {
            // A model trained with `civicmesh classify train`, used by every intake node of this run.
            for i in configs.indices {
                configs[i].topicModel = absolute(model)
                try ConfigGenerator.encode(configs[i]).write(to: URL(fileURLWithPath: "\(dir)/configs/\(configs[i].id).json"))
            }
        }
        try writeMeshFile(configs, dir: dir)
        let supervisor = Supervisor(configs: configs, dir: dir)
        try supervisor.startAll()
        let timeout = Double(try a.int("timeout", default: 60))
        guard waitUntilLinked(configs, timeout: timeout) else {
            printError("civicmesh up: not every link came up within \(Int(timeout))s; see \(dir)/logs")
            supervisor.stopAll()
            return 1
        }
        print("CivicMesh is up: \(configs.count) nodes, data in \(dir)")
        for c in configs {
            let indent = String(repeating: "  ", count: c.tier == .city ? 0 : c.tier == .district ? 1 : 2)
            print("\(indent)\(c.id) \(c.name) [\(c.tier.rawValue)]  http://\(c.httpListen)/status")
        }
        print("mesh map: \(dir)/mesh.json   — Ctrl-C stops every node")
        fflush(nil)
        termination.wait()
        print("stopping…")
        supervisor.stopAll()
        return 0
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// Reuses DIR/configs when it already holds every node of this topology; otherwise writes fresh ones.
    static func prepareConfigs(topology: Topology, dir: String, basePort: Int) throws -> [NodeConfig] {
        let configDir = dir + "/configs"
        let ids = topology.allNodes.map(\.id)
        let existing = ids.map { "\(configDir)/\($0).json" }
        if existing.allSatisfy({ FileManager.default.fileExists(atPath: $0) }) {
            return try existing.map { try NodeConfig.load(path: $0, environment: [:]) }
        }
        try FileManager.default.createDirectory(atPath: configDir, withIntermediateDirectories: true)
        let configs = ConfigGenerator.configs(for: topology, options: .init(basePort: basePort, dataRoot: dir + "/nodes"))
        for c in configs { try ConfigGenerator.encode(c).write(to: URL(fileURLWithPath: "\(configDir)/\(c.id).json")) }
        return configs
    }

    static func writeMeshFile(_ configs: [NodeConfig], dir: String) throws {
        let nodes: [[String: Any]] = configs.map { c in
            var n: [String: Any] = ["id": c.id, "tier": c.tier.rawValue, "name": c.name, "http": c.httpListen, "config": "\(dir)/configs/\(c.id).json"]
            n["parent"] = c.parentId ?? NSNull()
            n["mesh"] = c.unit?.children.isEmpty == false ? c.meshListen : NSNull()
            return n
        }
        let data = try JSONSerialization.data(withJSONObject: ["nodes": nodes], options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try data.write(to: URL(fileURLWithPath: dir + "/mesh.json"))
    }

    /// Every non-city node reports its parent link up.
    static func waitUntilLinked(_ configs: [NodeConfig], timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var remaining = configs
        while Date() < deadline {
            remaining = remaining.filter { c in
                guard let r = try? HTTPClient.send(method: "GET", url: "http://\(c.httpListen)/status", timeout: 2), r.status == 200,
                      let obj = try? JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any] else { return true }
                guard c.parentId != nil else { return false }
                return ((obj["parent"] as? [String: Any])?["state"] as? String) != "up"
            }
            if remaining.isEmpty { return true }
            usleep(200_000)
        }
        return false
    }
}

/// Runs node processes, restarts one that dies unexpectedly, stops them all on request.
final class Supervisor: @unchecked Sendable {
    // Invariant: `processes` and `stopping` are guarded by `lock`.
    private let configs: [NodeConfig]
    private let dir: String
    private let lock = NSLock()
    private var processes: [String: Process] = [:]
    private var stopping = false

    init(configs: [NodeConfig], dir: String) {
        self.configs = configs
        self.dir = dir
    }

    static var executable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    func startAll() throws {
        try FileManager.default.createDirectory(atPath: dir + "/logs", withIntermediateDirectories: true)
        for c in configs { try start(c) }
    }

    private func start(_ c: NodeConfig) throws {
        let logPath = "\(dir)/logs/\(c.id).log"
        if !FileManager.default.fileExists(atPath: logPath) { _ = FileManager.default.createFile(atPath: logPath, contents: nil) }
        guard let log = FileHandle(forWritingAtPath: logPath) else { throw UsageError("cannot write \(logPath)") }
        log.seekToEndOfFile()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.executable)
        p.arguments = ["node", "--config", "\(dir)/configs/\(c.id).json"]
        p.standardOutput = log
        p.standardError = log
        p.terminationHandler = { [weak self] proc in self?.exited(c, status: proc.terminationStatus) }
        try p.run()
        lock.withLock { processes[c.id] = p }
    }

    private func exited(_ c: NodeConfig, status: Int32) {
        let restart = lock.withLock { !stopping }
        guard restart else { return }
        printError("civicmesh up: node \(c.id) exited with status \(status); restarting in 1s (log: \(dir)/logs/\(c.id).log)")
        DispatchQueue.global().asyncAfter(deadline: .now() + 1) { [weak self] in
            guard let self, self.lock.withLock({ !self.stopping }) else { return }
            do { try self.start(c) } catch { printError("civicmesh up: cannot restart \(c.id): \(error)") }
        }
    }

    func stopAll() {
        let all = lock.withLock { () -> [Process] in
            stopping = true
            return Array(processes.values)
        }
        for p in all where p.isRunning { kill(p.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, all.contains(where: \.isRunning) { usleep(50_000) }
        for p in all where p.isRunning { kill(p.processIdentifier, SIGKILL) }
    }
}
