import CivicCases
import CivicWire
import Foundation

/// GET /status: what an operator needs to judge a node at a glance. Built from in-memory link state and
/// counters plus one indexed query for the head of the manual queue — never a scan.
public struct StatusReport: Codable, Sendable {
    public struct Link: Codable, Sendable {
        public var id: String
        public var name: String?
        public var state: String
        public var connectedSince: Date?
        public var lastHeard: Date?
        public var lastError: String?
        public var outboxDepth: Int
        public var lastSentSeq: Int
        public var lastAckedSeq: Int
        public var lastAppliedSeq: Int
        /// Lines from the peer refused since start (bad JSON, not allowed by the protocol, not applicable); absent from older nodes.
        public var refusedLines: Int?
        /// Features both ends of the link named in the handshake; absent from older nodes.
        public var features: [String]?
        /// Whether the current connection seals its lines (ChaCha20-Poly1305); absent from older nodes.
        public var sealed: Bool?
        /// Of `refused_lines`, those that did not open (altered, replayed, reordered, injected): each dropped the link.
        public var badSealLines: Int?
        public var summary: Summary?
        /// True while this node, restored from a backup, has not yet met the peer to set the link right.
        public var needsResync: Bool?
        /// Ranges of this link's messages a restore lost at this node (the peer holds their events): docs/protocol.md §3.4.
        public var restoreLosses: [RestoreLoss]?
        enum CodingKeys: String, CodingKey {
            case id, name, state, connectedSince = "connected_since", lastHeard = "last_heard", lastError = "last_error"
            case outboxDepth = "outbox_depth", lastSentSeq = "last_sent_seq", lastAckedSeq = "last_acked_seq"
            case lastAppliedSeq = "last_applied_seq", refusedLines = "refused_lines", features, sealed, badSealLines = "bad_seal_lines", summary
            case needsResync = "needs_resync", restoreLosses = "restore_losses"
        }
    }

    public struct QueueEntry: Codable, Sendable {
        public var id: String
        public var subject: String
        public var since: Date
        public var reason: String?
        /// Units that fit equally well, when the place was ambiguous.
        public var candidates: [String]
        /// The classifier's top guesses, when the topic was uncertain.
        public var topics: [String]
    }

    public struct StoreFigures: Codable, Sendable {
        public var queueDepth: Int
        public var batches: Int
        public var operations: Int
        enum CodingKeys: String, CodingKey { case queueDepth = "queue_depth", batches, operations }
    }

    public var id: String
    public var tier: Tier
    public var name: String
    public var version: String
    public var protocolVersion: Int
    public var startedAt: Date
    public var uptimeSeconds: Double
    public var http: String
    public var mesh: String?
    public var parent: Link?
    public var children: [Link]
    public var counters: CounterSet
    public var manualQueue: [QueueEntry]
    public var store: StoreFigures
    /// HTTP requests the access checks refused since start; absent from older nodes.
    public var access: AccessFigures?
    /// Time limits and supervision, for cases held here (`self`) and anywhere below (`subtree`): open cases near
    /// due (warned), overdue, escalated, under a supervision order, waiting for an extension answer, and the
    /// totals of warnings, escalations, extensions and replies on time or late. From the counters, never a scan.
    public var deadlines: DeadlineFigures?
    /// The citizen's verdicts for cases resolved here (`self`) and anywhere below (`subtree`): cases waiting for a
    /// verdict or under the third-party check, the satisfaction rate, and the totals (satisfied, reopened, closed
    /// without a verdict…). From the counters, never a scan; absent from older nodes.
    public var verdicts: VerdictFigures?

    public struct VerdictFigures: Codable, Sendable {
        public struct Scope: Codable, Sendable {
            public var awaitingVerdict: Int
            public var checking: Int
            /// Satisfied and basically satisfied over verdicts given; nil before the first. Cases closed without a
            /// verdict are not in it.
            public var satisfactionRate: Double?
            public var totals: [String: Int]
            enum CodingKeys: String, CodingKey { case awaitingVerdict = "awaiting_verdict", checking, satisfactionRate = "satisfaction_rate", totals }
            public func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(awaitingVerdict, forKey: .awaitingVerdict)
                try c.encode(checking, forKey: .checking)
                try c.encode(satisfactionRate, forKey: .satisfactionRate)  // null, not absent, before the first verdict
                try c.encode(totals, forKey: .totals)
            }
        }
        public var own: Scope
        public var subtree: Scope
        enum CodingKeys: String, CodingKey { case own = "self", subtree }
        public init(_ counters: CounterSet) {
            func scope(_ c: Counters) -> Scope {
                Scope(awaitingVerdict: c.awaitingVerdict, checking: c.byState[CaseState.checking.rawValue] ?? 0, satisfactionRate: c.satisfactionRate,
                      totals: Dictionary(uniqueKeysWithValues: VerdictCounts.totals.map { ($0, c.verdicts[$0] ?? 0) }))
            }
            own = scope(counters.own)
            subtree = scope(counters.subtree)
        }
    }

    public struct DeadlineFigures: Codable, Sendable {
        public var own: [String: Int]
        public var subtree: [String: Int]
        enum CodingKeys: String, CodingKey { case own = "self", subtree }
        /// Every gauge and total named, zeros included, so a dashboard needs no defaults.
        public init(_ counters: CounterSet) {
            func all(_ c: Counters) -> [String: Int] {
                Dictionary(uniqueKeysWithValues: (SupervisionCounts.gauges + SupervisionCounts.totals).map { ($0, c.supervision[$0] ?? 0) })
            }
            own = all(counters.own)
            subtree = all(counters.subtree)
        }
    }

    public struct AccessFigures: Codable, Sendable {
        public var unauthorized: Int
        public var forbidden: Int
        public var rateLimited: Int
        enum CodingKeys: String, CodingKey { case unauthorized, forbidden, rateLimited = "rate_limited" }
    }

    enum CodingKeys: String, CodingKey {
        case id, tier, name, version, protocolVersion = "protocol", startedAt = "started_at", uptimeSeconds = "uptime_seconds"
        case http, mesh, parent, children, counters, manualQueue = "manual_queue", store, access, deadlines, verdicts
    }
}

public let civicMeshVersion = "0.1.0"
