import CivicCases
import CivicIO
import CivicWire
import Foundation

/// A child connection that has not proven who it is yet. Nothing it sends is applied.
final class PendingHandshake {
    enum Step {
        case awaitingHello, awaitingAuth(child: String, childNonce: String, parentNonce: String, features: [String], sealed: Bool)
        /// Proven; a link of a restored node being set right in the store before the welcome (§3.4).
        case resyncing
    }
    let connection: TCPConnection
    var framer: LineFramer
    var step: Step = .awaitingHello
    let openedAt = Date()
    /// A hello or an auth is a few hundred bytes; nothing longer is read from a peer that has not proven itself.
    static let maxHandshakeLineBytes = 4096

    init(connection: TCPConnection) {
        self.connection = connection
        self.framer = LineFramer(maxLineBytes: Self.maxHandshakeLineBytes)
    }
}

/// Parent side of the handshake: hello → challenge → auth → welcome.
extension MeshLinks {
    func accept(_ conn: TCPConnection) {
        guard !stopped else { conn.close(); return }
        guard pending.count < maxPendingHandshakes else {
            if let line = logThrottle.pass("handshakes", "\(pending.count) mesh connections are still in their handshake, the most kept; closed \(conn.peerDescription)") {
                log.warning(line)
            }
            conn.close()
            return
        }
        let p = PendingHandshake(connection: conn)
        pending[conn.id] = p
        conn.onRead = { [weak self] bytes in self?.pendingRead(conn.id, bytes) }
        conn.onClose = { [weak self] _ in self?.pending[conn.id] = nil }
    }

    private func pendingRead(_ id: Int, _ bytes: [UInt8]) {
        guard let p = pending[id] else { return }
        p.framer.append(bytes)
        while pending[id] != nil {
            let line: [UInt8]
            do {
                guard let next = try p.framer.nextLine() else { return }
                line = next
            } catch {
                refusePending(id, code: "frame_too_large", "handshake line longer than \(PendingHandshake.maxHandshakeLineBytes) bytes")
                return
            }
            let message: MeshMessage
            do { message = try codec.decode(line) } catch {
                refusePending(id, code: error.code, error.description)
                return
            }
            handshakeStep(p, message)
        }
    }

    private func handshakeStep(_ p: PendingHandshake, _ message: MeshMessage) {
        let id = p.connection.id
        switch (p.step, message) {
        case (.awaitingHello, .hello(let hello)):
            guard hello.v == meshProtocolVersion else {
                return refusePending(id, code: "unsupported_version", "protocol version \(hello.v) is not supported; this node speaks \(meshProtocolVersion) (sealed lines): upgrade \(Logger.clip(hello.node, 64))")
            }
            guard let child = unit.children.first(where: { $0.id == hello.node }), let ch = children[child.id] else {
                return refusePending(id, code: "unknown_node", "\(Logger.clip(hello.node, 64)) is not a child of \(unit.id)")
            }
            guard child.tier == hello.tier else {
                return refusePending(id, code: "wrong_tier", "\(hello.node) is a \(child.tier.rawValue), not a \(hello.tier.rawValue)")
            }
            guard (16...128).contains(hello.nonce.utf8.count), Hex.decode(hello.nonce) != nil else {
                return refusePending(id, code: "invalid_message", "nonce must be 8 to 64 random bytes in hex (16 to 128 hex digits)")
            }
            guard seenNonces.insert(hello.nonce) else {
                return refusePending(id, code: "replayed_nonce", "nonce of \(hello.node) was already used: replayed handshake")
            }
            let theirSeal = hello.seal ?? "none"
            guard theirSeal == config.offeredSeal else {
                return refusePending(id, code: "encryption_mismatch", config.linkEncryption == .required
                    ? "\(unit.id) requires sealed lines (\(LineSeal.cipherName)); \(hello.node) offered \(Logger.clip(theirSeal, 40)): set link_encryption to required on both ends"
                    : "\(unit.id) runs with link_encryption off; \(hello.node) offered \(Logger.clip(theirSeal, 40)): both ends of a link must agree")
            }
            let parentNonce = HandshakeProof.freshNonce()
            let proof = HandshakeProof.make(role: "parent", secret: ch.secret, child: child.id, parent: unit.id, childNonce: hello.nonce, parentNonce: parentNonce)
            p.step = .awaitingAuth(child: child.id, childNonce: hello.nonce, parentNonce: parentNonce, features: negotiatedFeatures(hello.features),
                                   sealed: config.linkEncryption == .required)
            p.connection.write(codec.encode(.challenge(Challenge(node: unit.id, nonce: parentNonce, proof: proof, seal: config.offeredSeal))))
        case (.awaitingAuth(let childId, let childNonce, let parentNonce, let features, let sealed), .auth(let auth)):
            guard let ch = children[childId] else { return }
            guard HandshakeProof.verify(auth.proof, role: "child", secret: ch.secret, child: childId, parent: unit.id, childNonce: childNonce, parentNonce: parentNonce) else {
                return refusePending(id, code: "bad_proof", "proof for \(childId) does not match the link secret (wrong secret or replayed proof)")
            }
            let finish = { [unowned self] in
                pending[id] = nil
                ch.features = features
                rememberFeatures(of: ch)
                let keys = sealed ? LineSeal.SessionKeys.derive(secret: ch.secret, child: childId, parent: unit.id, childNonce: childNonce, parentNonce: parentNonce) : nil
                adopt(p, as: ch, resume: auth.resume, keys: keys)
            }
            if ch.needsResync {
                p.step = .resyncing
                return resync(ch, peerApplied: auth.resume, peerAcked: auth.acked) { [weak self] error in
                    guard let self, self.pending[id] === p else { return }
                    if let error { return self.refusePending(id, code: "resync_refused", error) }
                    finish()
                }
            }
            guard auth.resume <= ch.known else {
                return refusePending(id, code: "sequence_ahead", "\(childId) says it applied seq \(auth.resume) but only \(ch.known) were ever sent: its data does not belong to this link")
            }
            finish()
        case (.awaitingHello, _):
            refusePending(id, code: "handshake_required", "first message must be hello, got \(message.type)")
        case (.awaitingAuth, _):
            refusePending(id, code: "handshake_required", "expected auth, got \(message.type)")
        case (.resyncing, _):
            refusePending(id, code: "handshake_required", "\(message.type) before the welcome")
        }
    }

    /// The child proved itself: this connection becomes its link (replacing an older one), and both streams resume.
    private func adopt(_ p: PendingHandshake, as ch: PeerChannel, resume: Int, keys: LineSeal.SessionKeys?) {
        if let old = ch.connection {
            log.info("link \(ch.peer): new connection replaces the old one")
            old.onClose = nil
            old.close()
        }
        let conn = p.connection
        ch.generation += 1
        let generation = ch.generation
        ch.connection = conn
        ch.sealer = nil
        ch.opener = nil
        ch.framer = p.framer.withLimit(config.maxLineBytes)
        ch.lastHeard = Date()
        conn.onRead = { [weak self] bytes in self?.received(bytes, on: ch, generation: generation) }
        conn.onClose = { [weak self] error in self?.closed(ch, connectionId: conn.id, error: error) }
        send(.welcome(Welcome(resume: ch.appliedIn, heartbeat: config.heartbeatInterval, acked: ch.acked)), on: ch)
        // The welcome is the last plain line each way; from here on every line is sealed.
        if let keys {
            ch.sealer = LineSeal.Sealer(key: keys.parentToChild)
            ch.opener = LineSeal.Opener(key: keys.childToParent)
        }
        resumeStreams(ch, peerApplied: resume)
        pump(ch)
        // Bytes that arrived with the auth line are already in the framer.
        if ch.framer.bufferedBytes > 0 { received([], on: ch, generation: generation) }
    }

    /// Closes after a fatal error without losing it: input is read and dropped for a moment first, because
    /// closing a socket with unread input makes the kernel send RST, which can destroy the error line in flight.
    func retire(_ conn: TCPConnection) {
        conn.onRead = { _ in }
        loop.scheduleTimer(after: 0.3) { conn.closeAfterFlush() }
    }

    func refusePending(_ id: Int, code: String, _ message: String) {
        guard let p = pending.removeValue(forKey: id) else { return }
        refusedHandshakes += 1
        log.warning("refused connection from \(p.connection.peerDescription): \(code): \(message)")
        p.connection.write(codec.encode(.error(ErrorMessage(code: code, message: message, fatal: true))))
        retire(p.connection)
    }
}
