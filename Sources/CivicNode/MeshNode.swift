import CivicCases
import CivicHTTP
import CivicIO
import CivicWire
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One running node: event loop (sockets, links, HTTP) + store writer (SQLite, case domain).
/// The tier is configuration; the same code runs the city, a district or a street.
public final class MeshNode: @unchecked Sendable {
    // Invariant: `links` and `http` are touched only on the loop thread; `store` is thread-safe.
    public let config: NodeConfig
    let unit: TopologyNode
    let loop: EventLoop
    let store: NodeStore
    /// Triage off the writer thread, then the intake on it.
    let intakes: IntakePipeline
    /// Serves reads (GET, /status) from its own connection, so they never queue behind writes.
    let reader: NodeReader
    let log: Logger
    /// Bearer tokens, checked on the loop from the node's own database; refusals counted in the gate.
    let authenticator: Authenticator
    let gate: AccessGate
    private(set) var links: MeshLinks!
    private var http: HTTPServer?
    public let startedAt = Date()
    private var isStopped = false
    /// Held from start to stop: no second process (another node, a restore) uses this data directory meanwhile.
    private let dataDirLock: DataDirLock

    /// Where every case operation of this node reads the time (a manual or faster clock in tests).
    public let clock: any CaseClock
    /// Loop, writer, reader and network, started in order and stopped in reverse.
    private let components = ComponentGroup()

    /// Opens the database (creating the data directory) and starts serving. Throws on any start-up problem.
    public init(config: NodeConfig, router: (any CaseRouting)? = nil, logLevel: Logger.Level = .info, clock: any CaseClock = SystemClock()) throws {
        self.clock = clock
        guard let unit = config.unit else { throw ConfigError(file: "-", field: "id", problem: "node \(config.id) is not in its topology") }
        self.config = config
        self.unit = unit
        self.log = Logger(label: config.id, minimum: logLevel)
        do {
            // The database holds citizens' names and phones: owner only (0700 folder, 0600 files).
            try PrivateFile.directory(config.dataDir)
            PrivateFile.touch(config.dataDir + "/node.sqlite")
        } catch {
            let reason = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError)?.localizedDescription ?? (error as NSError).localizedDescription
            throw ConfigError(file: "-", field: "data_dir", problem: "cannot create \(config.dataDir): \(reason)")
        }
        guard access(config.dataDir, W_OK) == 0 else {
            throw ConfigError(file: "-", field: "data_dir", problem: "\(config.dataDir) is not writable by this user")
        }
        do { dataDirLock = try DataDirLock(dataDir: config.dataDir) } catch {
            throw ConfigError(file: "-", field: "data_dir", problem: error.reason)
        }
        let loop = try EventLoop(name: "loop-\(config.id)")
        self.loop = loop
        let linksBox = LateBox<MeshLinks>()
        let routing = try router ?? NodeTriage.make(config: config)
        store = try NodeStore(path: config.dataDir + "/node.sqlite", config: config, unit: unit, router: routing, loop: loop, clock: clock) { report in
            loop.execute { linksBox.value?.committed(report) }
        }
        intakes = IntakePipeline(store: store, routing: routing, unit: unit, clock: clock)
        let peers = [config.parentId].compactMap { $0 } + unit.children.map(\.id)
        let initial = try store.runAndWait { engine in
            (Dictionary(uniqueKeysWithValues: peers.map { ($0, engine.linkFigures($0)) }), try engine.storedSummaries(), engine.counters, try engine.restoreLosses())
        }
        reader = try NodeReader(path: config.dataDir + "/node.sqlite", nodeId: config.id, loop: loop)
        let authenticator = try Authenticator(path: config.dataDir + "/node.sqlite")
        self.authenticator = authenticator
        gate = AccessGate(perToken: config.intakeRatePerToken, perAddress: config.intakeRatePerAddress)
        links = MeshLinks(config: config, unit: unit, loop: loop, store: store, log: log, clock: clock)
        linksBox.value = links
        let router = NodeRoutes.router(NodeServices(config: config, store: store, reader: reader, intakes: intakes, log: log, clock: clock,
                                                    unit: unit, authenticator: authenticator, gate: gate, httpFigures: httpFigures, drain: drainState,
                                                    events: EventHub(loop: loop, reader: reader, log: log, heartbeat: min(15, config.heartbeatInterval * 2)),
                                                    status: { [weak self] done in self?.status(done) },
                                                    metrics: { [weak self] in self?.metricsText() ?? "" }))
        routeTable = router.table
        let (store, reader) = (self.store, self.reader)
        var ports: (http: Int, mesh: Int?) = (0, nil)
        // The writer and the reader opened their connections above; they stop after the network and before
        // the loop, so completions still in flight reach a running loop.
        let network = NodeComponent(name: "mesh and HTTP", start: { [unowned self] in
            ports = try self.startNetwork(initial: initial, router: router).get()
        }, stop: { [unowned self] in
            _ = self.onLoop {
                self.links.stop()
                self.http?.close()
            }
        })
        let ticker = TimerTicker(loop: loop, store: store, clock: clock, log: log)
        try components.start([
            NodeComponent(name: "event loop", start: { loop.startThread() }, stop: { loop.stop() }),
            NodeComponent(name: "store writer", start: {}, stop: { store.close() }),
            NodeComponent(name: "reader", start: {}, stop: { reader.close() }),
            NodeComponent(name: "authenticator", start: {}, stop: { [loop] in loop.execute { authenticator.close() } }),
            network,
            // Stopped first: no tick reaches a closing store.
            NodeComponent(name: "timer ticker", start: { [unowned self] in _ = self.onLoop { ticker.start() } },
                          stop: { [unowned self] in _ = self.onLoop { ticker.stop() } }),
        ])
        httpAddress = "\(HostPort.parse(config.httpListen)?.host ?? "127.0.0.1"):\(ports.http)"
        meshAddress = ports.mesh.map { "\(HostPort.parse(config.meshListen)?.host ?? "127.0.0.1"):\($0)" }
        log.info("\(config.tier.rawValue) node \(config.id) (\(config.name)) serving HTTP on \(httpAddress)\(meshAddress.map { ", mesh on \($0)" } ?? "")")
    }

    /// Binds every port of the node, then dials its parent; the bound ports come back (they differ from the
    /// config's when it says 0).
    private func startNetwork(initial: ([String: LinkFigures], [String: Summary], CounterSet, [String: [RestoreLoss]]), router: HTTPRouter) -> Result<(http: Int, mesh: Int?), any Error> {
        let (config, unit, loop) = (self.config, self.unit, self.loop)
        return onLoop { () throws -> (http: Int, mesh: Int?) in
            try self.links.start(figures: initial.0, summaries: initial.1, counters: initial.2, restoreLosses: initial.3)
            let address = HostPort.parse(config.httpListen) ?? HostPort(host: "127.0.0.1", port: 0)
            let limits = Self.httpLimits(children: unit.children.count)
            let server = try HTTPServer(loop: loop, host: address.host, port: address.port, limits: limits) { request, responder in
                router.handle(request, responder)
            }
            let throttle = LogThrottle()
            server.onLimit = { [log = self.log] why in if let line = throttle.pass(String(why.prefix(24)), why) { log.warning(line) } }
            self.http = server
            self.links.startDialling()
            return (server.port, self.links.meshPort)
        }
    }

    /// HTTP limits that leave room under the process's fd limit for the mesh (each child's link, pending
    /// handshakes), the databases and the listeners, so a flood of HTTP clients never locks out the mesh.
    static func httpLimits(children: Int) -> HTTPServerLimits {
        var limits = HTTPServerLimits()
        var rl = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &rl) == 0, rl.rlim_cur < rlim_t(Int32.max) {
            let reserve = children * 2 + 64 + 32
            limits.maxConnections = max(16, min(limits.maxConnections, Int(rl.rlim_cur) - reserve))
        }
        limits.maxConnectionsPerSource = max(4, min(limits.maxConnectionsPerSource, limits.maxConnections / 2))
        return limits
    }

    /// Every HTTP route as (method, template, endpoint name): what the access tests walk.
    public private(set) var routeTable: [(method: String, template: String, name: String?)] = []

    /// Actual addresses, fixed at start (ports resolved when the config asked for port 0).
    public private(set) var httpAddress = ""
    /// nil for a street, which has no children to listen for.
    public private(set) var meshAddress: String?

    /// Graceful stop: close sockets, drain and close the store, stop the loop last.
    public func stop() {
        guard !isStopped else { return }
        isStopped = true
        components.stopAll()
        dataDirLock.release()
        log.info("stopped")
    }

    /// Issues the timer events due now at once, without waiting for the ticker (tests with a manual clock, tools).
    public func fireTimersNow() throws -> TimerTick {
        let now = clock.now()
        return try store.runAndWait { engine in try engine.fireTimers(at: now) }
    }

    /// Requests and intake latency, counted by `MetricsMiddleware` on the loop.
    let httpFigures = HTTPFigures()
    /// Set when a drain starts: HTTP answers 503 (`/healthz` says `draining`), the mesh takes no new work.
    let drainState = DrainState()

    public struct DrainReport: Sendable {
        public var seconds: Double
        /// Durable messages the peers had not acknowledged when the node stopped (kept in the outbox, sent after the restart).
        public var unacknowledged: Int
        public var queued: Int
    }

    /// A graceful stop (SIGTERM): refuse new HTTP and mesh work, let the writer finish what it holds, wait up to
    /// `grace` seconds for every link's outbox to be acknowledged, say goodbye on every link, then stop.
    public func drain(grace: Double) -> DrainReport {
        let started = Date()
        _ = onLoop { [self] in
            drainState.draining = true
            links.draining = true
        }
        log.info("draining: no new work; waiting up to \(grace) s for the outboxes", ["event": "draining"])
        var settled = false
        while !settled, Date().timeIntervalSince(started) < grace {
            settled = (try? onLoop { [self] in store.queueDepth == 0 && links.outboxesAcknowledged }.get()) ?? true
            if !settled { Thread.sleep(forTimeInterval: 0.05) }
        }
        let left = (try? onLoop { [self] in (links.unacknowledged, store.queueDepth) }.get()) ?? (0, 0)
        _ = onLoop { [self] in links.sayGoodbye("node \(config.id) is draining for a stop or restart") }
        Thread.sleep(forTimeInterval: 0.1)  // the byes leave before the connections close
        let report = DrainReport(seconds: Date().timeIntervalSince(started), unacknowledged: left.0, queued: left.1)
        log.info("drained in \(Int(report.seconds * 1000)) ms: \(report.unacknowledged) messages not yet acknowledged stay in the outbox",
                 ["event": "drained"])
        stop()
        return report
    }

    /// GET /metrics, on the loop: everything is in memory (links, counters, the writer's figures).
    func metricsText() -> String {
        func figures(_ ch: PeerChannel, _ direction: String) -> MetricsPage.LinkFigures {
            MetricsPage.LinkFigures(peer: ch.peer, direction: direction, up: ch.state == .up, outboxDepth: ch.outboxDepth, connects: ch.connects,
                                    refusedLines: ch.refusedLines, badSealLines: ch.unsealFailures, secondsSinceHeard: ch.lastHeard.map { Date().timeIntervalSince($0) },
                                    oldestUnackedSeconds: ch.unackedAges.oldestAge(at: Date()),
                                    restoreLostMessages: ch.restoreLosses.reduce(0) { $0 + $1.count })
        }
        let stats = store.stats
        return MetricsPage(
            node: config.id, tier: config.tier.rawValue, counters: links.counters,
            links: (links.parent.map { [figures($0, "parent")] } ?? []) + links.children.values.sorted { $0.peer < $1.peer }.map { figures($0, "child") },
            writer: .init(batches: stats.batches, operations: stats.operations, failedBatches: stats.failedBatches, failedOperations: stats.failedOperations,
                          batchSizes: stats.batchSizes, batchSeconds: stats.batchSeconds),
            queueDepth: store.queueDepth, applySeconds: links.applySeconds, refusedHandshakes: links.refusedHandshakes,
            unauthorized: gate.unauthorized, forbidden: gate.forbidden, rateLimited: gate.rateLimited, trackRefused: gate.trackRefused,
            http: httpFigures, uptimeSeconds: Date().timeIntervalSince(startedAt)).text
    }

    /// Assembles GET /status; `done` runs on the loop.
    func status(_ done: @escaping @Sendable (StatusReport) -> Void) {
        reader.read({ queries in try queries.manualQueue(limit: 20) }) { [self] result in
            func link(_ ch: PeerChannel) -> StatusReport.Link {
                StatusReport.Link(id: ch.peer, name: config.topology.find(ch.peer)?.name, state: ch.state.rawValue,
                                  connectedSince: ch.state == .up ? ch.connectedSince : nil, lastHeard: ch.lastHeard, lastError: ch.lastError,
                                  outboxDepth: ch.outboxDepth, lastSentSeq: ch.sent, lastAckedSeq: ch.acked, lastAppliedSeq: ch.appliedIn,
                                  refusedLines: ch.refusedLines, features: ch.features, sealed: ch.state == .up ? ch.isSealed : nil,
                                  badSealLines: ch.unsealFailures, summary: ch.summary,
                                  needsResync: ch.needsResync ? true : nil, restoreLosses: ch.restoreLosses.isEmpty ? nil : ch.restoreLosses)
            }
            // The status page still answers (links and counters are in memory); the log says what the read hit.
            if case .failure(let error) = result { log.warning("status: cannot read the manual queue: \(error)") }
            let stats = store.stats
            let report = StatusReport(
                id: config.id, tier: config.tier, name: config.name, version: civicMeshVersion, protocolVersion: meshProtocolVersion,
                startedAt: startedAt, uptimeSeconds: Date().timeIntervalSince(startedAt), http: httpAddress, mesh: meshAddress,
                parent: links.parent.map(link), children: links.children.values.sorted { $0.peer < $1.peer }.map(link),
                counters: links.counters, manualQueue: (try? result.get()) ?? [],
                store: .init(queueDepth: store.queueDepth, batches: stats.batches, operations: stats.operations),
                access: .init(unauthorized: gate.unauthorized, forbidden: gate.forbidden, rateLimited: gate.rateLimited),
                deadlines: .init(links.counters), verdicts: .init(links.counters))
            done(report)
        }
    }

    /// Runs `body` on the loop thread and waits for it (for start-up, shutdown and tests).
    func onLoop<T: Sendable>(_ body: @escaping @Sendable () throws -> T) -> Result<T, any Error> {
        if loop.isInLoopThread { return Result { try body() } }
        let box = LateBox<Result<T, any Error>>()
        let done = DispatchSemaphore(value: 0)
        loop.execute {
            box.value = Result { try body() }
            done.signal()
        }
        done.wait()
        return box.value!
    }
}

/// A value set once on one thread and read later on another, with a happens-before edge
/// (a semaphore or the loop's queue) between the two.
final class LateBox<T>: @unchecked Sendable {
    var value: T?
}
