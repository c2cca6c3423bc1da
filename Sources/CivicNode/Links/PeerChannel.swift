import CivicIO
import CivicWire
import Foundation

/// One mesh link as this node sees it: the peer (parent or a child), the current connection if any,
/// and the sequence state that survives reconnections. Loop-confined.
final class PeerChannel: @unchecked Sendable {  // invariant: only touched on the loop thread
    enum Role { case parent, child }
    enum State: String { case down, connecting, handshaking, up }

    let peer: String
    let role: Role
    let secret: String
    var state: State = .down
    var connection: TCPConnection?
    /// Bumped on every new connection, so late completions for an old one are ignored.
    var generation = 0
    var framer: LineFramer
    var connectedSince: Date?
    var lastHeard: Date?
    var lastSent = Date.distantPast
    var lastError: String?
    var reconnectAttempts = 0
    /// Times the link came up since start (the first connection and every reconnection).
    var connects = 0
    /// Lines from this peer refused since start: unparseable, not allowed by the protocol, or not applicable.
    var refusedLines = 0
    /// Features both ends named in the handshake (see `meshFeatures`); set when the link comes up.
    var features: [String] = []
    /// This connection's line cipher, one per direction (nil before the handshake ends, or on a link both
    /// ends run with `link_encryption: off`). New keys for every connection.
    var sealer: LineSeal.Sealer?
    var opener: LineSeal.Opener?
    var isSealed: Bool { sealer != nil }
    /// Lines refused because they did not open (altered, replayed, reordered, injected); each drops the link.
    var unsealFailures = 0

    // Durable stream towards the peer.
    /// Highest seq committed to our outbox for this peer.
    var known = 0
    /// Highest seq the peer acknowledged (cumulative).
    var acked = 0
    /// Highest seq written on the current connection.
    var sent = 0
    /// Contiguous lines after `sent`, ready to write (from commits or an outbox fetch).
    var queued: [OutboxLine] = []
    var fetching = false
    var ackGCInFlight = false
    var ackGCPending: Int?

    // Durable stream from the peer.
    /// Highest seq from the peer that we committed.
    var appliedIn = 0

    var summary: Summary?

    init(peer: String, role: Role, secret: String, maxLineBytes: Int) {
        self.peer = peer
        self.role = role
        self.secret = secret
        self.framer = LineFramer(maxLineBytes: maxLineBytes)
    }

    var outboxDepth: Int { max(0, known - acked) }
}
