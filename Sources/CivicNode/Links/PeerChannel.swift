import CivicIO
import CivicWire
import Foundation

/// One mesh link as this node sees it: the peer (parent or a child), the current connection if any,
/// and the sequence state that survives reconnections. Loop-confined.
final class PeerChannel: @unchecked Sendable {  // invariant: only touched on the loop thread
    enum Role { case parent, child }
    enum State: String { case down, connecting, handshaking, resyncing, up }

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

    /// Restored from a backup and not yet set right with this peer (docs/protocol.md §3.4).
    var needsResync = false
    /// What restores lost here on this link (from the store; shown in /status).
    var restoreLosses: [RestoreLoss] = []

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

    /// When the messages not yet acknowledged were committed, for `civicmesh_link_oldest_unacked_seconds`.
    var unackedAges = UnackedAges()
}

/// When the unacknowledged messages of one link were committed, kept coarsely and without a query: one mark per
/// commit that queued lines for the peer (its highest seq and the time), at most `capacity` marks. Past that
/// (a peer down for long), the second-oldest mark is dropped and its messages count from the next mark's time:
/// the oldest message's age stays exact, later ones can only look younger.
struct UnackedAges {
    private var marks: [(seq: Int, at: Date)] = []
    let capacity = 1024

    mutating func committed(upTo seq: Int, at time: Date) {
        if let last = marks.last, last.seq >= seq { return }
        marks.append((seq, time))
        if marks.count > capacity { marks.remove(at: 1) }
    }

    mutating func acknowledged(upTo seq: Int) {
        var drop = 0
        while drop < marks.count, marks[drop].seq <= seq { drop += 1 }
        if drop > 0 { marks.removeFirst(drop) }
    }

    mutating func reset() { marks.removeAll() }

    /// Seconds since the oldest message not yet acknowledged was committed; 0 when every message is.
    func oldestAge(at now: Date) -> Double { marks.first.map { max(0, now.timeIntervalSince($0.at)) } ?? 0 }
}
