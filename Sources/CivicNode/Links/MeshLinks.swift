import CivicCases
import CivicIO
import CivicSupport
import CivicWire
import Foundation

/// Every mesh link of one node: the link up to the parent (this node dials) and the links from its
/// children (they dial us). Loop-confined: all methods run on the event loop thread.
final class MeshLinks: @unchecked Sendable {
    let config: NodeConfig
    let unit: TopologyNode
    let loop: EventLoop
    let store: NodeStore
    let log: Logger
    let codec = MeshCodec()

    var parent: PeerChannel?
    var children: [String: PeerChannel] = [:]
    var pending: [Int: PendingHandshake] = [:]
    var listener: TCPListener?
    var seenNonces = NonceMemory(capacity: 20_000)  // ≤ 20,000 × 128 hex digits ≈ 2.6 MB at most
    var stopped = false
    var heartbeatTimer: TimerHandle?
    var counters = CounterSet()
    var summaryDirty = true
    var lastSummarySent = Date.distantPast
    var pausedForBackpressure: [PeerChannel] = []
    /// Mesh lines applied, from arrival to commit; handshakes this node refused (wrong secret, version, unknown node).
    var applySeconds = Histogram(bounds: Histogram.latencySeconds)
    var refusedHandshakes = 0
    /// Set by a drain (SIGTERM): durable lines from peers are no longer applied.
    var draining = false
    /// The `error` code of the bye a draining node sends on every link before it closes them.
    static let goingAway = "going_away"

    /// Every up link's outbox is acknowledged (what a drain waits for).
    var outboxesAcknowledged: Bool { ([parent].compactMap { $0 } + Array(children.values)).allSatisfy { $0.state != .up || $0.outboxDepth == 0 } }
    /// Durable messages still unacknowledged on all links.
    var unacknowledged: Int { ([parent].compactMap { $0 } + Array(children.values)).reduce(0) { $0 + $1.outboxDepth } }

    /// The bye: a fatal `going_away` error on every connection, so peers reconnect to the restarted node at once
    /// instead of waiting for a heartbeat to time out.
    func sayGoodbye(_ reason: String) {
        for ch in [parent].compactMap({ $0 }) + Array(children.values) where ch.connection != nil {
            send(.error(ErrorMessage(code: Self.goingAway, message: reason, fatal: true)), on: ch)
        }
    }
    let logThrottle = LogThrottle()
    /// Connections that have not finished the handshake, at most: more are closed at once (a child needs one).
    let maxPendingHandshakes = 64
    /// How many durable messages may be in flight (sent, not acknowledged) per link.
    let window = 256
    let handshakeTimeout: Double = 5

    /// The case domain's time (heartbeats and link timers keep the wall clock).
    let clock: any CaseClock

    init(config: NodeConfig, unit: TopologyNode, loop: EventLoop, store: NodeStore, log: Logger, clock: any CaseClock = SystemClock()) {
        self.clock = clock
        self.config = config
        self.unit = unit
        self.loop = loop
        self.store = store
        self.log = log
        if let parentId = config.parentId {
            parent = PeerChannel(peer: parentId, role: .parent, secret: config.parentSecret ?? "", maxLineBytes: config.maxLineBytes)
        }
        for child in unit.children {
            children[child.id] = PeerChannel(peer: child.id, role: .child, secret: config.childSecrets[child.id] ?? "", maxLineBytes: config.maxLineBytes)
        }
    }

    /// Every link, in no particular order (status output sorts for itself).
    var allChannels: [PeerChannel] { (parent.map { [$0] } ?? []) + children.values }

    func channel(_ peer: String) -> PeerChannel? { peer == parent?.peer ? parent : children[peer] }

    /// Starts listening and dialling. `figures` is the durable sequence state read from the store at start.
    func start(figures: [String: LinkFigures], summaries: [String: Summary], counters: CounterSet, restoreLosses: [String: [RestoreLoss]] = [:]) throws {
        loop.assertInLoop()
        self.counters = counters
        for ch in allChannels {
            let f = figures[ch.peer] ?? LinkFigures(lastAssigned: 0, lastAcked: 0, lastApplied: 0)
            ch.known = f.lastAssigned
            ch.acked = f.lastAcked
            ch.sent = f.lastAcked
            ch.appliedIn = f.lastApplied
            ch.needsResync = f.needsResync
            ch.restoreLosses = restoreLosses[ch.peer] ?? []
            // Messages left in the outbox from before the start count from the start (their commit time is not kept).
            if ch.known > ch.acked { ch.unackedAges.committed(upTo: ch.known, at: Date()) }
            ch.summary = summaries[ch.peer]
        }
        if !unit.children.isEmpty, let address = HostPort.parse(config.meshListen) {
            listener = try loop.listen(host: address.host, port: address.port) { [weak self] conn in self?.accept(conn) }
            listener?.onAcceptFailure = { [weak self] error in
                guard let self, let line = self.logThrottle.pass("mesh accept", "cannot accept mesh connections: \(error)") else { return }
                self.log.error(line)
            }
        }
        heartbeatTimer = loop.scheduleTimer(after: config.heartbeatInterval, repeating: config.heartbeatInterval) { [weak self] in self?.tick() }
        // Dialling the parent waits for `startDialling()`, once every port of this node is bound: a node
        // that cannot start must not leave a connection at its parent on each attempt.
    }

    /// Starts the link up to the parent (after every listener of the node is bound).
    func startDialling() { connectParent() }

    var meshPort: Int? { listener?.port }

    func stop() {
        stopped = true
        listener?.close()
        if let heartbeatTimer { loop.cancelTimer(heartbeatTimer) }
        for p in pending.values { p.connection.close() }
        pending.removeAll()
        for ch in allChannels { ch.connection?.close() }
    }

    // MARK: - Sending

    func send(_ message: MeshMessage, on ch: PeerChannel) {
        write(codec.encode(message), on: ch)
    }

    /// Every line to a peer goes out here: sealed once the handshake has set the connection's keys.
    func write(_ line: [UInt8], on ch: PeerChannel) {
        guard let conn = ch.connection else { return }
        if ch.sealer != nil { conn.write(ch.sealer!.seal(line)) } else { conn.write(line) }
        ch.lastSent = Date()
    }

    /// Writes queued durable lines while the window and the socket allow; fetches from the outbox when the queue runs dry.
    func pump(_ ch: PeerChannel) {
        guard ch.state == .up, let conn = ch.connection else { return }
        var index = 0
        while index < ch.queued.count, ch.sent - ch.acked < window, conn.pendingWriteBytes < 4 << 20 {
            let line = ch.queued[index]
            index += 1
            if line.seq <= ch.sent { continue }
            guard line.seq == ch.sent + 1 else { index = ch.queued.count; break }
            write(line.line, on: ch)
            ch.sent = line.seq
        }
        ch.queued.removeFirst(index)
        if ch.queued.isEmpty, ch.sent < ch.known, ch.sent - ch.acked < window, !ch.fetching { fetch(ch) }
    }

    private func fetch(_ ch: PeerChannel) {
        ch.fetching = true
        let generation = ch.generation, peer = ch.peer, after = ch.sent
        store.run({ engine in try engine.outbox(peer: peer, after: after, limit: 512) }) { [weak self] result in
            guard let self else { return }
            ch.fetching = false
            guard ch.generation == generation else { return }
            switch result {
            case .success(let lines):
                var last = ch.queued.last?.seq ?? ch.sent
                for line in lines where line.seq == last + 1 {
                    ch.queued.append(line)
                    last = line.seq
                }
                self.pump(ch)
            case .failure(let error):
                self.log.error("reading outbox for \(peer) failed: \(error)")
            }
        }
    }

    /// New durable lines from a commit: send at once when they continue the stream, else they are fetched later.
    func committed(_ report: CommitReport) {
        if report.countersChanged {
            counters = report.counters
            summaryDirty = true
        }
        for line in report.lines {
            guard let ch = channel(line.peer) else { continue }
            ch.known = max(ch.known, line.seq)
            if ch.state == .up, (ch.queued.last?.seq ?? ch.sent) + 1 == line.seq, ch.queued.count < 4096 {
                ch.queued.append(line)
            }
        }
        // One age mark per commit and link (not per line): what this commit added is as old as the commit.
        let now = Date()
        for ch in allChannels where ch.known > ch.acked { ch.unackedAges.committed(upTo: ch.known, at: now) }
        for ch in allChannels where ch.state == .up { pump(ch) }
        resumePausedIfDrained()
    }

    // MARK: - Receiving (after the handshake)

    func received(_ bytes: [UInt8], on ch: PeerChannel, generation: Int) {
        ch.framer.append(bytes)
        ch.lastHeard = Date()
        while ch.generation == generation, ch.connection != nil {
            var line: [UInt8]
            do {
                guard let next = try ch.framer.nextLine() else { break }
                line = next
            } catch {
                refuse(ch, code: "frame_too_large", "line longer than max_line_bytes (\(config.maxLineBytes))")
                return
            }
            if ch.opener != nil {
                do throws(LineSeal.OpenError) { line = try ch.opener!.open(line) } catch {
                    // Nothing in it is applied; the link is re-established with fresh keys and the peer resends
                    // from its last acknowledged line, so nothing is lost or applied twice.
                    ch.refusedLines += 1
                    ch.unsealFailures += 1
                    ch.opener = nil
                    refuse(ch, code: error.code, error.description)
                    return
                }
            }
            handle(line, on: ch)
        }
        if store.queueDepth > 20_000, let conn = ch.connection {
            conn.pauseReading()
            pausedForBackpressure.append(ch)
        }
    }

    private func resumePausedIfDrained() {
        guard !pausedForBackpressure.isEmpty, store.queueDepth < 5_000 else { return }
        for ch in pausedForBackpressure { ch.connection?.resumeReading() }
        pausedForBackpressure.removeAll()
    }

    private func handle(_ line: [UInt8], on ch: PeerChannel) {
        let message: MeshMessage, bodies: ReceivedBodies?
        do {
            (message, bodies) = try codec.decodeKeepingBodies(line)
        } catch {
            // The line is skipped; a durable message in it is never acknowledged, so its sender resends it.
            ch.refusedLines += 1
            log.warning("bad line from \(ch.peer): \(error)")
            send(.error(ErrorMessage(code: error.code, message: error.description, fatal: false)), on: ch)
            return
        }
        switch message {
        case .ping: send(.pong, on: ch)
        case .pong: break
        case .ack(let ack): acknowledged(ack.seq, on: ch)
        case .dispatch, .update:
            // Draining: no new work is taken; unacknowledged, the line is resent to the restarted node.
            guard !draining else { return }
            apply(message, bodies: bodies, on: ch)
        case .summary(let summary):
            guard ch.role == .child, summary.node == ch.peer else {
                send(.error(ErrorMessage(code: "invalid_message", message: "summary only comes from a child, about itself", fatal: false)), on: ch)
                return
            }
            ch.summary = summary
            summaryDirty = true
            let peer = ch.peer
            store.run({ engine in try engine.storeSummary(summary, from: peer) }) { _ in }
        case .error(let e):
            if e.code == Self.goingAway {
                log.info("\(ch.peer) is going away: \(e.message)", ["peer": ch.peer, "event": "bye"])
            } else {
                log.warning("\(ch.peer) reported \(e.code): \(e.message)", ["peer": ch.peer, "error": e.code])
            }
            if e.fatal { ch.connection?.close() }
        case .hello, .challenge, .auth, .welcome:
            send(.error(ErrorMessage(code: "unexpected_message", message: "\(message.type) is only valid during the handshake", fatal: false)), on: ch)
        }
    }

    private func acknowledged(_ seq: Int, on ch: PeerChannel) {
        guard seq <= ch.sent else {
            send(.error(ErrorMessage(code: "invalid_ack", message: "ack \(seq) is beyond the last sent seq \(ch.sent)", fatal: false)), on: ch)
            return
        }
        guard seq > ch.acked else { return }
        ch.acked = seq
        ch.unackedAges.acknowledged(upTo: seq)
        collectAcked(ch)
        pump(ch)
    }

    /// Deletes acknowledged outbox rows: one store operation in flight per link, and after each a pause of
    /// `ackCollectionPause` before the next. At a steady trickle every line's acknowledgement used to be an operation
    /// of its own — a third of the writer's operations at 1,000 cases/s, often a commit and an fsync of their own;
    /// now the acknowledgements of the pause share one. Nothing waits for it: the link's own count of what the
    /// peer acknowledged (`ch.acked`) moves at once, and a line acknowledged but not yet deleted when the node
    /// stops waits for a later collection: the peer's `resume` after the reconnect says it has the line, and a
    /// resend would be acknowledged and ignored (docs/protocol.md §3), so it is never applied twice.
    func collectAcked(_ ch: PeerChannel) {
        guard !ch.ackGCInFlight else { ch.ackGCPending = ch.acked; return }
        ch.ackGCInFlight = true
        let peer = ch.peer, upTo = ch.acked
        store.run({ engine in try engine.acknowledge(peer: peer, upTo: upTo) }) { [weak self] _ in
            guard let self else { return }
            loop.scheduleTimer(after: Self.ackCollectionPause) { [weak self] in
                ch.ackGCInFlight = false
                if let next = ch.ackGCPending, next > upTo {
                    ch.ackGCPending = nil
                    self?.collectAcked(ch)
                }
            }
        }
    }

    /// Long enough for many acknowledgements at a trickle to share one operation, short against the minutes a
    /// backlog of lines takes to matter.
    static let ackCollectionPause = 0.05

    private func apply(_ message: MeshMessage, bodies: ReceivedBodies?, on ch: PeerChannel) {
        guard let seq = message.durableSeq else { return }
        if case .dispatch = message, ch.role != .parent {
            send(.error(ErrorMessage(code: "wrong_direction", message: "dispatch only flows from parent to child", fatal: false, seq: seq)), on: ch)
            return
        }
        let generation = ch.generation, peer = ch.peer
        let clock = self.clock
        let received = DispatchTime.now().uptimeNanoseconds
        store.run({ engine in try engine.apply(message, bodies: bodies, from: peer, at: clock.now()) }) { [weak self] result in
            guard let self else { return }
            // From the line's arrival to its commit (the ack follows at once).
            self.applySeconds.observe(Double(DispatchTime.now().uptimeNanoseconds - received) / 1e9)
            switch result {
            case .success:
                ch.appliedIn = max(ch.appliedIn, seq)
                guard ch.generation == generation, ch.connection != nil else { return }
                // Also for a resend we had already applied: the peer needs the ack to move on.
                self.send(.ack(Ack(seq: seq)), on: ch)
            case .failure(let error):
                guard ch.generation == generation, ch.connection != nil else { return }
                let code = (error as? ApplyError)?.code ?? "apply_failed"
                ch.refusedLines += 1
                self.log.error("cannot apply \(message.type) seq \(seq) from \(peer): \(error)", ["peer": peer, "error": code])
                // Close so the peer resends from its last acknowledged message: order is kept, nothing is skipped.
                self.send(.error(ErrorMessage(code: code, message: "\(error)", fatal: true, seq: seq)), on: ch)
                if let conn = ch.connection { self.retire(conn) }
            }
        }
    }

    func refuse(_ ch: PeerChannel, code: String, _ message: String) {
        log.warning("closing link \(ch.peer): \(code): \(message)", ["peer": ch.peer, "error": code])
        send(.error(ErrorMessage(code: code, message: message, fatal: true)), on: ch)
        if let conn = ch.connection { retire(conn) }
    }

    // MARK: - Timers

    private func tick() {
        let now = Date()
        for ch in allChannels where ch.state == .up || ch.state == .handshaking {
            if let heard = ch.lastHeard, now.timeIntervalSince(heard) > config.heartbeatTimeout {
                log.warning("link \(ch.peer) silent for \(config.heartbeatTimeout)s: closing")
                ch.lastError = "heartbeat timeout"
                ch.connection?.close()
                continue
            }
            if ch.state == .up, now.timeIntervalSince(ch.lastSent) >= config.heartbeatInterval * 0.9 { send(.ping, on: ch) }
        }
        for (id, p) in pending where now.timeIntervalSince(p.openedAt) > handshakeTimeout {
            refusePending(id, code: "handshake_timeout", "no complete handshake within \(Int(handshakeTimeout))s")
        }
        if let parent, parent.state == .up, summaryDirty, now.timeIntervalSince(lastSummarySent) >= 1 {
            sendSummary(to: parent)
        }
        for ch in allChannels where ch.state == .up { pump(ch) }
        resumePausedIfDrained()
    }

    func sendSummary(to parent: PeerChannel) {
        summaryDirty = false
        lastSummarySent = Date()
        let kids = children.values.sorted { $0.peer < $1.peer }.map { ChildSummary(id: $0.peer, name: unit.find($0.peer)?.name, state: $0.state.rawValue, subtree: $0.summary?.counters.subtree) }
        send(.summary(Summary(node: unit.id, at: Date(), counters: counters, children: kids)), on: parent)
    }

    /// Both sides of a link agreed: mark it up and resume our stream after what the peer already applied.
    /// Shared by the parent side (after `auth`) and the child side (after `welcome`).
    func resumeStreams(_ ch: PeerChannel, peerApplied: Int) {
        ch.state = .up
        ch.connects += 1
        ch.connectedSince = Date()
        ch.lastError = nil
        ch.queued.removeAll()
        ch.acked = max(ch.acked, peerApplied)
        ch.unackedAges.acknowledged(upTo: ch.acked)
        ch.sent = ch.acked
        summaryDirty = true
        log.info("link \(ch.peer) up (it resumes after \(ch.appliedIn), we resume after \(ch.acked))")
        collectAcked(ch)
    }

    /// Called when a connection of a channel closes.
    func closed(_ ch: PeerChannel, connectionId: Int, error: SocketError?) {
        guard ch.connection?.id == connectionId else { return }
        ch.connection = nil
        ch.state = .down
        ch.queued.removeAll()
        if let error { ch.lastError = "\(error)" }
        summaryDirty = true
        log.info("link \(ch.peer) down\(error.map { ": \($0)" } ?? "")")
        if ch.role == .parent, !stopped { scheduleReconnect() }
    }
}

/// Nonces seen in recent hellos, so a replayed hello is refused even before its proof is checked.
/// Bounded in bytes: at most `capacity` nonces of at most 128 hex digits each (the handshake refuses longer ones).
struct NonceMemory {
    let capacity: Int
    private var set = Set<String>()
    private var order: [String] = []
    init(capacity: Int) { self.capacity = capacity }
    mutating func insert(_ nonce: String) -> Bool {
        guard set.insert(nonce).inserted else { return false }
        order.append(nonce)
        if order.count > capacity {
            let drop = order.count - capacity
            for old in order.prefix(drop) { set.remove(old) }
            order.removeFirst(drop)
        }
        return true
    }
}

extension MeshLinks {
    /// Tells the engine which features the peer named in this handshake, so that from now on it holds back the
    /// events the peer would refuse (docs/protocol.md §6).
    func rememberFeatures(of ch: PeerChannel) {
        let (peer, features, log) = (ch.peer, ch.features, self.log)
        store.run({ engine in try engine.rememberFeatures(features, of: peer) }) { result in
            if case .failure(let error) = result { log.warning("cannot record the features of \(peer): \(error)") }
        }
    }
}
