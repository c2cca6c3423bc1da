import CivicCases
import CivicHTTP
import CivicNode
import CivicWire
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
        let basePort = try a.int("base-port", default: 7400)
        let portsNeeded = 2 * topology.allNodes.count
        guard (1...65535).contains(basePort), basePort + portsNeeded <= 65536 else {
            throw UsageError("--base-port \(basePort): the \(topology.allNodes.count) nodes need ports \(basePort)…\(basePort + portsNeeded - 1), which must lie within 1…65535")
        }
        if let range = ephemeralPortRange(), basePort <= range.upperBound, basePort + portsNeeded - 1 >= range.lowerBound {
            printError("civicmesh up: warning: ports \(basePort)…\(basePort + portsNeeded - 1) overlap the system's ephemeral range \(range.lowerBound)…\(range.upperBound) (/proc/sys/net/ipv4/ip_local_port_range): a node may find its port taken by another program's outgoing connection")
        }
        var configs = try prepareConfigs(topology: topology, dir: dir, basePort: basePort)
        if let model = a["topic-model"] {
            // A model trained with `civicmesh classify train`, used by every intake node of this run.
            for i in configs.indices {
                configs[i].topicModel = absolute(model)
                try ConfigGenerator.write(configs[i], to: "\(dir)/configs/\(configs[i].id).json")
            }
        }
        if let raw = a["speed"] {
            guard let speed = Double(raw), speed >= 1, speed <= 10_000_000 else { throw UsageError("--speed must be a number from 1 to 10000000, got \(raw)") }
            let current = configs.first?.clockSpeed ?? 1
            if current != speed {
                // Case time may only ever go forward: a city whose clock already runs fast keeps its speed.
                guard current == 1 else { throw UsageError("the city in \(dir) already runs case time at \(current)×; use another --data to change the speed") }
                let anchor = Date()
                for i in configs.indices {
                    configs[i].clockSpeed = speed
                    configs[i].clockAnchor = anchor
                    try ConfigGenerator.write(configs[i], to: "\(dir)/configs/\(configs[i].id).json")
                }
            }
        }
        if let speed = configs.first?.clockSpeed, speed != 1 {
            print("case time runs \(speed == speed.rounded() ? String(Int(speed)) : String(speed))× faster than the wall clock (time limits run out accordingly)")
        }
        try writeMeshFile(configs, dir: dir)
        let tokens = try localAdminTokens(configs, dir: dir)
        let firstDelay = Double(a["restart-delay"] ?? "1") ?? -1
        guard firstDelay > 0, firstDelay <= 30 else { throw UsageError("--restart-delay must be a number of seconds above 0 and at most 30, got \(a["restart-delay"] ?? "")") }
        let supervisor = Supervisor(configs: configs, dir: dir, firstDelay: firstDelay) { termination.fire() }
        try supervisor.startAll()
        let timeout = Double(try a.int("timeout", default: 60))
        let linked = waitUntilLinked(configs, tokens: tokens, timeout: timeout) { termination.isFired }
        if let fatal = supervisor.fatal {
            printError("civicmesh up: \(fatal)")
            supervisor.stopAll()
            return 2
        }
        if termination.isFired {
            print("stopping…")
            supervisor.stopAll()
            return 0
        }
        guard linked else {
            printError("civicmesh up: not every link came up within \(Int(timeout))s; see \(dir)/logs")
            supervisor.stopAll()
            return 1
        }
        print("CivicMesh is up: \(configs.count) nodes, data in \(dir)")
        for c in configs {
            let indent = String(repeating: "  ", count: c.tier == .city ? 0 : c.tier == .district ? 1 : 2)
            print("\(indent)\(c.id) \(c.name) [\(c.tier.rawValue)]  http://\(c.httpListen)/status")
        }
        print("mesh map: \(dir)/mesh.json   admin tokens: \(dir)/tokens.json (the CLI uses them from this folder)   — Ctrl-C stops every node")
        fflush(nil)
        termination.wait()
        supervisor.stopAll()
        if let fatal = supervisor.fatal {
            printError("civicmesh up: \(fatal)")
            return 2
        }
        print("stopped")
        return 0
    }

    /// The kernel's range for outgoing connections' local ports, where a listener may collide with them.
    static func ephemeralPortRange() -> ClosedRange<Int>? {
        guard let text = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8) else { return nil }
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { Int($0) }
        guard parts.count == 2, parts[0] <= parts[1] else { return nil }
        return parts[0]...parts[1]
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
            // Configs written by an older release were world-readable: they hold link secrets.
            for path in existing { chmod(path, 0o600) }
            return try existing.map { try NodeConfig.load(path: $0, environment: [:]) }
        }
        try FileManager.default.createDirectory(atPath: configDir, withIntermediateDirectories: true)
        let configs = ConfigGenerator.configs(for: topology, options: .init(basePort: basePort, dataRoot: dir + "/nodes"))
        for c in configs { try ConfigGenerator.write(c, to: "\(configDir)/\(c.id).json") }
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

    /// An admin token per node for local use, in DIR/tokens.json ({node id: token}, mode 0600): kept from an
    /// earlier run while they are still valid, created (never expiring) otherwise.
    static func localAdminTokens(_ configs: [NodeConfig], dir: String) throws -> [String: String] {
        let path = dir + "/tokens.json"
        var tokens = (FileManager.default.contents(atPath: path).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: String] }) ?? [:]
        var changed = false
        for c in configs {
            if let t = tokens[c.id], (try? NodeTokens.isActive(config: c, token: t)) == true { continue }
            tokens[c.id] = try NodeTokens.create(config: c, role: .admin, unit: nil, name: "local-admin-\(Hex.encode(SecureRandom.bytes(3)))", lifetime: nil).token
            changed = true
        }
        if changed || PrivateFile.openToOthers(path) != nil {
            try PrivateFile.write(try JSONSerialization.data(withJSONObject: tokens, options: [.prettyPrinted, .sortedKeys]), to: path)
        }
        return tokens
    }

    /// Every non-city node reports its parent link up.
    static func waitUntilLinked(_ configs: [NodeConfig], tokens: [String: String], timeout: Double, cancelled: () -> Bool = { false }) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var remaining = configs
        while Date() < deadline, !cancelled() {
            remaining = remaining.filter { c in
                guard let r = try? HTTPClient.send(method: "GET", url: "http://\(c.httpListen)/status", headers: StatusCommand.auth(tokens[c.id]), timeout: 2), r.status == 200,
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

/// Runs node processes, restarts one that dies unexpectedly (with backoff, saying why), stops them all on
/// request; gives up — and asks `up` to stop — when a node exits with status 2 (its config is invalid:
/// restarting cannot help).
final class Supervisor: @unchecked Sendable {
    // Invariant: `processes`, `stopping`, `fatal`, `attempts` and `startedAt` are guarded by `lock`.
    private let configs: [NodeConfig]
    private let dir: String
    private let lock = NSLock()
    private var processes: [String: Process] = [:]
    private var stopping = false
    private var attempts: [String: Int] = [:]
    private var startedAt: [String: Date] = [:]
    private var fatalMessage: String?
    private let giveUp: @Sendable () -> Void
    /// Restart delays: `firstDelay` (1 s by default) doubling to at most 30 s; back to the first once a node
    /// has run for a minute.
    let firstDelay: Double
    static let maxDelay = 30.0, stableAfter = 60.0

    init(configs: [NodeConfig], dir: String, firstDelay: Double = 1, giveUp: @escaping @Sendable () -> Void = {}) {
        self.configs = configs
        self.dir = dir
        self.firstDelay = firstDelay
        self.giveUp = giveUp
    }

    /// Why the supervisor gave up, if it did.
    var fatal: String? { lock.withLock { fatalMessage } }

    static var executable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    func startAll() throws {
        try FileManager.default.createDirectory(atPath: dir + "/logs", withIntermediateDirectories: true)
        for c in configs { try start(c) }
    }

    func logPath(_ id: String) -> String { "\(dir)/logs/\(id).log" }

    private func start(_ c: NodeConfig) throws {
        let logPath = logPath(c.id)
        if !FileManager.default.fileExists(atPath: logPath) { _ = FileManager.default.createFile(atPath: logPath, contents: nil) }
        guard let log = FileHandle(forWritingAtPath: logPath) else { throw UsageError("cannot write \(logPath)") }
        // The child gets its own copy of the descriptor; ours is closed below on every path, so restarts never leak.
        defer { try? log.close() }
        log.seekToEndOfFile()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.executable)
        p.arguments = ["node", "--config", "\(dir)/configs/\(c.id).json"]
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = log
        p.standardError = log
        p.terminationHandler = { [weak self] proc in self?.exited(c, status: proc.terminationStatus, signalled: proc.terminationReason == .uncaughtSignal) }
        try p.run()
        lock.withLock {
            processes[c.id] = p
            startedAt[c.id] = Date()
        }
    }

    private func exited(_ c: NodeConfig, status: Int32, signalled: Bool) {
        let tail = Self.lastLines(of: logPath(c.id), 5).map { "    " + $0 }.joined(separator: "\n")
        let how = signalled ? "was killed by signal \(status)" : "exited with status \(status)"
        if !signalled, status == 2 {
            let message = "node \(c.id) \(how): its configuration is invalid, so it is not restarted; its log (\(logPath(c.id))) ends:\n\(tail)"
            let first = lock.withLock { () -> Bool in
                guard !stopping, fatalMessage == nil else { return false }
                fatalMessage = message
                return true
            }
            if first { giveUp() }
            return
        }
        let delay: Double? = lock.withLock {
            guard !stopping else { return nil }
            if let started = startedAt[c.id], Date().timeIntervalSince(started) > Self.stableAfter { attempts[c.id] = 0 }
            let n = attempts[c.id, default: 0]
            attempts[c.id] = n + 1
            return min(Self.maxDelay, firstDelay * pow(2, Double(n)))
        }
        guard let delay else { return }
        let wait = delay < 10 && delay != delay.rounded() ? String(format: "%.1f", delay) : String(Int(delay))
        printError("civicmesh up: node \(c.id) \(how); restarting in \(wait)s. Its log (\(logPath(c.id))) ends:\n\(tail)")
        DispatchQueue.global().asyncAfter(deadline: .now() + delay) { [weak self] in
            guard let self, self.lock.withLock({ !self.stopping }) else { return }
            do { try self.start(c) } catch { printError("civicmesh up: cannot restart \(c.id): \(error)") }
        }
    }

    /// The last `n` non-empty lines of a file (reads at most its last 16 KiB).
    static func lastLines(of path: String, _ n: Int) -> [String] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        let size = handle.seekToEndOfFile()
        handle.seek(toFileOffset: size > 16_384 ? size - 16_384 : 0)
        let text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        return Array(text.split(separator: "\n").suffix(n).map(String.init))
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
