import CivicCases
@testable import CivicNode
import Foundation
import TestSupport
import Testing

@Suite struct ConfigTests {
    let dir = TempDirectory("config")

    func sampleConfigs() -> [NodeConfig] {
        ConfigGenerator.configs(for: SampleTopology.load(), options: .init(basePort: 7400, dataRoot: dir.path))
    }

    func write(_ object: [String: Any], _ name: String = "node.json") throws -> String {
        let path = dir.file(name)
        // Owner-only, as the generators write configs: a node refuses link secrets others can read.
        try PrivateFile.write(try JSONSerialization.data(withJSONObject: object), to: path)
        return path
    }

    func object(_ c: NodeConfig) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: try ConfigGenerator.encode(c)) as! [String: Any]
    }

    func expectInvalid(_ object: [String: Any], field: String, _ fragment: String, env: [String: String] = [:]) throws {
        let path = try write(object)
        do {
            _ = try NodeConfig.load(path: path, environment: env)
            Issue.record("config should be refused (\(field))")
        } catch {
            #expect(error.file == path && error.field == field && error.problem.contains(fragment), "\(error) — expected field \(field), problem containing \"\(fragment)\"")
            #expect(error.description.contains(path) && error.description.contains(field))
        }
    }

    @Test func generatedConfigsLoadAndMatchTheTopology() throws {
        let configs = sampleConfigs()
        #expect(configs.count == 12)
        for c in configs {
            let path = dir.file("\(c.id).json")
            try ConfigGenerator.encode(c).write(to: URL(fileURLWithPath: path))
            let loaded = try NodeConfig.load(path: path, environment: [:])
            #expect(loaded == c)
        }
        let street = configs.first { $0.id == "s990102001" }!
        let district = configs.first { $0.id == "d990102" }!
        #expect(street.parentSecret == district.childSecrets["s990102001"], "both ends of a link share its secret")
        #expect(Set(configs.compactMap(\.parentSecret)).count == 11, "one fresh secret per link")
        #expect(street.parentAddress == district.meshListen)
    }

    /// Found with departments: generated configs kept only prefix, tree and catalogue, so a city's own time-limit
    /// policy and calendar never reached its nodes.
    @Test func generatedConfigsCarryEveryCitywideSetting() throws {
        var topology = SampleTopology.load()
        var policy = DeadlinePolicy.sample
        policy.verdicts.within = TimeLimit(24, .hours)
        topology.deadlines = policy
        topology.calendar = try JSONDecoder().decode(WorkCalendar.File.self, from: Data(#"{"name": "test", "time_zone": "Asia/Shanghai", "working_hours": ["09:00-17:00"]}"#.utf8))
        for c in ConfigGenerator.configs(for: topology, options: .init(basePort: 7400, dataRoot: dir.path)) {
            #expect(c.topology.deadlines == policy && c.topology.calendar == topology.calendar && c.topology.handledAt == ["劳动和社会保障": .district], "\(c.id)")
            #expect(c.topology.catalogue == topology.catalogue && c.topology.casePrefix == topology.casePrefix)
        }
    }

    @Test func eachInvalidFieldIsNamed() throws {
        let district = try object(sampleConfigs().first { $0.id == "d990101" }!)
        var o = district; o["tier"] = "province"
        try expectInvalid(o, field: "tier", "province")
        o = district; o.removeValue(forKey: "http_listen")
        try expectInvalid(o, field: "http_listen", "required")
        o = district; o["http_listen"] = "nowhere"
        try expectInvalid(o, field: "http_listen", "not host:port")
        o = district; o["parent_secret"] = "short"
        try expectInvalid(o, field: "parent_secret", "16")
        o = district; o["heartbeat_interval"] = "fast"
        try expectInvalid(o, field: "heartbeat_interval", "wrong type")
        o = district; o["id"] = "d404"
        try expectInvalid(o, field: "id", "not in the config's topology")
        o = district; o["parent_id"] = "d990102"
        try expectInvalid(o, field: "parent_id", "topology says")
        o = district; o["child_secrets"] = ["s990101001": String(repeating: "a", count: 20)]
        try expectInvalid(o, field: "child_secrets", "no secret")
        try expectInvalid(district, field: "max_line_bytes", "not an integer", env: ["CIVICMESH_MAX_LINE_BYTES": "lots"])
        o = district; o["topic_threshold"] = -1
        try expectInvalid(o, field: "topic_threshold", "≥ 0")
        o = district; o["topic_threshold"] = "high"
        try expectInvalid(o, field: "topic_threshold", "wrong type")
        try expectInvalid(district, field: "topic_threshold", "not a number", env: ["CIVICMESH_TOPIC_THRESHOLD": "strict"])
        let notJSON = dir.file("broken.json")
        try Data("{".utf8).write(to: URL(fileURLWithPath: notJSON))
        #expect(throws: ConfigError.self) { try NodeConfig.load(path: notJSON, environment: [:]) }
    }

    @Test func environmentOverridesEveryKindOfField() throws {
        let path = try write(try object(sampleConfigs().first { $0.id == "d990101" }!))
        let c = try NodeConfig.load(path: path, environment: [
            "CIVICMESH_HTTP_LISTEN": "127.0.0.1:9999", "CIVICMESH_NAME": "东湖区中心", "CIVICMESH_CODES": "990101, 990199",
            "CIVICMESH_HEARTBEAT_TIMEOUT": "7.5", "CIVICMESH_PARENT_SECRET": "an-overridden-secret-value",
        ])
        #expect(c.httpListen == "127.0.0.1:9999" && c.name == "东湖区中心" && c.codes == ["990101", "990199"])
        #expect(c.heartbeatTimeout == 7.5 && c.parentSecret == "an-overridden-secret-value")
    }

    @Test func theNodeCommandRefusesAnInvalidConfigWithStatus2() throws {
        var o = try object(sampleConfigs().first { $0.id == "city" }!)
        o["http_listen"] = "127.0.0.1:notaport"
        let path = try write(o, "bad.json")
        let p = try CivicProcess(["node", "--config", path], log: dir.file("bad.log"))
        #expect(p.wait() == 2)
        let lines = p.output.split(separator: "\n")
        #expect(lines.count == 1, "one clear line: \(p.output)")
        #expect(p.output.contains(path) && p.output.contains("http_listen"))
        let missing = try CivicProcess(["node", "--config", dir.file("absent.json")], log: dir.file("absent.log"))
        #expect(missing.wait() == 2 && missing.output.contains("cannot read"))
        var withModel = try object(sampleConfigs().first { $0.id == "city" }!)
        try Data("not a model".utf8).write(to: URL(fileURLWithPath: dir.file("bogus.model")))
        withModel["topic_model"] = dir.file("bogus.model")
        withModel["http_listen"] = "127.0.0.1:0"
        withModel["mesh_listen"] = "127.0.0.1:0"
        let badModel = try CivicProcess(["node", "--config", try write(withModel, "model.json")], log: dir.file("model.log"))
        #expect(badModel.wait() == 2 && badModel.output.contains("topic_model"), "\(badModel.output)")
    }
}

@Suite struct TopicThresholdConfigTests {
    let dir = TempDirectory("topic-threshold")

    /// The built-in example model is sure of this one; a threshold above any margin makes every guess uncertain.
    @Test func aConfiguredThresholdReplacesTheModelsOwn() throws {
        let city = ConfigGenerator.configs(for: SampleTopology.load(), options: .init(basePort: 7500, dataRoot: dir.path))
            .first { $0.tier == .city }!
        let draft = CaseDraft(channel: .hotline, subject: "公交车司机开车玩手机", detail: "乘坐公交车时司机一路看手机，非常危险")
        let scope = city.topology.root
        let own = try NodeTriage.make(config: city).analyse(draft, within: scope)
        #expect(own.category != nil && own.uncertainTopics == nil, "the example model should be sure: \(own)")

        var strict = city
        strict.topicThreshold = 1e9
        let queued = try NodeTriage.make(config: strict).analyse(draft, within: scope)
        #expect(queued.category == nil)
        #expect(queued.uncertainTopics?.count == 3 && queued.uncertainTopics?.first?.hasPrefix(own.category!) == true, "\(queued)")

        let path = dir.file("city.json")
        try ConfigGenerator.encode(city).write(to: URL(fileURLWithPath: path))
        #expect(try NodeConfig.load(path: path, environment: ["CIVICMESH_TOPIC_THRESHOLD": "2.5"]).topicThreshold == 2.5)
        #expect(try NodeConfig.load(path: path, environment: [:]).topicThreshold == nil)
    }
}

@Suite struct DeployFilesTests {
    let dir = TempDirectory("deploy")
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    @Test func composeFileIsGeneratedFromTheSampleTopology() throws {
        let committed = try String(contentsOfFile: Self.root + "/docker-compose.yml", encoding: .utf8)
        #expect(committed == ComposeGenerator.compose(for: SampleTopology.load(), source: "the built-in sample topology"),
                "docker-compose.yml is out of step with the sample topology: run `civicmesh topology compose`")
    }

    /// Found when the sample city gained departments: the committed configs kept the old topology.
    @Test func theCommittedConfigsCarryTheSampleTopologyAsItIsNow() throws {
        let committed = try JSONDecoder().decode(Topology.self, from: Data(contentsOf: URL(fileURLWithPath: Self.root + "/deploy/config/topology.json")))
        #expect(committed == SampleTopology.load(), "deploy/config/topology.json is out of step: run `civicmesh topology compose`")
        let city = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.root + "/deploy/config/city.json"))) as? [String: Any])
        let topology = try JSONDecoder().decode(Topology.self, from: JSONSerialization.data(withJSONObject: try #require(city["topology"])))
        #expect(topology.handledAt == SampleTopology.load().handledAt && topology.find("d990101")?.departments == SampleTopology.load().find("d990101")?.departments)
    }

    @Test func everyConfigTheComposeFileReferencesExistsAndLoads() throws {
        let compose = try String(contentsOfFile: Self.root + "/docker-compose.yml", encoding: .utf8)
        let referenced = compose.split(separator: "\n").compactMap { line -> String? in
            guard let r = line.range(of: "./deploy/config/"), let end = line.range(of: ".json:/etc/civicmesh/node.json") else { return nil }
            return "deploy/config/" + line[r.upperBound..<end.lowerBound] + ".json"
        }
        let topology = SampleTopology.load()
        #expect(referenced.count == topology.allNodes.count)
        // No secret is committed; the `secrets` service runs `topology secrets` on the committed topology at
        // first start. Run that command the same way, into a folder standing in for the volume.
        for file in try FileManager.default.contentsOfDirectory(atPath: Self.root + "/deploy/config") {
            let text = try String(contentsOfFile: Self.root + "/deploy/config/" + file, encoding: .utf8)
            #expect(!text.contains("parent_secret") && !text.contains("\"child_secrets\" : {\n    \""), "\(file) must not hold a secret")
        }
        #expect(compose.contains("\"topology\", \"secrets\", \"--topology\", \"/etc/civicmesh/topology.json\"") && compose.contains("service_completed_successfully"))
        let volume = dir.file("secrets-volume")
        let generate = try CivicProcess(["topology", "secrets", "--topology", Self.root + "/deploy/config/topology.json", "--out", volume], log: dir.file("secrets.log"))
        #expect(generate.wait() == 0, "\(generate.output)")
        let firstRun = try FileManager.default.contentsOfDirectory(atPath: volume).sorted().map { try String(contentsOfFile: volume + "/" + $0, encoding: .utf8) }
        #expect(try CivicProcess(["topology", "secrets", "--topology", Self.root + "/deploy/config/topology.json", "--out", volume], log: dir.file("secrets2.log")).wait() == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: volume).sorted().map { try String(contentsOfFile: volume + "/" + $0, encoding: .utf8) } == firstRun,
                "a second start keeps the secrets")
        var loaded: [String: NodeConfig] = [:]
        for file in referenced {
            let id = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
            #expect(PrivateFile.openToOthers(volume + "/\(id).json") == nil, "secrets are written 0600")
            let c = try NodeConfig.load(path: Self.root + "/" + file, environment: ["CIVICMESH_SECRETS_FILE": volume + "/\(id).json"])
            #expect(c.secretsFile == volume + "/\(id).json")
            try c.checkSecretsArePrivate(configPath: Self.root + "/" + file)
            #expect(topology.find(c.id)?.tier == c.tier)
            #expect(c.httpListen == "0.0.0.0:\(ComposeGenerator.httpPort)" && c.dataDir == "/var/lib/civicmesh")
            if let p = c.parentId { #expect(c.parentAddress == "\(p):\(ComposeGenerator.meshPort)") }
            loaded[c.id] = c
        }
        for c in loaded.values {
            for (child, secret) in c.childSecrets { #expect(loaded[child]?.parentSecret == secret, "both ends of \(c.id)→\(child) share a secret") }
        }
        let dockerfile = try String(contentsOfFile: Self.root + "/deploy/Dockerfile", encoding: .utf8)
        #expect(dockerfile.contains("/etc/civicmesh/node.json") && dockerfile.contains("libsqlite3"))
        #expect(compose.contains("\"/etc/civicmesh/node.json\"") && compose.contains("/healthz"))
    }
}
