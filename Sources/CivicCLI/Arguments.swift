import CivicNode
import Foundation

/// A usage error: the message is printed with the command's usage and the process exits with status 2.
public struct UsageError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// `--name value`, `--flag` and positional words, parsed against the options a command declares.
/// A repeatable option (`--unlabelled A --unlabelled B`) collects every value, in order.
struct Arguments {
    private(set) var values: [String: String] = [:]
    private(set) var lists: [String: [String]] = [:]
    private(set) var flags: Set<String> = []
    private(set) var positional: [String] = []

    /// Parses against the options `CommandSpecs` lists for `command` (the same table `--help` prints).
    init(_ args: [String], command: String) throws {
        guard let spec = CommandSpec.find(command) else { throw UsageError("internal: no spec for \(command)") }
        try self.init(args, options: spec.optionNames, flags: spec.flagNames)
    }

    init(_ args: [String], options: Set<String>, flags allowedFlags: Set<String> = [], repeatable: Set<String> = []) throws {
        let options = options.union(repeatable)
        var i = 0
        while i < args.count {
            let word = args[i]
            if word.hasPrefix("--") {
                var name = String(word.dropFirst(2))
                var inline: String?
                if let eq = name.firstIndex(of: "=") {
                    inline = String(name[name.index(after: eq)...])
                    name = String(name[..<eq])
                }
                if allowedFlags.contains(name) {
                    flags.insert(name)
                } else if options.contains(name) {
                    let value: String
                    if let inline {
                        value = inline
                    } else {
                        guard i + 1 < args.count else { throw UsageError("option --\(name) needs a value") }
                        i += 1
                        value = args[i]
                    }
                    if repeatable.contains(name) { lists[name, default: []].append(value) } else { values[name] = value }
                } else {
                    let hint = Suggest.closest(to: name, among: options.union(allowedFlags)).map { "; did you mean --\($0)?" } ?? ""
                    throw UsageError("unknown option --\(name)\(hint)")
                }
            } else {
                positional.append(word)
            }
            i += 1
        }
    }

    subscript(_ name: String) -> String? { values[name] }
    /// Every value of a repeatable option, in the order given.
    func all(_ name: String) -> [String] { lists[name] ?? [] }
    func has(_ flag: String) -> Bool { flags.contains(flag) }

    func required(_ name: String) throws -> String {
        guard let v = values[name], !v.isEmpty else { throw UsageError("missing --\(name)") }
        return v
    }

    func int(_ name: String, default value: Int) throws -> Int {
        guard let raw = values[name] else { return value }
        guard let v = Int(raw) else { throw UsageError("--\(name) must be an integer, got \(raw)") }
        return v
    }
}
