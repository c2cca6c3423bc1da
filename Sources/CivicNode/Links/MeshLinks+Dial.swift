import CivicCases
import CivicIO
import CivicWire
import Foundation

/// Child side: dial the parent, prove the secret, resume both streams; redial with backoff when the link drops.
extension MeshLinks {
    func connectParent() {
        guard let ch = parent, !stopped, ch.connection == nil, ch.state == .down,
              let address = config.parentAddress.flatMap(HostPort.parse) else { return }
        ch.state = .connecting
        loop.connect(host: address.host, port: address.port, timeout: 3) { [weak self] result in
            guard let self else { return }
            switch result {
            case .success(let conn):
                guard !self.stopped else { conn.close(); return }
                self.startHandshake(ch, conn)
            case .failure(let error):
                ch.state = .down
                ch.lastError = "connect \(address): \(error)"
                self.logLinkFailure(ch, "cannot reach parent \(ch.peer) at \(address): \(error)")
                self.scheduleReconnect()
            }
        }
    }

    /// Link failures are logged at most every 30 s per link (the first at once), with how many were not, so a
    /// parent that is down for an hour costs 120 lines, not 36,000.
    func logLinkFailure(_ ch: PeerChannel, _ message: String) {
        if let line = logThrottle.pass("link \(ch.peer)", message) { log.warning(line) } else { log.debug(message) }
    }

    /// Exponential backoff with jitter: 0.1 s doubling to 5 s, each wait drawn from its upper half.
    func scheduleReconnect() {
        guard let ch = parent, !stopped else { return }
        let ceiling = min(5.0, 0.1 * pow(2.0, Double(min(ch.reconnectAttempts, 10))))
        ch.reconnectAttempts += 1
        let delay = Double.random(in: (ceiling / 2)...ceiling)
        loop.scheduleTimer(after: delay) { [weak self] in self?.connectParent() }
    }

    private func startHandshake(_ ch: PeerChannel, _ conn: TCPConnection) {
        ch.generation += 1
        let generation = ch.generation
        ch.connection = conn
        ch.sealer = nil
        ch.opener = nil
        ch.state = .handshaking
        ch.framer = LineFramer(maxLineBytes: config.maxLineBytes)
        ch.lastHeard = Date()
        let nonce = HandshakeProof.freshNonce()
        var challenged = false
        var parentNonce = ""
        conn.onClose = { [weak self] error in self?.closed(ch, connectionId: conn.id, error: error) }
        conn.onRead = { [weak self] bytes in
            guard let self else { return }
            if ch.state == .up { return self.received(bytes, on: ch, generation: generation) }
            ch.framer.append(bytes)
            while ch.state == .handshaking, ch.generation == generation {
                let line: [UInt8]
                do {
                    guard let next = try ch.framer.nextLine() else { return }
                    line = next
                } catch {
                    return self.refuse(ch, code: "frame_too_large", "line longer than max_line_bytes")
                }
                let message: MeshMessage
                do throws(WireError) { message = try self.codec.decode(line) } catch {
                    return self.refuse(ch, code: error.code, error.description)
                }
                switch message {
                case .challenge(let c) where !challenged:
                    guard c.v == meshProtocolVersion else {
                        return self.refuse(ch, code: "unsupported_version", "parent \(ch.peer) speaks protocol \(c.v); this node speaks \(meshProtocolVersion) (sealed lines): upgrade the older one")
                    }
                    guard (c.seal ?? "none") == self.config.offeredSeal else {
                        return self.refuse(ch, code: "encryption_mismatch", "parent \(ch.peer) seals lines with \(Logger.clip(c.seal ?? "none", 40)), this node with \(self.config.offeredSeal): set link_encryption alike on both ends")
                    }
                    guard c.node == ch.peer,
                          HandshakeProof.verify(c.proof, role: "parent", secret: ch.secret, child: self.unit.id, parent: ch.peer, childNonce: nonce, parentNonce: c.nonce) else {
                        return self.refuse(ch, code: "bad_proof", "\(c.node) did not prove the link secret of \(ch.peer)")
                    }
                    challenged = true
                    parentNonce = c.nonce
                    ch.features = negotiatedFeatures(c.features)
                    self.rememberFeatures(of: ch)
                    let proof = HandshakeProof.make(role: "child", secret: ch.secret, child: self.unit.id, parent: ch.peer, childNonce: nonce, parentNonce: c.nonce)
                    self.send(.auth(Auth(proof: proof, resume: ch.appliedIn, acked: ch.acked)), on: ch)
                case .welcome(let w) where challenged:
                    let finish = { [unowned self] in
                        if self.config.linkEncryption == .required,
                           let keys = LineSeal.SessionKeys.derive(secret: ch.secret, child: self.unit.id, parent: ch.peer, childNonce: nonce, parentNonce: parentNonce) {
                            ch.sealer = LineSeal.Sealer(key: keys.childToParent)
                            ch.opener = LineSeal.Opener(key: keys.parentToChild)
                        }
                        self.linkUp(ch, resume: w.resume)
                        if ch.framer.bufferedBytes > 0 { self.received([], on: ch, generation: generation) }
                    }
                    if ch.needsResync {
                        // The parent's sealed lines that arrive meanwhile wait in the framer (state `resyncing`).
                        ch.state = .resyncing
                        return self.resync(ch, peerApplied: w.resume, peerAcked: w.acked) { [weak self] error in
                            guard let self, ch.generation == generation, ch.state == .resyncing else { return }
                            if let error { return self.refuse(ch, code: "resync_refused", error) }
                            finish()
                        }
                    }
                    guard w.resume <= ch.known else {
                        return self.refuse(ch, code: "sequence_ahead", "parent applied seq \(w.resume) but only \(ch.known) were ever sent from here")
                    }
                    finish()
                    return
                case .error(let e):
                    ch.lastError = "\(e.code): \(e.message)"
                    self.logLinkFailure(ch, "parent \(ch.peer) refused us: \(e.code): \(e.message)")
                    conn.close()
                    return
                default:
                    return self.refuse(ch, code: "handshake_required", "unexpected \(message.type) during the handshake")
                }
            }
        }
        send(.hello(Hello(node: unit.id, tier: unit.tier, nonce: nonce, seal: config.offeredSeal)), on: ch)
    }

    private func linkUp(_ ch: PeerChannel, resume: Int) {
        ch.reconnectAttempts = 0
        resumeStreams(ch, peerApplied: resume)
        sendSummary(to: ch)
        pump(ch)
    }
}
