import CivicNode
import CivicStore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The `civicmesh` command line. Kept nonisolated on purpose: closures made in top-level code would
/// inherit the main actor and trap when Dispatch runs them elsewhere.
public enum CLI {
    static var usage: String { CommandSpec.overview }

    public static func main(_ arguments: [String]) -> Int32 {
        // Every file civicmesh creates (configs with secrets, databases with citizens' phones, logs) is its
        // owner's alone unless a step says otherwise.
        umask(0o077)
        let args = Array(arguments.dropFirst())
        guard let command = args.first else {
            print(usage)
            return 2
        }
        let rest = Array(args.dropFirst())
        if command != "classify", rest.contains("--help") || rest.contains("-h") {
            // "topology configs --help" → the spec of "topology configs"; "topology --help" → every topology verb.
            let verb = rest.first.map { "\(command) \($0)" }
            if let verb, let spec = CommandSpec.find(verb) { print(spec.help); return 0 }
            if let spec = CommandSpec.find(command) { print(spec.help); return 0 }
            let family = CommandSpec.all.filter { $0.key.hasPrefix(command + " ") }
            if !family.isEmpty { print(family.map(\.help).joined(separator: "\n\n")); return 0 }
        }
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
            case "token": return try TokenCommand.run(rest)
            case "calendar": return try CalendarCommand.run(rest)
            case "backup": return try BackupCommand.run(rest)
            case "restore": return try RestoreCommand.run(rest)
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
