import CivicCases
import CivicWire
import Foundation

/// A node restored from a backup meets each peer once more (docs/protocol.md §3.4): the handshake's figures go to
/// the store, which sets the link's ledger right and records what this node lost; the link comes up on the result.
extension MeshLinks {
    /// `done(nil)` once the ledger is set right and the channel holds its new figures; `done(reason)` when the
    /// peer's figures cannot belong to this link's history (the link is refused and dialled again later).
    func resync(_ ch: PeerChannel, peerApplied: Int, peerAcked: Int?, done: @escaping (String?) -> Void) {
        let peer = ch.peer, log = self.log
        // The completion runs on the loop, where `done` was made: the box only carries it across the writer.
        nonisolated(unsafe) let done = done
        if peerAcked == nil {
            log.warning("link \(peer): the peer is too old to say what it still holds; messages it dropped after this node's backup will show as a sequence gap")
        }
        store.run({ engine in try engine.resyncLink(peer, peerApplied: peerApplied, peerAcked: peerAcked, at: Date()) }) { [weak self] result in
            guard let self else { return }
            switch result {
            case .success(let outcome):
                ch.known = outcome.figures.lastAssigned
                ch.acked = outcome.figures.lastAcked
                ch.unackedAges.reset()
                if ch.known > ch.acked { ch.unackedAges.committed(upTo: ch.known, at: Date()) }
                ch.sent = ch.acked
                ch.appliedIn = outcome.figures.lastApplied
                ch.needsResync = false
                ch.restoreLosses += outcome.losses
                if outcome.losses.isEmpty {
                    log.info("link \(peer) resynced after the restore: nothing lost here", ["peer": peer, "event": "resync"])
                } else {
                    for loss in outcome.losses {
                        log.warning("link \(peer) resynced after the restore: messages \(loss) are not in this node's database; \(peer) holds their events",
                                    ["peer": peer, "event": "resync_loss"])
                    }
                }
                done(nil)
            case .failure(let error):
                log.error("link \(peer): resync after the restore refused: \(error)", ["peer": peer, "error": "resync_refused"])
                done("\(error)")
            }
        }
    }
}
