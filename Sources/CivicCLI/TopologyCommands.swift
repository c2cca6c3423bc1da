import CivicCases
import CivicNode
import CivicWire
import Foundation

/// `civicmesh topology import|configs|sample`.
enum TopologyCommands {
    static func run(_ args: [String]) throws -> Int32 {
        guard let sub = args.first else { throw UsageError("topology needs import, configs or sample") }
        let rest = Array(args.dropFirst())
        switch sub {
        case "import":
            let a = try Arguments(rest, options: ["divisions", "out", "prefix"])
            let path = try a.required("divisions")
            guard let data = FileManager.default.contents(atPath: path) else { throw UsageError("cannot read \(path)") }
            let topology = try Topology.fromDivisions(json: data, casePrefix: a["prefix"])
            try write(try encode(topology), to: a["out"])
            let nodes = topology.allNodes
            printError("topology: \(nodes.filter { $0.tier == .district }.count) districts, \(nodes.filter { $0.tier == .street }.count) streets, case prefix \(topology.casePrefix)")
            return 0
        case "configs":
            let a = try Arguments(rest, options: ["topology", "out", "base-port", "host", "data-root"])
            let topology = try loadTopology(try a.required("topology"))
            let out = try a.required("out")
            let options = ConfigGenerator.Options(host: a["host"] ?? "127.0.0.1", basePort: try a.int("base-port", default: 7400), dataRoot: a["data-root"] ?? "data")
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let configs = ConfigGenerator.configs(for: topology, options: options)
            for config in configs { try ConfigGenerator.encode(config).write(to: URL(fileURLWithPath: "\(out)/\(config.id).json")) }
            printError("wrote \(configs.count) node configs to \(out)")
            return 0
        case "compose":
            // Writes docker-compose.yml and deploy/config/*.json under --out (default: the current directory).
            let a = try Arguments(rest, options: ["topology", "out"])
            let out = a["out"] ?? "."
            let source = a["topology"] ?? "the built-in sample topology"
            let topology = try a["topology"].map(loadTopology) ?? SampleTopology.load()
            try FileManager.default.createDirectory(atPath: "\(out)/\(ComposeGenerator.configDir)", withIntermediateDirectories: true)
            for config in ComposeGenerator.configs(for: topology) {
                try ConfigGenerator.encode(config).write(to: URL(fileURLWithPath: "\(out)/\(ComposeGenerator.configDir)/\(config.id).json"))
            }
            try Data(ComposeGenerator.compose(for: topology, source: source).utf8).write(to: URL(fileURLWithPath: "\(out)/docker-compose.yml"))
            printError("wrote \(out)/docker-compose.yml and \(topology.allNodes.count) configs in \(out)/\(ComposeGenerator.configDir)")
            return 0
        case "sample":
            try write(try encode(SampleTopology.load()), to: nil)
            return 0
        default:
            throw UsageError("unknown topology subcommand \"\(sub)\"")
        }
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
