import CivicCases
import CivicWire
import Foundation

extension NodeConfig {
    /// Reads a config file, applies `CIVICMESH_<FIELD>` overrides from `environment`, and validates it.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) -> NodeConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, field: "-", problem: "cannot read the file")
        }
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: data) } catch {
            throw ConfigError(file: path, field: "-", problem: "not valid JSON: \(JSONPosition.describe(error, in: data))")
        }
        guard var object = parsed as? [String: Any] else {
            throw ConfigError(file: path, field: "-", problem: "the file must hold one JSON object ({…}), not \(parsed is [Any] ? "an array" : "a single value")")
        }
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        for key in object.keys.sorted() where !known.contains(key) {
            let hint = Suggest.closest(to: key, among: known).map { "; did you mean \"\($0)\"?" } ?? ""
            throw ConfigError(file: path, field: key, problem: "is not a config field\(hint)")
        }
        for key in CodingKeys.allCases {
            let envName = "CIVICMESH_" + key.rawValue.uppercased()
            guard let raw = environment[envName] else { continue }
            object[key.rawValue] = try overrideValue(raw, key: key, envName: envName, file: path)
        }
        let config: NodeConfig
        do {
            let merged = try JSONSerialization.data(withJSONObject: object)
            config = try WireJSON.decoder().decode(NodeConfig.self, from: merged)
        } catch let error as DecodingError {
            throw ConfigError(file: path, field: Self.field(of: error), problem: Self.problem(of: error))
        } catch {
            throw ConfigError(file: path, field: "-", problem: "\(error)")
        }
        var resolved = config
        // A relative data_dir is where the config file is, not wherever the node happens to be started from.
        if !resolved.dataDir.isEmpty, !resolved.dataDir.hasPrefix("/") {
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
            resolved.dataDir = folder.appendingPathComponent(resolved.dataDir).standardizedFileURL.path
        }
        if let file = resolved.secretsFile, !file.isEmpty {
            let secretsPath = file.hasPrefix("/") ? file : URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(file).standardizedFileURL.path
            resolved.secretsFile = secretsPath
            if resolved.parentSecret != nil || !resolved.childSecrets.isEmpty {
                throw ConfigError(file: path, field: "secrets_file", problem: "the config names a secrets file and holds secrets itself: keep them in one place")
            }
            let secrets = try LinkSecrets.read(secretsPath)
            resolved.parentSecret = secrets.parentSecret
            resolved.childSecrets = secrets.childSecrets
        }
        try resolved.validate(file: path)
        return resolved
    }

    /// Refuses secrets others can read (as ssh does with a private key): the file that holds this node's
    /// link secrets — its secrets file, or the config itself — must be readable by its owner only.
    public func checkSecretsArePrivate(configPath: String) throws(ConfigError) {
        let holder = secretsFile ?? configPath
        guard parentSecret != nil || !childSecrets.isEmpty, let mode = PrivateFile.openToOthers(holder) else { return }
        throw ConfigError(file: configPath, field: secretsFile == nil ? "parent_secret" : "secrets_file",
                          problem: "\(holder) holds link secrets and is readable by others (mode \(String(mode, radix: 8))): run `chmod 600 \(holder)`; a node does not start with secrets others can read")
    }

    private static func overrideValue(_ raw: String, key: CodingKeys, envName: String, file: String) throws(ConfigError) -> Any {
        switch key {
        case .codes:
            return raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        case .maxLineBytes:
            guard let v = Int(raw) else { throw ConfigError(file: file, field: key.rawValue, problem: "\(envName)=\(raw) is not an integer") }
            return v
        case .heartbeatInterval, .heartbeatTimeout, .topicThreshold, .intakeRatePerToken, .intakeRatePerAddress, .clockSpeed, .drainGrace:
            guard let v = Double(raw) else { throw ConfigError(file: file, field: key.rawValue, problem: "\(envName)=\(raw) is not a number") }
            return v
        case .childSecrets:
            // "id=secret,id=secret"
            var out: [String: String] = [:]
            for pair in raw.split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw ConfigError(file: file, field: key.rawValue, problem: "\(envName) must be id=secret,id=secret") }
                out[parts[0]] = parts[1]
            }
            return out
        case .topology:
            guard let data = FileManager.default.contents(atPath: raw), let obj = try? JSONSerialization.jsonObject(with: data) else {
                throw ConfigError(file: file, field: key.rawValue, problem: "\(envName)=\(raw) is not a readable topology JSON file")
            }
            return obj
        default:
            return raw
        }
    }

    /// Checks everything a running node relies on; the first problem is reported.
    public func validate(file: String) throws(ConfigError) {
        func fail(_ field: String, _ problem: String) -> ConfigError { ConfigError(file: file, field: field, problem: problem) }
        if let problem = topology.problems().first { throw fail("topology", problem) }
        do throws(CalendarError) { _ = try topology.deadlineClock() } catch { throw fail("topology.calendar", error.description) }
        guard let unit else { throw fail("id", "node \(id) is not in the config's topology") }
        if unit.tier != tier { throw fail("tier", "topology says \(id) is a \(unit.tier.rawValue), config says \(tier.rawValue)") }
        if HostPort.parse(httpListen) == nil { throw fail("http_listen", "\"\(httpListen)\" is not host:port") }
        if tier != .street, HostPort.parse(meshListen) == nil { throw fail("mesh_listen", "\"\(meshListen)\" is not host:port") }
        if dataDir.isEmpty { throw fail("data_dir", "must not be empty") }
        if maxLineBytes < 1024 || maxLineBytes > 64 << 20 { throw fail("max_line_bytes", "must be between 1024 and 67108864, got \(maxLineBytes)") }
        if !(heartbeatInterval > 0) { throw fail("heartbeat_interval", "must be positive") }
        if !(heartbeatTimeout > heartbeatInterval) { throw fail("heartbeat_timeout", "must be greater than heartbeat_interval") }
        if let topicThreshold, !(topicThreshold >= 0 && topicThreshold.isFinite) {
            throw fail("topic_threshold", "must be a finite number ≥ 0, got \(topicThreshold)")
        }
        for (field, rate) in [("intake_rate_per_token", intakeRatePerToken), ("intake_rate_per_address", intakeRatePerAddress)] where !(rate >= 0 && rate.isFinite) {
            throw fail(field, "must be a number of requests a second ≥ 0 (0: no limit), got \(rate)")
        }
        if !(drainGrace >= 0 && drainGrace <= 3600) { throw fail("drain_grace", "must be seconds from 0 to 3600, got \(drainGrace)") }
        if !(clockSpeed > 0 && clockSpeed <= 10_000_000) { throw fail("clock_speed", "must be above 0 and at most 10000000 (1: real time), got \(clockSpeed)") }
        if clockSpeed != 1, clockAnchor == nil { throw fail("clock_anchor", "a clock_speed other than 1 needs the time it starts from (clock_anchor)") }
        if tier == .city {
            if parentId != nil || parentAddress != nil { throw fail("parent_id", "the city node has no parent") }
        } else {
            guard let parentId, !parentId.isEmpty else { throw fail("parent_id", "a \(tier.rawValue) node needs its parent's id") }
            if let expected = topology.parent(of: id), expected != parentId {
                throw fail("parent_id", "topology says the parent of \(id) is \(expected), config says \(parentId)")
            }
            guard let parentAddress, HostPort.parse(parentAddress) != nil else { throw fail("parent_address", "a \(tier.rawValue) node needs its parent's host:port") }
            guard let parentSecret, parentSecret.count >= 16 else { throw fail("parent_secret", "must be at least 16 characters") }
        }
        for child in unit.children where (childSecrets[child.id]?.count ?? 0) < 16 {
            throw fail("child_secrets", "no secret (≥ 16 characters) for child \(child.id)")
        }
        for key in childSecrets.keys where !unit.children.contains(where: { $0.id == key }) {
            throw fail("child_secrets", "\(key) is not a child of \(id)")
        }
    }

    private static func field(of error: DecodingError) -> String {
        let path: [any CodingKey]
        switch error {
        case .keyNotFound(let key, let ctx): path = ctx.codingPath + [key]
        case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx), .dataCorrupted(let ctx): path = ctx.codingPath
        @unknown default: path = []
        }
        let text = path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        return text.isEmpty ? "-" : text
    }

    private static func problem(of error: DecodingError) -> String {
        switch error {
        case .keyNotFound: "is required"
        case .typeMismatch(let type, _): "has the wrong type (expected \(type))"
        case .valueNotFound(let type, _): "is null (expected \(type))"
        case .dataCorrupted(let ctx): ctx.debugDescription
        @unknown default: "\(error)"
        }
    }
}

/// Where a JSON syntax error is, as "line L, column C", from Foundation's error (it names a byte offset
/// or a line and column, depending on the platform) or, failing that, its own message.
enum JSONPosition {
    static func describe(_ error: any Error, in data: Data) -> String {
        let ns = error as NSError
        let detail = (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? ns.localizedDescription
        var index = ns.userInfo["NSJSONSerializationErrorIndex"] as? Int
        if index == nil, let range = detail.range(of: "around character ") {
            index = Int(detail[range.upperBound...].prefix { $0.isNumber })
        }
        guard let index else { return detail }
        let (line, column) = lineAndColumn(of: index, in: data)
        return "\(detail.replacingOccurrences(of: "around character \(index)", with: "at byte \(index)")) (line \(line), column \(column))"
    }

    static func lineAndColumn(of offset: Int, in data: Data) -> (Int, Int) {
        var line = 1, column = 1
        for byte in data.prefix(offset) {
            if byte == 0x0A { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
        }
        return (line, column)
    }
}

/// The closest known name to a misspelt one (edit distance at most 3), for "did you mean".
public enum Suggest {
    public static func closest(to word: String, among candidates: Set<String>) -> String? {
        let scored = candidates.map { ($0, distance(Array(word.lowercased()), Array($0))) }.filter { $0.1 <= 3 }
        return scored.min { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }?.0
    }

    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// A node's link secrets in a file of their own: `{"parent_secret": "…", "child_secrets": {"id": "…"}}`.
public struct LinkSecrets: Codable, Sendable, Equatable {
    public var parentSecret: String?
    public var childSecrets: [String: String]
    enum CodingKeys: String, CodingKey { case parentSecret = "parent_secret", childSecrets = "child_secrets" }
    public init(parentSecret: String?, childSecrets: [String: String]) { self.parentSecret = parentSecret; self.childSecrets = childSecrets }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        parentSecret = try c.decodeIfPresent(String.self, forKey: .parentSecret)
        childSecrets = try c.decodeIfPresent([String: String].self, forKey: .childSecrets) ?? [:]
    }

    public static func read(_ path: String) throws(ConfigError) -> LinkSecrets {
        guard let data = FileManager.default.contents(atPath: path) else { throw ConfigError(file: path, field: "secrets_file", problem: "cannot read the secrets file") }
        do { return try JSONDecoder().decode(LinkSecrets.self, from: data) } catch {
            throw ConfigError(file: path, field: "secrets_file", problem: "not a secrets file ({\"parent_secret\": …, \"child_secrets\": {…}}): \(error)")
        }
    }

    /// Secrets for every node of a topology, one per link, keeping whatever `existing` files already say
    /// (either end of a link), so running it again changes nothing and a half-written set is completed.
    public static func forTopology(_ topology: Topology, existing: [String: LinkSecrets]) -> [String: LinkSecrets] {
        var linkSecret: [String: String] = [:]  // child id → secret
        for n in topology.allNodes {
            guard let parent = topology.parent(of: n.id) else { continue }
            linkSecret[n.id] = existing[n.id]?.parentSecret ?? existing[parent]?.childSecrets[n.id] ?? Hex.encode(SecureRandom.bytes(24))
        }
        var out: [String: LinkSecrets] = [:]
        for n in topology.allNodes {
            out[n.id] = LinkSecrets(parentSecret: linkSecret[n.id], childSecrets: Dictionary(uniqueKeysWithValues: n.children.map { ($0.id, linkSecret[$0.id]!) }))
        }
        return out
    }
}
