import Foundation

/// What a peer may tell this node about a case. Pure: the engine asks before it records a peer's event,
/// and refuses (logs, counts, does not acknowledge) whatever the protocol does not allow that peer.
public enum PeerRules {
    public struct Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        /// Stable code sent back on the wire: `invalid_event`, `not_in_subtree`, `event_id_clash`.
        public var code: String
        public var message: String
        public init(_ code: String, _ message: String) { self.code = code; self.message = message }
        public var description: String { "\(code): \(message)" }
    }

    /// Where a message came from, as the receiving node sees it.
    public enum Sender: Equatable, Sendable {
        case parent
        case child(String)
    }

    /// An event id is "<node>-<n>": each node numbers its own events, so an id names the node that made it.
    /// A timer event's id is "<node>:<mark>:<clock>" (TimerRules), deterministic so it can exist only once.
    public static func idBelongs(_ event: CaseEvent) -> Bool {
        if let timer = TimerRules.parseId(event.id) { return timer.issuer == event.node && timer.mark.action == event.action }
        if timerActions.contains(event.action) { return false }
        // "<node>-<digits>", read as bytes: it is checked for every event a peer sends.
        let id = event.id.utf8, node = event.node.utf8
        guard id.count > node.count + 1, id.starts(with: node) else { return false }
        var rest = id.dropFirst(node.count)
        guard rest.popFirst() == UInt8(ascii: "-") else { return false }
        return rest.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
    private static let timerActions: Set<CaseAction> = [.warned, .overdue, .escalated]

    /// A peer's update about a case this node lost when it was restored from a backup (docs/protocol.md §3.4): it is
    /// taken from the update's header only where that peer could have told this node about it. The parent speaks of
    /// cases it sent into this node's subtree (held there, or with a part there), never of events that happened in
    /// it; a child of events in its own subtree, on a case it holds or has just handed up here.
    public static func checkAdoptedHeader(_ header: Case, event: CaseEvent, from sender: Sender, me: TopologyNode) -> Refusal? {
        guard header.id == event.caseId else { return Refusal("invalid_event", "event \(event.id) is about \(event.caseId), not \(header.id)") }
        switch checkOrigin(event, from: sender, me: me) {
        case .failure(let refusal): return refusal
        case .success(nil):
            guard me.contains(header.holder) || header.parts.contains(where: { me.contains($0.unit) }) else {
                return Refusal("not_in_subtree", "the parent sent an update about \(header.id), held by \(header.holder), outside \(me.id)'s subtree")
            }
        case .success(let subtree?):
            guard subtree.contains(header.holder) || header.holder == me.id || header.parts.contains(where: { subtree.contains($0.unit) }) else {
                return Refusal("not_in_subtree", "case \(header.id) is held by \(header.holder), not in \(subtree.id)'s subtree: \(subtree.id) may not speak for it")
            }
        }
        return nil
    }

    /// What every new event from a peer must pass first: its id names its node, and it happened where the peer may
    /// speak for (the parent: outside this node's subtree; a child: inside its own). The child's subtree, or nil for
    /// the parent.
    static func checkOrigin(_ event: CaseEvent, from sender: Sender, me: TopologyNode) -> Result<TopologyNode?, Refusal> {
        guard idBelongs(event) else {
            return .failure(Refusal("invalid_event", "event id \(event.id) does not belong to its node \(event.node) (ids are <node>-<n>, or <node>:<mark>:<clock> for a timer event)"))
        }
        switch sender {
        case .parent:
            if me.contains(event.node) {
                return .failure(Refusal("not_in_subtree", "event \(event.id) claims to come from \(event.node), inside \(me.id)'s own subtree, but arrived from the parent"))
            }
            return .success(nil)
        case .child(let child):
            guard let subtree = me.find(child) else { return .failure(Refusal("not_in_subtree", "\(child) is not below \(me.id)")) }
            guard subtree.contains(event.node) else {
                return .failure(Refusal("not_in_subtree", "event \(event.id) happened at \(event.node), outside \(child)'s subtree"))
            }
            return .success(subtree)
        }
    }

    /// A new event (one this node has not stored) from `sender`, about a case this node holds as `stored`
    /// (nil when the case is new here).
    /// - A child speaks only for its own subtree: the event happened there, the case was held there (or is new
    ///   and was created there), and it leaves the case in that subtree or with this node (a return).
    /// - The parent relays events from anywhere but this node's subtree: those can only come up from below.
    public static func check(_ event: CaseEvent, stored: Case?, from sender: Sender, me: TopologyNode) -> Refusal? {
        switch checkOrigin(event, from: sender, me: me) {
        case .failure(let refusal): return refusal
        case .success(nil): return nil
        case .success(let subtree?):
            let child = subtree.id
            if let stored {
                // A part's unit speaks for its part (co-handling, a summons) wherever the lead is, and only annotates.
                if let partId = event[.part], let part = stored.part(partId), subtree.contains(part.unit),
                   event.holder == stored.holder, event.state == stored.state, !event.action.movesCase {
                    return nil
                }
                guard subtree.contains(stored.holder) else {
                    return Refusal("not_in_subtree", "case \(event.caseId) is held by \(stored.holder), not in \(child)'s subtree: \(child) may not change it")
                }
            } else if event.action != .created {
                return Refusal("invalid_event", "\(child) sent \(event.action.rawValue) for \(event.caseId), a case \(me.id) has never seen; a new case starts with created")
            }
            guard subtree.contains(event.holder) || event.holder == me.id else {
                return Refusal("not_in_subtree", "event \(event.id) hands case \(event.caseId) to \(event.holder), outside \(child)'s subtree")
            }
            return nil
        }
    }

    /// A message about a case this node does not know yet carries its header: it must be the case the event
    /// is about, and (from a child) a case created where the child says.
    /// From the parent, an `update` may only be about a case it sent down (a `dispatch` always comes first).
    public static func checkNewHeader(_ header: Case, first event: CaseEvent, from sender: Sender) -> Refusal? {
        guard header.id == event.caseId else { return Refusal("invalid_event", "event \(event.id) is about \(event.caseId), not \(header.id)") }
        if case .parent = sender {
            return Refusal("not_in_subtree", "the parent sent an update about \(header.id), a case it never dispatched here; a case comes down with a dispatch")
        }
        if case .child = sender, header.intake != event.node {
            return Refusal("invalid_event", "case \(header.id) says it entered at \(header.intake), but its created event is from \(event.node)")
        }
        return nil
    }
}
