import CivicCases

/// Where a message was placed in the topology, and why.
public struct PlaceDecision: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        /// One unit fits; `nodeId` is the deepest unit the address supports.
        case placed(nodeId: String)
        /// Several units fit equally well; a person must choose (ids sorted).
        case ambiguous(candidates: [String])
        /// Nothing usable was found.
        case unknown
    }

    public var outcome: Outcome
    /// Human-readable: which words or code matched, e.g. "address matched 江岸区→大智街 (江岸区/大智街道)".
    public var reason: String

    public init(outcome: Outcome, reason: String) {
        self.outcome = outcome
        self.reason = reason
    }

    /// The placed node id, nil when ambiguous or unknown.
    public var placedNodeId: String? {
        if case .placed(let id) = outcome { return id }
        return nil
    }

    /// The decision as the routing rules take it (CivicCases' `Placement`).
    public var placement: Placement {
        switch outcome {
        case .placed(let id): Placement(target: id, reason: reason)
        case .ambiguous(let candidates): Placement(target: nil, candidates: candidates, reason: reason)
        case .unknown: Placement(target: nil, reason: reason)
        }
    }
}
