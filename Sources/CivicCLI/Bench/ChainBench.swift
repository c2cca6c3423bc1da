import CivicCases
import CivicHTTP
import CivicIO
import CivicNode
import CivicStore
import CivicWire
import Foundation
import Glibc

/// `civicmesh bench --processes`: the tiers as deployed — a city, a district and a street, each its own
/// `civicmesh node` process on loopback with its own SQLite file (synchronous=FULL). Cases are posted to the
/// city over keep-alive connections (pipelined), or at a fixed rate for latency; each case's commit is observed
/// in the street's database. Prints throughput, CPU per case per node (from /proc), latency percentiles
/// measured from each case's intended send time, and the commit batch sizes.
enum ChainBench {
    struct Options {
        var cases: Int
        var connections: Int
        var pipeline: Int
        var bytes: Int
        var rate: Double?
        var seconds: Double
        var warmup: Int
        var basePort: Int
        var keep: String?
        /// `off` measures what sealing the mesh lines costs.
        var linkEncryption: NodeConfig.LinkEncryption = .required
    }

    struct Node {
        let id: String
        let config: NodeConfig
        let process: Process
        /// An admin token created for the run (intake and /status).
        let token: String
        var httpPort: Int { Int(config.httpListen.split(separator: ":").last!)! }
        var pid: Int32 { process.processIdentifier }
        var url: String { "http://127.0.0.1:\(httpPort)" }
    }

    static func run(_ a: Arguments) throws -> Int32 {
        let options = Options(
            cases: try a.int("cases", default: 20_000), connections: try a.int("connections", default: 8),
            pipeline: try a.int("pipeline", default: 16), bytes: try a.int("bytes", default: 1024),
            rate: try a["rate"].map { guard let r = Double($0), r > 0 else { throw UsageError("--rate must be a positive number") }; return r },
            seconds: Double(try a.int("seconds", default: 10)), warmup: try a.int("warmup", default: 500),
            basePort: try a.int("base-port", default: 17_400), keep: a["data"],
            linkEncryption: try a["link-encryption"].map { guard let e = NodeConfig.LinkEncryption(rawValue: $0) else { throw UsageError("--link-encryption must be required or off") }; return e } ?? .required)
        guard options.cases > 0, options.connections > 0, options.pipeline > 0, options.bytes >= 300 else {
            throw UsageError("--cases, --connections and --pipeline must be positive and --bytes at least 300")
        }
        let dir = options.keep ?? NSTemporaryDirectory() + "civicmesh-chain-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let nodes = try start(in: dir, options: options)
        defer {
            for n in nodes where n.process.isRunning { kill(n.pid, SIGTERM) }
            for n in nodes { n.process.waitUntilExit() }
            if options.keep == nil { try? FileManager.default.removeItem(atPath: dir) }
        }
        let (city, street) = (nodes[0], nodes[2])
        guard waitUntilLinked(nodes) else {
            printError("bench: the links did not come up; logs in \(dir)")
            // The data folder is removed on the way out: show why here, the last lines of each node's log.
            for node in nodes {
                let log = (try? String(contentsOfFile: dir + "/\(node.id).log", encoding: .utf8)) ?? ""
                let tail = log.split(separator: "\n").suffix(8).joined(separator: "\n  ")
                printError("\(node.id) (\(node.process.isRunning ? "running" : "exited \(node.process.terminationStatus)")):\n  \(tail)")
            }
            return 1
        }
        // Paced runs time each case, so the street is polled often; a flood needs only the count and the last
        // arrival, and a poll every 2 ms leaves the nodes the CPU a 0.25 ms poll would take on a 2-core machine.
        let observer = try StreetObserver(path: street.config.dataDir + "/node.sqlite", interval: options.rate == nil ? 0.002 : 0.000_25)
        // Warm-up: the topic model loads, statements are prepared, the links carry their first lines.
        let warm = try post(options.warmup, from: 0, options: options, city: city)
        guard observer.wait(for: warm.ids.count, timeout: 60) else { printError("bench: warm-up cases did not reach the street"); return 1 }
        observer.reset()

        // Every request is made before the clock and the CPU counters start: making one (Foundation's
        // JSONSerialization) costs about as much CPU as the city's intake of it.
        let count = options.rate.map { Int($0 * options.seconds) } ?? options.cases
        let requests = (options.warmup..<(options.warmup + count)).map { request($0, options: options, to: city) }
        let cpuBefore = nodes.map { processCPUSeconds($0.pid) ?? (0, 0) }
        let threadsBefore = nodes.map { threadCPUSeconds($0.pid) }
        let clientBefore = processCPUSeconds(getpid()) ?? (0, 0)
        let storeBefore = nodes.map { storeFigures($0) }
        let figures: RunFigures
        if let rate = options.rate {
            figures = try paced(requests, rate: rate, options: options, city: city, observer: observer)
        } else {
            figures = try flood(requests, options: options, city: city, observer: observer)
        }
        let cpuAfter = nodes.map { processCPUSeconds($0.pid) ?? (0, 0) }
        let threadsAfter = nodes.map { threadCPUSeconds($0.pid) }
        let clientAfter = processCPUSeconds(getpid()) ?? (0, 0)
        let storeAfter = nodes.map { storeFigures($0) }

        let n = Double(figures.arrived)
        print("three processes (city → district → street), \(options.bytes)-byte cases, triage on (topic, place, duplicates), WAL + synchronous=FULL")
        if let rate = options.rate {
            print(String(format: "paced at %.0f cases/s for %.0f s over %d connections: %d sent, %d at the street", rate, options.seconds, options.connections, figures.sent, figures.arrived))
        } else {
            print("\(figures.sent) cases over \(options.connections) keep-alive connections, \(options.pipeline) pipelined each")
            print(String(format: "intake at the city: %.0f cases/s (all answered in %.2f s, %d not 201)", Double(figures.sent) / figures.answeredSeconds, figures.answeredSeconds, figures.failed))
            print(String(format: "end to end: %d of %d at the street in %.2f s = %.0f cases/s", figures.arrived, figures.sent, figures.arrivedSeconds, n / figures.arrivedSeconds))
        }
        func perCase(_ seconds: Double) -> Double { seconds * 1e6 / max(n, 1) }
        var total = 0.0
        for (i, node) in nodes.enumerated() {
            let user = perCase(cpuAfter[i].user - cpuBefore[i].user), kernel = perCase(cpuAfter[i].kernel - cpuBefore[i].kernel)
            let micros = user + kernel
            total += micros
            let batches = storeAfter[i].batches - storeBefore[i].batches, operations = storeAfter[i].operations - storeBefore[i].operations
            print("  " + node.id.padding(toLength: 11, withPad: " ", startingAt: 0)
                  + String(format: " CPU %6.1f µs/case (user %5.1f, kernel %5.1f)   commits %6d   %5.1f operations per commit", micros, user, kernel,
                           batches, batches > 0 ? Double(operations) / Double(batches) : 0))
            // Where in the node: the store writer and the event loop live as long as it does; the rest (triage's
            // Dispatch threads at the city, the main thread) is what the process took beyond those two.
            func spent(_ name: String) -> Double { perCase((threadsAfter[i][name] ?? 0) - (threadsBefore[i][name] ?? 0)) }
            let writer = spent(storeWriterThreadName), loop = spent(String("loop-\(node.id)".prefix(15)))
            print("  " + "".padding(toLength: 11, withPad: " ", startingAt: 0)
                  + String(format: "     store writer %5.1f · event loop %5.1f · other threads %5.1f µs/case", writer, loop, max(0, micros - writer - loop)))
        }
        print("  " + "all nodes".padding(toLength: 11, withPad: " ", startingAt: 0) + String(format: " CPU %6.1f µs/case", total))
        // The client shares the machine's cores with the nodes: what it took is CPU they did not have.
        let client = perCase(clientAfter.user + clientAfter.kernel - clientBefore.user - clientBefore.kernel)
        print("  " + "client".padding(toLength: 11, withPad: " ", startingAt: 0) + String(format: " CPU %6.1f µs/case (this bench: sending, reading answers, polling the street)", client))
        if !figures.latencies.isEmpty {
            let sorted = figures.latencies.sorted()
            func pct(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] * 1000 }
            print(String(format: "latency city intake → street commit, from the intended send time: p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms  (%d cases; observed by polling the street's database every 0.25 ms)",
                         pct(0.5), pct(0.9), pct(0.99), sorted.last! * 1000, sorted.count))
        }
        print("(data in \(dir)\(options.keep == nil ? ", removed" : ""))")
        return figures.arrived == figures.sent - figures.failed ? 0 : 1
    }

    // MARK: - Nodes

    static func start(in dir: String, options: Options) throws -> [Node] {
        var configs = ConfigGenerator.configs(for: SampleTopology.chain(), options: .init(basePort: options.basePort, dataRoot: dir + "/data"))
        for i in configs.indices {
            // The benchmark is one client sending as fast as it can: no intake limits.
            configs[i].intakeRatePerToken = 0
            configs[i].intakeRatePerAddress = 0
            configs[i].linkEncryption = options.linkEncryption
        }
        // A node left over from an earlier run would answer in place of the new one: refuse to measure it.
        for port in options.basePort..<(options.basePort + 2 * configs.count) where (try? BlockingSocket.connect(host: "127.0.0.1", port: port, timeout: 0.5)) != nil {
            throw UsageError("port \(port) is in use (a node from an earlier run?); stop it or give --base-port")
        }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var nodes: [Node] = []
        for config in configs {
            let path = dir + "/\(config.id).json"
            try ConfigGenerator.write(config, to: path)
            let token = try NodeTokens.create(config: config, role: .admin, unit: nil, name: "bench", lifetime: 86_400).token
            let process = Process()
            process.executableURL = executable
            process.arguments = ["node", "--config", path]
            let logPath = dir + "/\(config.id).log"
            guard FileManager.default.createFile(atPath: logPath, contents: nil), let log = FileHandle(forWritingAtPath: logPath) else {
                throw BenchError("cannot create \(logPath)")
            }
            process.standardOutput = log
            process.standardError = log
            try process.run()
            nodes.append(Node(id: config.id, config: config, process: process, token: token))
        }
        return nodes
    }

    static func waitUntilLinked(_ nodes: [Node]) -> Bool {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let up = nodes.dropFirst().allSatisfy { n in
                guard let r = try? StatusCommand.fetch(n.url, token: n.token) else { return false }
                return r.parent?.state == "up"
            }
            if up { return true }
            if nodes.contains(where: { !$0.process.isRunning }) { return false }
            usleep(50_000)
        }
        return false
    }

    static func storeFigures(_ node: Node) -> (batches: Int, operations: Int) {
        guard let store = (try? StatusCommand.fetch(node.url, token: node.token))?.store else { return (0, 0) }
        return (store.batches, store.operations)
    }

    // MARK: - Load

    struct RunFigures {
        var sent = 0
        var failed = 0
        var arrived = 0
        var answeredSeconds = 0.0
        var arrivedSeconds = 0.0
        var latencies: [Double] = []
    }

    /// The request for case `i`: a distinct text padded to about `bytes` of JSON.
    static func request(_ i: Int, options: Options, to node: Node) -> [UInt8] {
        BenchConnection.post("/api/cases", host: "127.0.0.1", port: node.httpPort, token: node.token, json: requestBody(i, options: options))
    }

    static func requestBody(_ i: Int, options: Options) -> [UInt8] {
        let streetAddress = "东湖区湖滨街道某路\(i)号"
        var body: [String: String] = [
            "channel": "hotline", "subject": SyntheticCases.subject(i), "citizen_name": "bench",
            "citizen_phone": "1380000\(String(format: "%04d", i % 10000))", "address": streetAddress, "category": "城乡建设",
        ]
        let bare = (try? JSONSerialization.data(withJSONObject: body.merging(["detail": ""]) { $1 }))?.count ?? 200
        body["detail"] = SyntheticCases.detail(i, bytes: max(30, options.bytes - bare))
        return Array((try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data())
    }

    /// Posts `count` cases as fast as the connections allow; returns the ids the city answered. Every request is
    /// made before the first is sent: making one (Foundation's JSONSerialization) costs about as much CPU as the
    /// city's intake of it, and on a 2-core machine a client that makes its requests while the clock runs takes
    /// that CPU from the nodes it measures.
    static func post(_ count: Int, from first: Int, options: Options, city: Node) throws -> (ids: [String], failed: Int) {
        try post((first..<(first + count)).map { request($0, options: options, to: city) }, options: options, city: city)
    }

    static func post(_ all: [[UInt8]], options: Options, city: Node) throws -> (ids: [String], failed: Int) {
        let count = all.count
        let perConnection = (count + options.connections - 1) / options.connections
        let results = Locked<(ids: [String], failed: Int, error: String?)>((ids: [], failed: 0, error: nil))
        let group = DispatchGroup()
        for c in 0..<options.connections {
            let lower = min(count, c * perConnection)
            let range = lower..<min(count, (c + 1) * perConnection)
            guard !range.isEmpty else { continue }
            let requests = all[range]
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                do {
                    let connection = try BenchConnection(host: "127.0.0.1", port: city.httpPort)
                    defer { connection.close() }
                    var ids: [String] = [], failed = 0, next = requests.startIndex
                    while next < requests.endIndex {
                        let batch = requests[next..<min(requests.endIndex, next + options.pipeline)]
                        try connection.write(batch.flatMap { $0 })
                        for _ in batch {
                            let (status, body) = try connection.readResponse()
                            if status == 201, let id = jsonStringField("id", in: body) { ids.append(id) } else { failed += 1 }
                        }
                        next += batch.count
                    }
                    results.update { $0.ids += ids; $0.failed += failed }
                } catch {
                    results.update { $0.error = "\(error)" }
                }
            }
        }
        group.wait()
        let r = results.value
        if let error = r.error { throw BenchError("posting cases: \(error)") }
        return (r.ids, r.failed)
    }

    static func flood(_ requests: [[UInt8]], options: Options, city: Node, observer: StreetObserver) throws -> RunFigures {
        let start = Date()
        let (ids, failed) = try post(requests, options: options, city: city)
        var figures = RunFigures(sent: options.cases, failed: failed)
        figures.answeredSeconds = Date().timeIntervalSince(start)
        _ = observer.wait(for: ids.count, timeout: 120)
        figures.arrived = observer.count
        figures.arrivedSeconds = (observer.lastArrival ?? Date()).timeIntervalSince(start)
        return figures
    }

    /// Sends at a fixed rate: case k is due at start + k / rate, whether or not earlier answers came back, each
    /// connection sending its share in turn; latency counts from the due time, so a stalled sender shows as latency.
    static func paced(_ requests: [[UInt8]], rate: Double, options: Options, city: Node, observer: StreetObserver) throws -> RunFigures {
        let total = requests.count
        let due = Locked<[String: Double]>([:])
        let failures = Locked(0)
        let start = MonotonicClock.now()
        let group = DispatchGroup()
        for c in 0..<options.connections {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                guard let connection = try? BenchConnection(host: "127.0.0.1", port: city.httpPort) else { failures.update { $0 += 1 }; return }
                defer { connection.close() }
                var k = c
                while k < total {
                    let dueAt = start + UInt64(Double(k) / rate * 1e9)
                    let now = MonotonicClock.now()
                    if dueAt > now { usleep(UInt32((dueAt - now) / 1000)) }
                    do {
                        try connection.write(requests[k])
                        let (status, body) = try connection.readResponse()
                        if status == 201, let id = jsonStringField("id", in: body) {
                            due.update { $0[id] = Double(dueAt) / 1e9 }
                        } else { failures.update { $0 += 1 } }
                    } catch { failures.update { $0 += 1 }; return }
                    k += options.connections
                }
            }
        }
        group.wait()
        let sentIds = due.value
        _ = observer.wait(for: sentIds.count, timeout: 60)
        var figures = RunFigures(sent: total, failed: failures.value, arrived: observer.count)
        let seen = observer.arrivals
        figures.latencies = sentIds.compactMap { id, dueAt in seen[id].map { $0 - dueAt } }
        return figures
    }
}

/// Watches the street's database (read-only, WAL) for new cases, noting when each was first seen.
final class StreetObserver: @unchecked Sendable {
    // Invariant: every var below is guarded by `lock`; `db` is used only by the polling thread.
    private let lock = NSLock()
    private var seen: [String: Double] = [:]
    private var last: Date?
    private var stopped = false
    private let db: Database

    private let interval: Double

    init(path: String, interval: Double) throws {
        db = try Database(path: path, readOnly: true)
        self.interval = interval
        Thread.detachNewThread { [self] in poll() }
    }

    deinit { lock.withLock { stopped = true } }

    private func poll() {
        var lastRow = 0
        while !lock.withLock({ stopped }) {
            if let rows = try? db.query("SELECT rowid AS r, id FROM cases WHERE rowid > ? ORDER BY rowid", [.integer(Int64(lastRow))]), !rows.isEmpty {
                let now = Double(MonotonicClock.now()) / 1e9, wall = Date()
                lock.withLock {
                    for row in rows { if let id = row.string("id") { seen[id] = now } }
                    last = wall
                }
                lastRow = rows.last?.int("r") ?? lastRow
            }
            usleep(UInt32(interval * 1e6))
        }
    }

    /// Forget what arrived so far (after the warm-up).
    func reset() { lock.withLock { seen.removeAll(); last = nil } }
    var count: Int { lock.withLock { seen.count } }
    var arrivals: [String: Double] { lock.withLock { seen } }
    var lastArrival: Date? { lock.withLock { last } }

    func wait(for n: Int, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while count < n { if Date() > deadline { return false }; usleep(2_000) }
        return true
    }
}

/// A value shared by the benchmarks' threads.
final class Locked<Value>: @unchecked Sendable {
    // Invariant: `stored` is guarded by `lock`.
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value { lock.withLock { stored } }
    func update(_ body: (inout Value) -> Void) { lock.withLock { body(&stored) } }
}

