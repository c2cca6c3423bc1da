import CivicCases
import Foundation

/// The protocol version this build speaks. Peers with another version are refused at the handshake.
/// 2: lines after the handshake are sealed (ChaCha20-Poly1305 under per-direction HKDF keys), `seal` in hello/challenge.
public let meshProtocolVersion = 2

/// What this release can do beyond the base of protocol 1, announced in `hello` and `challenge`. A link
/// uses a feature only when both ends named it (the intersection is kept per link): that is how a new
/// message type, or a new case action that moves a case, rolls out without upgrading a whole city at once.
/// - `open-vocabulary`: unknown case actions and states are stored, forwarded and acknowledged.
/// - `recall`: `recall_requested` / `handed_up` (docs/protocol.md §3.2.2).
/// - `ruling`: `assigned` with `data.ruling`, and `return_allowed`.
/// - `deadlines`: the timer, extension and supervision actions (docs/protocol.md §3.2.3).
/// - `verdicts`: `evaluated`, `revisit_failed`, `check_requested`, `checked`, `closed` and the states `closed` and
///   `checking` (§3.2.4). A peer without it keeps a resolved case as resolved.
/// - `parts`: co-handling and summonses (`co_handling_requested`, `part_*`, `summoned`, `reported`; §3.2.5), and a
///   `dispatch` of a case held elsewhere for a part a unit below has.
public let meshFeatures: [String] = ["open-vocabulary", "recall", "ruling", "deadlines", "verdicts", "parts"]

/// Every message on a mesh link, one JSON object per line. See docs/protocol.md.
public enum MeshMessage: Sendable, Equatable {
    case hello(Hello)
    case challenge(Challenge)
    case auth(Auth)
    case welcome(Welcome)
    case error(ErrorMessage)
    case ping
    case pong
    case ack(Ack)
    case dispatch(Dispatch)
    case update(Update)
    case summary(Summary)

    public var type: String {
        switch self {
        case .hello: "hello"
        case .challenge: "challenge"
        case .auth: "auth"
        case .welcome: "welcome"
        case .error: "error"
        case .ping: "ping"
        case .pong: "pong"
        case .ack: "ack"
        case .dispatch: "dispatch"
        case .update: "update"
        case .summary: "summary"
        }
    }

    /// Sequence number of a durable message (one the receiver must acknowledge), nil otherwise.
    public var durableSeq: Int? {
        switch self {
        case .dispatch(let m): m.seq
        case .update(let m): m.seq
        default: nil
        }
    }

    /// The same durable message under another seq (a restored node renumbers what it queued before it knew how far
    /// its peer had got: docs/protocol.md §3.4); any other message is returned as it is.
    public func renumbered(_ seq: Int) -> MeshMessage {
        switch self {
        case .dispatch(var m): m.seq = seq; return .dispatch(m)
        case .update(var m): m.seq = seq; return .update(m)
        default: return self
        }
    }
}

/// Child → parent, first line of a connection.
public struct Hello: Codable, Sendable, Equatable {
    public var v: Int
    public var node: String
    public var tier: Tier
    /// 16 random bytes, lowercase hex.
    public var nonce: String
    /// Optional (absent from the first release): the sender's `meshFeatures`.
    public var features: [String]?
    /// The line cipher the child wants (`LineSeal.cipherName`), or "none" when its `link_encryption` is off.
    public var seal: String?
    public init(v: Int = meshProtocolVersion, node: String, tier: Tier, nonce: String, features: [String]? = meshFeatures, seal: String? = LineSeal.cipherName) {
        self.v = v; self.node = node; self.tier = tier; self.nonce = nonce; self.features = features; self.seal = seal
    }
}

/// Parent → child: the parent's nonce and its own proof of the secret (mutual authentication).
public struct Challenge: Codable, Sendable, Equatable {
    public var v: Int
    public var node: String
    public var nonce: String
    public var proof: String
    /// Optional: the parent's `meshFeatures`.
    public var features: [String]?
    /// The cipher every later line is sealed with, or "none" when both ends turned `link_encryption` off.
    public var seal: String?
    public init(v: Int = meshProtocolVersion, node: String, nonce: String, proof: String, features: [String]? = meshFeatures, seal: String? = LineSeal.cipherName) {
        self.v = v; self.node = node; self.nonce = nonce; self.proof = proof; self.features = features; self.seal = seal
    }
}

/// The features both ends of a link named, in this release's order; at most 32 names of 64 bytes are read.
public func negotiatedFeatures(_ theirs: [String]?) -> [String] {
    let offered = Set((theirs ?? []).prefix(32).filter { $0.utf8.count <= 64 })
    return meshFeatures.filter(offered.contains)
}

/// Child → parent: the child's proof, and the last durable seq it applied from the parent.
public struct Auth: Codable, Sendable, Equatable {
    public var proof: String
    public var resume: Int
    /// The last seq of the child's own stream the parent acknowledged: a parent restored from a backup learns from
    /// it which of the child's messages it had acknowledged and no longer holds (§3.4). Absent from older peers.
    public var acked: Int?
    public init(proof: String, resume: Int, acked: Int? = nil) { self.proof = proof; self.resume = resume; self.acked = acked }
}

/// Parent → child: the link is up; the last durable seq the parent applied from the child.
public struct Welcome: Codable, Sendable, Equatable {
    public var resume: Int
    /// Seconds between heartbeats the parent expects.
    public var heartbeat: Double
    /// The last seq of the parent's stream the child acknowledged (see `Auth.acked`).
    public var acked: Int?
    public init(resume: Int, heartbeat: Double, acked: Int? = nil) { self.resume = resume; self.heartbeat = heartbeat; self.acked = acked }
}

public struct ErrorMessage: Codable, Sendable, Equatable {
    public var code: String
    public var message: String
    /// True when the sender closes the connection after this line.
    public var fatal: Bool
    /// The durable message this error is about, if any.
    public var seq: Int?
    public init(code: String, message: String, fatal: Bool, seq: Int? = nil) {
        self.code = code; self.message = message; self.fatal = fatal; self.seq = seq
    }
}

/// Cumulative: every durable message up to and including `seq` is committed by the receiver.
public struct Ack: Codable, Sendable, Equatable {
    public var seq: Int
    public init(seq: Int) { self.seq = seq }
}

/// Parent → child: a case now held in the child's subtree, with its whole history.
public struct Dispatch: Codable, Sendable, Equatable {
    public var seq: Int
    public var `case`: Case
    public var events: [CaseEvent]
    public init(seq: Int, case c: Case, events: [CaseEvent]) { self.seq = seq; self.case = c; self.events = events }
}

/// Either direction: one new event of a case, with the case as that event leaves it.
public struct Update: Codable, Sendable, Equatable {
    public var seq: Int
    public var `case`: Case
    public var event: CaseEvent
    public init(seq: Int, case c: Case, event: CaseEvent) { self.seq = seq; self.case = c; self.event = event }
}

/// Child → parent, not durable: the child's counters, sent when they change (about once a second at most).
public struct Summary: Codable, Sendable, Equatable {
    public var node: String
    public var at: Date
    public var counters: CounterSet
    /// The sender's own children as it sees them, so the city can draw two levels of the tree.
    public var children: [ChildSummary]?
    public init(node: String, at: Date, counters: CounterSet, children: [ChildSummary]? = nil) {
        self.node = node; self.at = at; self.counters = counters; self.children = children
    }
}

public struct ChildSummary: Codable, Sendable, Equatable {
    public var id: String
    public var name: String?
    public var state: String
    public var subtree: Counters?
    public init(id: String, name: String? = nil, state: String, subtree: Counters?) {
        self.id = id; self.name = name; self.state = state; self.subtree = subtree
    }
}
