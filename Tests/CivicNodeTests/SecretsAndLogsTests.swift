import CivicCases
import CivicNode
import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Secrets and personal data on disk and in logs, with real node processes.
@Suite(.serialized) struct SecretsAndLogsTests {
    func run(_ args: [String], _ dir: TempDirectory, _ name: String) throws -> (status: Int32, output: String, stdout: String) {
        let out = Pipe()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CivicMeshBinary.path!)
        p.arguments = args
        p.standardOutput = out
        let errLog = dir.file(name + ".err")
        _ = FileManager.default.createFile(atPath: errLog, contents: nil)
        p.standardError = FileHandle(forWritingAtPath: errLog)
        try p.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, (try? String(contentsOfFile: errLog, encoding: .utf8)) ?? "", stdout)
    }

    /// In both log formats: text for a terminal, JSON (`CIVICMESH_LOG_FORMAT=json`) for a log shipper, where every
    /// line must be one JSON object with `ts`, `level`, `node` and `msg`.
    @Test(.timeLimit(.minutes(3)), arguments: ["text", "json"]) func aWholeRunLogsNoPhoneTokenOrSecretAndKeepsFilesPrivate(format: String) throws {
        let city = try ProcessCity(topology: SampleTopology.chain(), label: "logscan-\(format)")
        city.environment["CIVICMESH_LOG_FORMAT"] = format
        defer { city.stopAll() }
        try city.startAll()
        #expect(city.waitUntilLinked())
        let street = "s990101001"
        // Tokens made the way an operator makes them: the CLI prints the token alone on stdout.
        let intake = try run(["token", "create", "--config", city.configPath("city"), "--role", "intake", "--name", "hotline"], city.dir, "t1")
        #expect(intake.status == 0, "\(intake.output)")
        let intakeToken = intake.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(intakeToken.hasPrefix("cmt_") && intakeToken.count == 68 && !intake.stdout.contains(" "), "one token on its own line: \(intake.stdout)")
        let handler = try run(["token", "create", "--config", city.configPath(street), "--role", "handler", "--name", "grid-wang", "--expires", "12h"], city.dir, "t2")
        let handlerToken = handler.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let listed = try run(["token", "list", "--config", city.configPath(street)], city.dir, "t3")
        #expect(listed.stdout.contains("grid-wang") && listed.stdout.contains("handler") && !listed.stdout.contains(handlerToken))

        let phone = "13912345678"
        let created = try API.post(city.url("city", "/api/cases"), ["subject": "路灯不亮", "address": "东湖区湖滨街道", "category": "城乡建设",
                                                                    "citizen_name": "李四", "citizen_phone": phone], token: intakeToken)
        let id = try #require(created.string("id"), "\(created.text)")
        #expect(eventually(timeout: 20) { (try? API.get(city.url(street, "/api/cases/\(id)")).status) == 200 })
        #expect(try API.post(city.url(street, "/api/cases/\(id)/accept"), [:], token: handlerToken).status == 200)
        #expect(try API.post(city.url(street, "/api/cases/\(id)/resolve"), ["reply": "已修复，电话回访 \(phone)"], token: handlerToken).status == 200)
        #expect(eventually(timeout: 20) { (try? API.get(city.url("city", "/api/cases/\(id)")).string("case", "state")) == "resolved" })
        // Refusals are logged too: they must not echo the token either.
        _ = try API.get(city.url("city", "/status"), token: intakeToken + "0")
        city.stopAll()

        var logs = ""
        for n in SampleTopology.chain().allNodes { logs += city.log(n.id) }
        #expect(logs.contains("created") && logs.contains("hotline"), "the logs say what happened and who did it")
        if format == "json" {
            var sawCase = false
            for line in logs.split(separator: "\n") where !line.isEmpty {
                let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
                #expect(object != nil, "not one JSON object: \(line.prefix(300))")
                guard let object else { continue }
                let ts = object["ts"] as? String ?? ""
                #expect(WireDate.parse(ts) != nil && ts.hasSuffix("Z") && ["debug", "info", "warn", "error"].contains(object["level"] as? String ?? "")
                        && object["node"] is String && object["msg"] is String, "\(line.prefix(300))")
                if object["case"] as? String == id { sawCase = true }
            }
            #expect(sawCase, "a line names the case in its own field")
        }
        #expect(!logs.contains(phone), "no phone number in the logs")
        var secrets = [intakeToken, handlerToken, String(intakeToken.dropFirst(4))]
        for c in city.configs.values { secrets += [c.parentSecret].compactMap { $0 } + Array(c.childSecrets.values) }
        for s in secrets { #expect(!logs.contains(s), "a token or link secret in the logs") }

        for n in SampleTopology.chain().allNodes {
            let c = city.configs[n.id]!
            #expect(PrivateFile.openToOthers(city.configPath(n.id)) == nil, "config 0600")
            #expect(PrivateFile.openToOthers(c.dataDir) == nil, "data dir 0700")
            for f in ["node.sqlite", "node.sqlite-wal", "node.sqlite-shm"] where FileManager.default.fileExists(atPath: c.dataDir + "/" + f) {
                #expect(PrivateFile.openToOthers(c.dataDir + "/" + f) == nil, "\(f) 0600")
            }
        }
    }

    @Test func aNodeRefusesSecretsOthersCanRead() throws {
        let dir = TempDirectory("exposed")
        let configs = ConfigGenerator.configs(for: SampleTopology.chain(), options: .init(basePort: 0, dataRoot: dir.path + "/data"))
        var district = configs.first { $0.id == "d990101" }!
        district.httpListen = "127.0.0.1:0"
        district.meshListen = "127.0.0.1:0"
        let path = dir.file("d990101.json")
        try ConfigGenerator.encode(district).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o644)
        let p = try CivicProcess(["node", "--config", path], log: dir.file("exposed.log"))
        #expect(p.wait() == 2)
        #expect(p.output.contains("chmod 600 \(path)") && p.output.contains("readable by others"), "\(p.output)")

        // The same with the secrets in a file of their own.
        let secretsPath = dir.file("d990101.secrets.json")
        try JSONEncoder().encode(LinkSecrets(parentSecret: district.parentSecret, childSecrets: district.childSecrets)).write(to: URL(fileURLWithPath: secretsPath))
        chmod(secretsPath, 0o640)
        var split = district
        split.parentSecret = nil
        split.childSecrets = [:]
        split.secretsFile = secretsPath
        let splitPath = dir.file("split.json")
        try ConfigGenerator.encode(split).write(to: URL(fileURLWithPath: splitPath))
        chmod(splitPath, 0o644)
        let q = try CivicProcess(["node", "--config", splitPath], log: dir.file("split.log"))
        #expect(q.wait() == 2)
        #expect(q.output.contains("chmod 600 \(secretsPath)"), "\(q.output)")
        // Fixed as the message says, the node starts (a readable config without secrets is fine).
        chmod(secretsPath, 0o600)
        let r = try CivicProcess(["node", "--config", splitPath], log: dir.file("fixed.log"))
        #expect(eventually(timeout: 15) { r.output.contains("ready d990101") }, "\(r.output)")
        r.terminate()
    }
}
