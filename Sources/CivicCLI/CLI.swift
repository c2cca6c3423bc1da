import CivicNode
import CivicStore
import Foundation

/// The `civicmesh` command line. Kept nonisolated on purpose: closures made in top-level code would
/// inherit the main actor and trap when Dispatch runs them elsewhere.
public enum CLI {
    static let usage = """
        civicmesh — a mesh of city, district and street nodes for citizen requests (12345 / 311)

        usage:
          civicmesh up [--topology FILE] [--data DIR] [--base-port N] [--topic-model FILE]   run a whole city on loopback
          civicmesh node --config FILE                                  run one node
          civicmesh status [--url URL] [--json]                         a node's status as a tree table
          civicmesh submit --subject TEXT [--detail T] [--address A] [--division CODE]
                           [--channel C] [--name N] [--phone P] [--category C] [--url URL]
          civicmesh assign CASE_ID --target NODE_ID [--category C] [--url URL]
          civicmesh case show|accept|progress|resolve|return CASE_ID [--note T] [--reply T] [--reason T] [--url URL]
          civicmesh cases [--state S] [--node ID] [--limit N] [--after CURSOR] [--url URL]
          civicmesh topology import --divisions FILE [--out FILE] [--prefix P]
          civicmesh topology configs --topology FILE --out DIR [--base-port N] [--host H]
          civicmesh topology compose [--topology FILE] [--out DIR]      docker-compose.yml + deploy/config/*.json
          civicmesh topology sample                                     print the built-in sample city
          civicmesh classify train|eval|cv|text …                       topic classifier (see `classify help`)
          civicmesh triage place [--divisions FILE | --topology FILE] "address or message"   place + request type
          civicmesh triage duplicates --data CSV [--threshold 0.4] [--sample 50]   repeat reports in a message file
          civicmesh bench [--cases N] [--data DIR]                      throughput city→street on a local city
        """

    public static func main(_ arguments: [String]) -> Int32 {
        let args = Array(arguments.dropFirst())
        guard let command = args.first else {
            print(usage)
            return 2
        }
        let rest = Array(args.dropFirst())
        do {
            switch command {
            case "node": return try NodeCommand.run(rest)
            case "up": return try UpCommand.run(rest)
            case "status": return try StatusCommand.run(rest)
            case "submit": return try CaseCommands.submit(rest)
            case "assign": return try CaseCommands.assign(rest)
            case "case": return try CaseCommands.caseAction(rest)
            case "cases": return try CaseCommands.list(rest)
            case "topology": return try TopologyCommands.run(rest)
            case "classify": return classifyCommand(rest)
            case "triage": return try TriageCommands.run(rest)
            case "bench": return try BenchCommand.run(rest)
            case "store-crash-drill":
                // Internal: the storage layer's SIGKILL test drives this (prints "acked <id>" after each commit).
                guard let path = rest.first else { throw UsageError("store-crash-drill needs a database path") }
                StoreCrashDrill.run(path: path)
            case "help", "--help", "-h":
                print(usage)
                return 0
            case "version", "--version":
                print("civicmesh \(civicMeshVersion)")
                return 0
            default:
                throw UsageError("unknown command \"\(command)\"")
            }
        } catch let error as UsageError {
            printError("civicmesh: \(error.message)\n\n\(usage)")
            return 2
        } catch let error as ConfigError {
            printError("civicmesh: \(error)")
            return 2
        } catch {
            printError("civicmesh: \(error)")
            return 1
        }
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
