import CivicCases
import CivicWire
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes one config per node of a topology: ports assigned in order, one fresh secret per link.
public enum ConfigGenerator {
    public struct Options: Sendable {
        public var host: String
        public var basePort: Int
        public var dataRoot: String
        /// The address children dial, when it is not `host` (which may be a listen-all address like 0.0.0.0).
        public var advertise: String?
        /// Per office: node id → the host its children dial (a real deployment: each office its own server).
        public var hosts: [String: String]
        public init(host: String = "127.0.0.1", basePort: Int = 7400, dataRoot: String = "data", advertise: String? = nil, hosts: [String: String] = [:]) {
            self.host = host; self.basePort = basePort; self.dataRoot = dataRoot; self.advertise = advertise; self.hosts = hosts
        }

        /// The host a child dials to reach `parent`.
        public func dialHost(of parent: String) -> String { hosts[parent] ?? advertise ?? host }

        /// A listen-all address cannot be dialled: say so before 206 files carry it.
        public func problem(for topology: Topology) -> String? {
            let listenAll = ["0.0.0.0", "::", "[::]"]
            for n in topology.allNodes where !n.children.isEmpty && listenAll.contains(dialHost(of: n.id)) {
                return "children of \(n.id) would dial \(dialHost(of: n.id)), a listen-all address: give --advertise HOST or --hosts FILE"
            }
            return nil
        }
    }

    /// Node i gets HTTP on basePort + 2i and mesh on basePort + 2i + 1.
    public static func configs(for topology: Topology, options: Options) -> [NodeConfig] {
        let nodes = topology.allNodes
        var index: [String: Int] = [:]
        for (i, n) in nodes.enumerated() { index[n.id] = i }
        var secrets: [String: String] = [:]  // child id → secret of its link up
        for n in nodes where n.tier != .city { secrets[n.id] = Hex.encode(SecureRandom.bytes(24)) }
        return nodes.map { n in
            let i = index[n.id]!
            let parentId = topology.parent(of: n.id)
            let parentAddress = parentId.map { "\(options.dialHost(of: $0)):\(options.basePort + 2 * index[$0]! + 1)" }
            return NodeConfig(
                id: n.id, tier: n.tier, name: n.name, codes: n.codes,
                meshListen: "\(options.host):\(options.basePort + 2 * i + 1)", httpListen: "\(options.host):\(options.basePort + 2 * i)",
                parentId: parentId, parentAddress: parentAddress, parentSecret: secrets[n.id],
                childSecrets: Dictionary(uniqueKeysWithValues: n.children.map { ($0.id, secrets[$0.id]!) }),
                dataDir: "\(options.dataRoot)/\(n.id)",
                topology: view(of: topology, for: n))
        }
    }

    /// The topology a node's config carries: every city-wide setting (prefix, catalogue, where topics are handled,
    /// the time-limit policy, the calendar) and its part of the tree.
    static func view(of topology: Topology, for node: TopologyNode) -> Topology {
        var view = topology
        view.root = node.tier == .city ? topology.root : subtreeWithAncestors(topology, node.id)
        return view
    }

    /// A node's view of the topology: the path from the city down to it, plus its whole subtree.
    /// Enough to validate the parent link and to route within its subtree, without shipping the whole city.
    static func subtreeWithAncestors(_ topology: Topology, _ id: String) -> TopologyNode {
        guard let path = topology.root.path(to: id) else { return topology.root }
        func build(_ depth: Int, _ node: TopologyNode) -> TopologyNode {
            if depth == path.count - 1 { return node }
            var copy = node
            copy.children = node.children.filter { $0.id == path[depth + 1] }.map { build(depth + 1, $0) }
            return copy
        }
        return build(0, topology.root)
    }

    /// Writes a config readable by its owner only (0600): it may hold link secrets.
    public static func write(_ config: NodeConfig, to path: String) throws {
        try PrivateFile.write(try encode(config), to: path)
    }

    public static func encode(_ config: NodeConfig) throws -> Data {
        let e = WireJSON.encoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try e.encode(config)
    }
}

/// Files that hold secrets or personal data: created 0600 (0700 for folders), tightened when they exist.
public enum PrivateFile {
    public static func write(_ data: Data, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: "cannot write \(path): \(String(cString: strerror(errno)))"]) }
        defer { close(fd) }
        fchmod(fd, 0o600)
        var offset = 0
        while offset < data.count {
            let n = data[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
            offset += n
        }
    }

    /// Creates `path` (and parents) as 0700, or tightens it to 0700 when it exists.
    public static func directory(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        chmod(path, 0o700)
    }

    /// Creates an empty file as 0600 when it does not exist (SQLite takes an empty file as a new database,
    /// and gives its -wal and -shm files the same mode); tightens an existing one.
    public static func touch(_ path: String) {
        let fd = open(path, O_WRONLY | O_CREAT, 0o600)
        if fd >= 0 { fchmod(fd, 0o600); close(fd) }
        for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) { chmod(path + suffix, 0o600) }
    }

    /// The permission bits others than the owner have, when any.
    public static func openToOthers(_ path: String) -> mode_t? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        let mode = st.st_mode & 0o777
        return mode & 0o077 != 0 ? mode : nil
    }
}
