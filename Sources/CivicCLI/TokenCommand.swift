import CivicCases
import CivicNode
import Foundation

/// `civicmesh token create|list|revoke --config FILE`: on the node's database file, running or not.
enum TokenCommand {
    static func run(_ args: [String]) throws -> Int32 {
        guard let sub = args.first else { throw UsageError("token needs create, list or revoke") }
        let rest = Array(args.dropFirst())
        switch sub {
        case "create":
            let a = try Arguments(rest, command: "token create")
            let config = try NodeConfig.load(path: try a.required("config"))
            let raw = try a.required("role")
            guard let role = Role(rawValue: raw) else { throw UsageError("--role \(raw): use one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))") }
            guard let lifetime = TokenTable.parseLifetime(a["expires"] ?? "90d") else { throw UsageError("--expires \(a["expires"] ?? ""): use e.g. 90d, 12h, 30m or never") }
            let issued = try NodeTokens.create(config: config, role: role, unit: a["unit"], name: a["name"], lifetime: lifetime, department: a["department"])
            let r = issued.record
            printError("token \(r.name): \(r.role.rawValue) of \(r.unit) at \(config.id), expires \(r.expiresAt.map(WireDateText.text) ?? "never"); it is shown only now")
            print(issued.token)
            return 0
        case "list":
            let a = try Arguments(rest, command: "token list")
            let config = try NodeConfig.load(path: try a.required("config"))
            let records = try NodeTokens.list(config: config)
            let now = Date()
            if a.has("json") {
                let rows: [[String: Any]] = records.map { r in
                    ["name": r.name, "role": r.role.rawValue, "unit": r.unit, "created_at": WireDateText.text(r.createdAt),
                     "expires_at": r.expiresAt.map(WireDateText.text) ?? NSNull(), "revoked_at": r.revokedAt.map(WireDateText.text) ?? NSNull(), "state": r.state(at: now)]
                }
                print(String(decoding: try JSONSerialization.data(withJSONObject: ["tokens": rows], options: [.prettyPrinted, .sortedKeys]), as: UTF8.self))
                return 0
            }
            let table = [["NAME", "ROLE", "UNIT", "CREATED", "EXPIRES", "STATE"]] + records.map { r in
                [r.name, r.role.rawValue, r.unit, WireDateText.text(r.createdAt), r.expiresAt.map(WireDateText.text) ?? "never", r.state(at: now)]
            }
            print(StatusCommand.table(table).joined(separator: "\n"))
            return 0
        case "revoke":
            let a = try Arguments(rest, command: "token revoke")
            let config = try NodeConfig.load(path: try a.required("config"))
            guard a.positional.count == 1 else { throw UsageError("token revoke needs the token's NAME") }
            let r = try NodeTokens.revoke(config: config, name: a.positional[0])
            print("token \(r.name) revoked at \(r.revokedAt.map(WireDateText.text) ?? "?")")
            return 0
        default:
            throw UsageError("token has create, list and revoke, not \"\(sub)\"")
        }
    }
}

enum WireDateText {
    static func text(_ d: Date) -> String { ISO8601DateFormatter().string(from: d) }
}

/// The token an HTTP command sends: `--token`, else `$CIVICMESH_TOKEN`, else — when the URL is a node of a
/// local `up` — that node's admin token from `DATA/tokens.json`.
enum CLIToken {
    static func resolve(_ a: Arguments, url: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let t = a["token"], !t.isEmpty { return t }
        if let t = environment["CIVICMESH_TOKEN"], !t.isEmpty { return t }
        let dir = a["data"] ?? environment["CIVICMESH_DATA"] ?? "civicmesh-data"
        return localUpToken(dir: dir, url: url)
    }

    static func localUpToken(dir: String, url: String) -> String? {
        guard let meshData = FileManager.default.contents(atPath: dir + "/mesh.json"),
              let mesh = (try? JSONSerialization.jsonObject(with: meshData)) as? [String: Any],
              let nodes = mesh["nodes"] as? [[String: Any]],
              let tokensData = FileManager.default.contents(atPath: dir + "/tokens.json"),
              let tokens = (try? JSONSerialization.jsonObject(with: tokensData)) as? [String: String] else { return nil }
        var hostPort = url
        if let scheme = hostPort.range(of: "://") { hostPort = String(hostPort[scheme.upperBound...]) }
        hostPort = String(hostPort.prefix { $0 != "/" })
        let alternatives = [hostPort, hostPort.replacingOccurrences(of: "localhost", with: "127.0.0.1")]
        guard let node = nodes.first(where: { alternatives.contains($0["http"] as? String ?? "") }), let id = node["id"] as? String else { return nil }
        return tokens[id]
    }
}
