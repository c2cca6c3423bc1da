import Foundation

/// How a link of a node restored from a backup falls back into step with its peer (docs/protocol.md §3.4). Pure.
///
/// The backup holds the link as it was then: outbound, the next seq to assign was `restoredNextOut`; inbound,
/// the last seq applied from the peer. Since then the node (before it was lost) sent and had acknowledged more
/// messages, and applied and acknowledged more of the peer's; the peer kept all of it in its own database but
/// dropped the outbox rows this node had acknowledged. The handshake tells the restored node the peer's two
/// figures: how far it applied this node's stream (`peerApplied`), and how far this node acknowledged the
/// peer's (`peerAcked`). From those:
/// - **outbound**: seqs `restoredNextOut … peerApplied` were applied by the peer and are gone here. Whatever this
///   node queued for the peer since the restore (numbered from `restoredNextOut` on, before it knew) moves to
///   follow `peerApplied`, so the peer neither takes it for resends nor sees a gap;
/// - **inbound**: seqs `appliedIn + 1 … peerAcked` were acknowledged here and the peer no longer holds them as
///   messages (it holds their cases and events): this node takes them as applied and notes them lost here, and
///   the peer resends from `peerAcked + 1`.
/// Both ranges are what this node lost; the peer still holds every one of those messages' events.
public enum ResyncRules {
    public struct Link: Equatable, Sendable {
        public var nextOut: Int
        public var ackedOut: Int
        public var appliedIn: Int
        public init(nextOut: Int, ackedOut: Int, appliedIn: Int) { self.nextOut = nextOut; self.ackedOut = ackedOut; self.appliedIn = appliedIn }
    }

    /// A range of one stream's seqs (both ends included).
    public struct Loss: Equatable, Sendable {
        public enum Direction: String, Sendable { case toPeer = "to_peer", fromPeer = "from_peer" }
        public var direction: Direction
        public var first: Int
        public var last: Int
        public init(_ direction: Direction, _ first: Int, _ last: Int) { self.direction = direction; self.first = first; self.last = last }
    }

    public struct Plan: Equatable, Sendable {
        /// Added to the seq of every outbox row numbered `restoredNextOut` or later (0: nothing moves).
        public var shift: Int
        /// Rows from the backup (below `restoredNextOut`) at or below this seq are the peer's already: dropped as
        /// acknowledged, before the rows queued since the restore move.
        public var dropUpTo: Int
        public var link: Link
        public var losses: [Loss]
    }

    public enum Refusal: Error, Equatable, CustomStringConvertible {
        /// The peer says it applied fewer of our messages than the backup records as acknowledged: it is not the
        /// peer this backup knew (or it was restored to an older moment too).
        case peerBehindBackup(peerApplied: Int, backupAcked: Int)
        /// The peer says this node acknowledged more of its stream than it ever sent.
        case inconsistentPeer(String)
        public var description: String {
            switch self {
            case .peerBehindBackup(let applied, let acked):
                "the peer applied seq \(applied) of ours, but the backup says it had acknowledged \(acked): it was restored to an older moment too, or it is not this link's peer"
            case .inconsistentPeer(let why): why
            }
        }
    }

    /// - Parameters:
    ///   - link: the link as it stands now (the backup's figures, plus whatever was queued since the restore).
    ///   - restoredNextOut: the backup's next outbound seq.
    ///   - peerAcked: nil from a peer too old to say; then only the outbound side can be set right.
    public static func plan(link: Link, restoredNextOut: Int, peerApplied: Int, peerAcked: Int?) -> Result<Plan, Refusal> {
        guard peerApplied >= link.ackedOut else { return .failure(.peerBehindBackup(peerApplied: peerApplied, backupAcked: link.ackedOut)) }
        if let peerAcked, peerAcked < 0 { return .failure(.inconsistentPeer("the peer's acked figure \(peerAcked) is negative")) }
        var losses: [Loss] = []
        let shift = max(0, peerApplied + 1 - restoredNextOut)
        if peerApplied >= restoredNextOut { losses.append(Loss(.toPeer, restoredNextOut, peerApplied)) }
        var next = link
        next.nextOut = link.nextOut + shift
        next.ackedOut = max(link.ackedOut, peerApplied)
        if let peerAcked, peerAcked > link.appliedIn {
            losses.append(Loss(.fromPeer, link.appliedIn + 1, peerAcked))
            next.appliedIn = peerAcked
        }
        return .success(Plan(shift: shift, dropUpTo: min(peerApplied, restoredNextOut - 1), link: next, losses: losses))
    }
}
