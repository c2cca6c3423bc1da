import CivicCases
import CivicNode
import CivicWire
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `civicmesh topology import|configs|sample`.
enum TopologyCommands {
    static func run(_ args: [String]) throws -> Int32 {
        guard let sub = args.first else { throw UsageError("topology needs import, configs or sample") }
        let rest = Array(args.dropFirst())
        switch sub {
        case "import":
            let a = try Arguments(rest, command: "topology import")
            let path = try a.required("divisions")
            guard let data = FileManager.default.contents(atPath: path) else { throw UsageError("cannot read \(path)") }
            let topology = try Topology.fromDivisions(json: data, casePrefix: a["prefix"])
            try write(try encode(topology), to: a["out"])
            let nodes = topology.allNodes
            printError("topology: \(nodes.filter { $0.tier == .district }.count) districts, \(nodes.filter { $0.tier == .street }.count) streets, case prefix \(topology.casePrefix)")
            return 0
        case "configs":
            let a = try Arguments(rest, command: "topology configs")
            let topology = try loadTopology(try a.required("topology"))
            let out = try a.required("out")
            var hosts: [String: String] = [:]
            if let file = a["hosts"] {
                guard let data = FileManager.default.contents(atPath: file),
                      let map = (try? JSONSerialization.jsonObject(with: data)) as? [String: String] else {
                    throw UsageError("--hosts \(file) must be a readable JSON object {\"node id\": \"host\"}")
                }
                for id in map.keys where topology.find(id) == nil { throw UsageError("--hosts names \(id), which is not in the topology") }
                hosts = map
            }
            let basePort = try a.int("base-port", default: 7400)
            guard (1...65535).contains(basePort), basePort + 2 * topology.allNodes.count <= 65536 else {
                throw UsageError("--base-port \(basePort) leaves no room for \(topology.allNodes.count) nodes × 2 ports below 65536")
            }
            let options = ConfigGenerator.Options(host: a["host"] ?? "127.0.0.1", basePort: basePort, dataRoot: a["data-root"] ?? "data",
                                                  advertise: a["advertise"], hosts: hosts)
            if let problem = options.problem(for: topology) { throw UsageError(problem) }
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let configs = ConfigGenerator.configs(for: topology, options: options)
            for config in configs { try ConfigGenerator.write(config, to: "\(out)/\(config.id).json") }
            printError("wrote \(configs.count) node configs to \(out) (mode 0600: they hold the link secrets)")
            printError(reachability(configs, topology: topology).joined(separator: "\n"))
            return 0
        case "compose":
            // Writes docker-compose.yml and deploy/config/*.json under --out (default: the current directory).
            let a = try Arguments(rest, command: "topology compose")
            let out = a["out"] ?? "."
            let source = a["topology"] ?? "the built-in sample topology"
            let topology = try a["topology"].map(loadTopology) ?? SampleTopology.load()
            try FileManager.default.createDirectory(atPath: "\(out)/\(ComposeGenerator.configDir)", withIntermediateDirectories: true)
            // These configs hold no secret (the `secrets` service writes those at first start): readable files.
            for config in ComposeGenerator.configs(for: topology) {
                try ConfigGenerator.encode(config).write(to: URL(fileURLWithPath: "\(out)/\(ComposeGenerator.configDir)/\(config.id).json"))
                chmod("\(out)/\(ComposeGenerator.configDir)/\(config.id).json", 0o644)
            }
            try encode(topology).write(to: URL(fileURLWithPath: "\(out)/\(ComposeGenerator.configDir)/topology.json"))
            chmod("\(out)/\(ComposeGenerator.configDir)/topology.json", 0o644)
            try Data(ComposeGenerator.compose(for: topology, source: source).utf8).write(to: URL(fileURLWithPath: "\(out)/docker-compose.yml"))
            chmod("\(out)/docker-compose.yml", 0o644)
            // The same configs serve Kubernetes (a ConfigMap), with a Service and a StatefulSet per node.
            try FileManager.default.createDirectory(atPath: "\(out)/deploy/k8s", withIntermediateDirectories: true)
            try Data(try KubernetesGenerator.json(for: topology).utf8).write(to: URL(fileURLWithPath: "\(out)/deploy/k8s/civicmesh.json"))
            chmod("\(out)/deploy/k8s/civicmesh.json", 0o644)
            printError("wrote \(out)/docker-compose.yml, deploy/k8s/civicmesh.json and \(topology.allNodes.count) configs in \(out)/\(ComposeGenerator.configDir)")
            return 0
        case "secrets":
            // One secrets file per node (0600), one secret per link; files already there are kept, so this
            // runs at every start of the compose setup and changes nothing after the first.
            let a = try Arguments(rest, command: "topology secrets")
            let topology = try loadTopology(try a.required("topology"))
            let out = try a.required("out")
            try PrivateFile.directory(out)
            var existing: [String: LinkSecrets] = [:]
            for n in topology.allNodes where FileManager.default.fileExists(atPath: "\(out)/\(n.id).json") {
                existing[n.id] = try LinkSecrets.read("\(out)/\(n.id).json")
            }
            let secrets = LinkSecrets.forTopology(topology, existing: existing)
            let e = JSONEncoder()
            e.outputFormatting = [.prettyPrinted, .sortedKeys]
            var written = 0
            for n in topology.allNodes where existing[n.id] != secrets[n.id] {
                try PrivateFile.write(try e.encode(secrets[n.id]!), to: "\(out)/\(n.id).json")
                written += 1
            }
            printError("topology secrets: \(written) written, \(topology.allNodes.count - written) kept in \(out)")
            return 0
        case "sample":
            try write(try encode(SampleTopology.load()), to: nil)
            return 0
        default:
            throw UsageError("unknown topology subcommand \"\(sub)\"")
        }
    }

    /// Which port must be reachable from where, for the firewall between offices.
    static func reachability(_ configs: [NodeConfig], topology: Topology) -> [String] {
        var lines = ["ports to open (everything else may stay closed):"]
        for c in configs {
            let children = topology.find(c.id)?.children.map(\.id) ?? []
            if !children.isEmpty {
                lines.append("  \(c.id) mesh \(c.meshListen): from its children's hosts (\(children.joined(separator: ", ")))")
            }
            lines.append("  \(c.id) http \(c.httpListen): from \(c.id)'s operators, front-ends and monitoring only")
        }
        if configs.contains(where: { $0.httpListen.hasPrefix("127.0.0.1:") }) {
            lines.append("  (listening on 127.0.0.1: reachable from this host only; give --host to listen elsewhere)")
        }
        return lines
    }

    static func loadTopology(_ path: String) throws -> Topology {
        guard let data = FileManager.default.contents(atPath: path) else { throw UsageError("cannot read topology \(path)") }
        let topology: Topology
        do { topology = try JSONDecoder().decode(Topology.self, from: data) } catch {
            throw UsageError("topology \(path) is not valid: \(error)")
        }
        if let problem = topology.problems().first { throw UsageError("topology \(path): \(problem)") }
        return topology
    }

    static func encode(_ topology: Topology) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try e.encode(topology)
    }

    static func write(_ data: Data, to path: String?) throws {
        if let path { try data.write(to: URL(fileURLWithPath: path)) } else { FileHandle.standardOutput.write(data); print() }
    }
}
