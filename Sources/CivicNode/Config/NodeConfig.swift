import CivicCases
import CivicWire
import Foundation

/// One node's configuration file. Every field can be overridden by `CIVICMESH_<FIELD>` (upper case).
public struct NodeConfig: Codable, Sendable, Equatable {
    public var id: String
    public var tier: Tier
    public var name: String
    public var codes: [String]
    /// host:port where children connect (unused by a street, which has no children).
    public var meshListen: String
    public var httpListen: String
    public var parentId: String?
    public var parentAddress: String?
    public var parentSecret: String?
    /// Secret of each link to a child, by child id.
    public var childSecrets: [String: String]
    public var dataDir: String
    /// The node's own subtree of the city topology, plus the city-wide settings (case prefix, catalogue).
    public var topology: Topology
    public var maxLineBytes: Int
    public var heartbeatInterval: Double
    public var heartbeatTimeout: Double
    /// A topic model trained with `civicmesh classify train`; empty means the built-in example model.
    public var topicModel: String?
    /// Replaces the model's auto-dispatch threshold (its confidence measure, a log-odds margin for trained
    /// models; `classify train` prints it): higher sends more cases to the manual queue. Nil keeps the model's.
    public var topicThreshold: Double?
    /// `required` (the default): every mesh line after the handshake is sealed, and a peer that will not is
    /// refused. `off` only for measuring what sealing costs: both ends of a link must say so.
    public var linkEncryption: LinkEncryption

    public enum LinkEncryption: String, Codable, Sendable, CaseIterable { case required, off }
    /// A file (mode 0600) holding `parent_secret` and `child_secrets` instead of this config, so the config
    /// itself can be shared or mounted read-only (Docker secrets, `topology secrets`). Relative to the config.
    public var secretsFile: String?
    /// Case time runs this many times faster than the wall clock from `clockAnchor` (1: real time). For
    /// watching time limits run out on a local city (`up --speed`); never in production.
    public var clockSpeed: Double
    /// Where accelerated time starts (both clocks agree there); required with a speed other than 1.
    public var clockAnchor: Date?
    /// The clock every case operation of this node reads.
    public var caseClock: any CaseClock {
        guard clockSpeed != 1, let clockAnchor else { return SystemClock() }
        return ScaledClock(anchor: clockAnchor, speed: clockSpeed)
    }
    /// Intake requests a second one token may make (bursts of twice that); 0: no limit.
    public var intakeRatePerToken: Double
    /// Intake requests a second from one source address; 0: no limit.
    public var intakeRatePerAddress: Double
    /// Seconds a SIGTERM waits for the outbox to be acknowledged before the node stops anyway (nothing is lost
    /// either way: what is not acknowledged stays in the outbox and goes after the restart).
    public var drainGrace: Double

    public init(
        id: String, tier: Tier, name: String, codes: [String], meshListen: String, httpListen: String,
        parentId: String? = nil, parentAddress: String? = nil, parentSecret: String? = nil,
        childSecrets: [String: String] = [:], dataDir: String, topology: Topology,
        maxLineBytes: Int = 1 << 20, heartbeatInterval: Double = 1, heartbeatTimeout: Double = 5, topicModel: String? = nil,
        topicThreshold: Double? = nil, linkEncryption: LinkEncryption = .required,
        intakeRatePerToken: Double = 100, intakeRatePerAddress: Double = 200, secretsFile: String? = nil,
        clockSpeed: Double = 1, clockAnchor: Date? = nil, drainGrace: Double = 10
    ) {
        self.drainGrace = drainGrace
        self.id = id; self.tier = tier; self.name = name; self.codes = codes
        self.meshListen = meshListen; self.httpListen = httpListen
        self.parentId = parentId; self.parentAddress = parentAddress; self.parentSecret = parentSecret
        self.childSecrets = childSecrets; self.dataDir = dataDir; self.topology = topology
        self.maxLineBytes = maxLineBytes; self.heartbeatInterval = heartbeatInterval
        self.heartbeatTimeout = heartbeatTimeout; self.topicModel = topicModel
        self.topicThreshold = topicThreshold
        self.linkEncryption = linkEncryption
        self.intakeRatePerToken = intakeRatePerToken
        self.intakeRatePerAddress = intakeRatePerAddress
        self.secretsFile = secretsFile
        self.clockSpeed = clockSpeed
        self.clockAnchor = clockAnchor
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, tier, name, codes
        case meshListen = "mesh_listen", httpListen = "http_listen"
        case parentId = "parent_id", parentAddress = "parent_address", parentSecret = "parent_secret"
        case childSecrets = "child_secrets", dataDir = "data_dir", topology
        case maxLineBytes = "max_line_bytes", heartbeatInterval = "heartbeat_interval"
        case heartbeatTimeout = "heartbeat_timeout", topicModel = "topic_model"
        case topicThreshold = "topic_threshold"
        case linkEncryption = "link_encryption"
        case intakeRatePerToken = "intake_rate_per_token", intakeRatePerAddress = "intake_rate_per_address"
        case secretsFile = "secrets_file"
        case clockSpeed = "clock_speed", clockAnchor = "clock_anchor"
        case drainGrace = "drain_grace"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        tier = try c.decode(Tier.self, forKey: .tier)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? id
        codes = try c.decodeIfPresent([String].self, forKey: .codes) ?? []
        meshListen = try c.decodeIfPresent(String.self, forKey: .meshListen) ?? "127.0.0.1:0"
        httpListen = try c.decode(String.self, forKey: .httpListen)
        parentId = try c.decodeIfPresent(String.self, forKey: .parentId)
        parentAddress = try c.decodeIfPresent(String.self, forKey: .parentAddress)
        parentSecret = try c.decodeIfPresent(String.self, forKey: .parentSecret)
        childSecrets = try c.decodeIfPresent([String: String].self, forKey: .childSecrets) ?? [:]
        dataDir = try c.decode(String.self, forKey: .dataDir)
        topology = try c.decode(Topology.self, forKey: .topology)
        maxLineBytes = try c.decodeIfPresent(Int.self, forKey: .maxLineBytes) ?? 1 << 20
        heartbeatInterval = try c.decodeIfPresent(Double.self, forKey: .heartbeatInterval) ?? 1
        heartbeatTimeout = try c.decodeIfPresent(Double.self, forKey: .heartbeatTimeout) ?? 5
        topicModel = try c.decodeIfPresent(String.self, forKey: .topicModel)
        topicThreshold = try c.decodeIfPresent(Double.self, forKey: .topicThreshold)
        let encryption = try c.decodeIfPresent(String.self, forKey: .linkEncryption) ?? LinkEncryption.required.rawValue
        guard let parsed = LinkEncryption(rawValue: encryption) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [CodingKeys.linkEncryption], debugDescription: "must be \"required\" or \"off\", got \"\(encryption)\""))
        }
        linkEncryption = parsed
        intakeRatePerToken = try c.decodeIfPresent(Double.self, forKey: .intakeRatePerToken) ?? 100
        intakeRatePerAddress = try c.decodeIfPresent(Double.self, forKey: .intakeRatePerAddress) ?? 200
        secretsFile = try c.decodeIfPresent(String.self, forKey: .secretsFile)
        clockSpeed = try c.decodeIfPresent(Double.self, forKey: .clockSpeed) ?? 1
        clockAnchor = try c.decodeIfPresent(Date.self, forKey: .clockAnchor)
        drainGrace = try c.decodeIfPresent(Double.self, forKey: .drainGrace) ?? 10
    }

    /// What this node puts in `hello`/`challenge` as its line cipher.
    var offeredSeal: String { linkEncryption == .required ? LineSeal.cipherName : "none" }

    /// This node's unit in the topology (its subtree).
    public var unit: TopologyNode? { topology.find(id) }
}

/// A config could not be used. Names the file, the field and what is wrong, in one line.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var field: String
    public var problem: String
    public init(file: String, field: String, problem: String) { self.file = file; self.field = field; self.problem = problem }
    public var description: String { "invalid config \(file): field \"\(field)\": \(problem)" }
}

/// A host:port pair parsed from config.
public struct HostPort: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public init(host: String, port: Int) { self.host = host; self.port = port }
    public static func parse(_ text: String) -> HostPort? {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        let host = String(text[..<colon])
        guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        return HostPort(host: host, port: port)
    }
    public var description: String { "\(host):\(port)" }
}
