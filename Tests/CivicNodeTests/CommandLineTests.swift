@testable import CivicCLI
import CivicCases
@testable import CivicNode
import CivicWire
import Foundation
import TestSupport
import Testing

/// The command line and configuration as a new user meets them.
@Suite struct CommandLineTests {
    let dir = TempDirectory("cmdline")

    @Test func everySubcommandHasHelpListingItsOptions() throws {
        for spec in CommandSpec.all {
            let p = try CivicProcess(spec.key.split(separator: " ").map(String.init) + ["--help"], log: dir.file("help-\(spec.key).log"))
            #expect(p.wait() == 0, "\(spec.key) --help exits 0: \(p.output)")
            #expect(p.output.contains("usage: civicmesh \(spec.key)"), "\(p.output)")
            for option in spec.options { #expect(p.output.contains("--\(option.name)"), "\(spec.key) --help names --\(option.name)") }
        }
        let family = try CivicProcess(["topology", "--help"], log: dir.file("topology.log"))
        #expect(family.wait() == 0 && family.output.contains("topology configs") && family.output.contains("topology import"))
        let typo = try CivicProcess(["up", "--bse-port", "3"], log: dir.file("typo.log"))
        #expect(typo.wait() == 2 && typo.output.contains("did you mean --base-port?"), "\(typo.output)")
    }

    @Test func theReadmeCommandTableListsEveryOption() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let table = text.components(separatedBy: "## Command line").dropFirst().first?.components(separatedBy: "\n## ").first ?? ""
        for spec in CommandSpec.all {
            let row = table.split(separator: "\n").first { $0.hasPrefix("| `civicmesh \(spec.key)") } ?? ""
            #expect(!row.isEmpty, "README's command table has a row for `civicmesh \(spec.key)`")
            for option in spec.options { #expect(row.contains("--\(option.name)"), "README row for \(spec.key) lists --\(option.name)") }
        }
    }

    func configObject(_ id: String) throws -> [String: Any] {
        let c = ConfigGenerator.configs(for: SampleTopology.load(), options: .init(basePort: 7400, dataRoot: dir.path + "/data")).first { $0.id == id }!
        return try JSONSerialization.jsonObject(with: try ConfigGenerator.encode(c)) as! [String: Any]
    }

    func write(_ object: [String: Any], _ name: String) throws -> String {
        let path = dir.file(name)
        // Owner-only, as the generators write configs: a node refuses link secrets others can read.
        try PrivateFile.write(try JSONSerialization.data(withJSONObject: object), to: path)
        return path
    }

    @Test func configErrorsNameTheFieldWithLineColumnOrASuggestion() throws {
        let broken = dir.file("broken.json")
        try Data("{\n  \"id\": \"city\",\n  \"tier\": \"city\" ,,\n}\n".utf8).write(to: URL(fileURLWithPath: broken))
        #expect(throws: ConfigError.self) { try NodeConfig.load(path: broken, environment: [:]) }
        do { _ = try NodeConfig.load(path: broken, environment: [:]) } catch {
            #expect(error.problem.contains("line 3, column"), "\(error)")
        }
        var o = try configObject("city")
        o["hearbeat_interval"] = 2
        let typo = try write(o, "typo.json")
        do {
            _ = try NodeConfig.load(path: typo, environment: [:])
            Issue.record("a misspelt field must be refused")
        } catch {
            #expect(error.field == "hearbeat_interval" && error.problem.contains("did you mean \"heartbeat_interval\""), "\(error)")
        }
        let array = dir.file("array.json")
        try Data("[1]".utf8).write(to: URL(fileURLWithPath: array))
        do { _ = try NodeConfig.load(path: array, environment: [:]) } catch { #expect(error.problem.contains("not an array"), "\(error)") }
    }

    @Test func anUnwritableDataDirExits2NamingTheField() throws {
        var o = try configObject("s990101001")
        o["data_dir"] = "/proc/civicmesh-cannot-be-here/data"
        let path = try write(o, "unwritable.json")
        let p = try CivicProcess(["node", "--config", path], log: dir.file("unwritable.log"))
        #expect(p.wait() == 2, "\(p.output)")
        #expect(p.output.contains("field \"data_dir\"") && p.output.contains(path) && !p.output.contains("NSCocoaErrorDomain"), "\(p.output)")
    }

    @Test func aRelativeDataDirIsResolvedAgainstTheConfigsFolder() throws {
        var o = try configObject("s990101001")
        o["data_dir"] = "data/s990101001"
        try FileManager.default.createDirectory(atPath: dir.file("configs"), withIntermediateDirectories: true)
        let path = try write(o, "configs/street.json")
        let loaded = try NodeConfig.load(path: path, environment: [:])
        #expect(loaded.dataDir == URL(fileURLWithPath: dir.file("configs/data/s990101001")).standardizedFileURL.path, "\(loaded.dataDir)")
    }

    @Test func configsForARealDeploymentSeparateListenAndDialAddresses() throws {
        let topology = dir.file("topology.json")
        try JSONEncoder().encode(SampleTopology.load()).write(to: URL(fileURLWithPath: topology))
        let refused = try CivicProcess(["topology", "configs", "--topology", topology, "--out", dir.file("c1"), "--host", "0.0.0.0"], log: dir.file("c1.log"))
        #expect(refused.wait() == 2 && refused.output.contains("--advertise"), "\(refused.output)")
        try Data(#"{"city": "city.example.gov.cn"}"#.utf8).write(to: URL(fileURLWithPath: dir.file("hosts.json")))
        let ok = try CivicProcess(["topology", "configs", "--topology", topology, "--out", dir.file("c2"), "--host", "0.0.0.0",
                                   "--advertise", "10.0.0.9", "--hosts", dir.file("hosts.json")], log: dir.file("c2.log"))
        #expect(ok.wait() == 0, "\(ok.output)")
        let district = try NodeConfig.load(path: dir.file("c2/d990101.json"), environment: [:])
        let street = try NodeConfig.load(path: dir.file("c2/s990101001.json"), environment: [:])
        #expect(district.parentAddress?.hasPrefix("city.example.gov.cn:") == true && district.httpListen.hasPrefix("0.0.0.0:"))
        #expect(street.parentAddress?.hasPrefix("10.0.0.9:") == true)
        // The configs hold the link secrets: owner only. The command says which port must be reachable from where.
        #expect(PrivateFile.openToOthers(dir.file("c2/d990101.json")) == nil)
        #expect(ok.output.contains("ports to open") && ok.output.contains("d990101 mesh 0.0.0.0:") && ok.output.contains("from its children's hosts (s990101001"), "\(ok.output)")
        let local = try CivicProcess(["topology", "configs", "--topology", topology, "--out", dir.file("c4")], log: dir.file("c4.log"))
        #expect(local.wait() == 0 && local.output.contains("listening on 127.0.0.1"), "loopback unless asked: \(local.output)")
        #expect(try NodeConfig.load(path: dir.file("c4/city.json"), environment: [:]).httpListen.hasPrefix("127.0.0.1:"))
        let badPort = try CivicProcess(["topology", "configs", "--topology", topology, "--out", dir.file("c3"), "--base-port", "70000"], log: dir.file("c3.log"))
        #expect(badPort.wait() == 2 && badPort.output.contains("--base-port 70000"), "\(badPort.output)")
    }

    @Test func theCalendarCommandsCountWorkingDaysAndSayWhy() throws {
        func run(_ args: [String], _ name: String) throws -> (Int32, String) {
            let p = try CivicProcess(args, log: dir.file(name))
            return (p.wait(), p.output.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        #expect(try run(["calendar", "add-days", "2026-09-30T10:00", "3"], "cal1.log") == (0, "2026-10-10T10:00:00+08:00"))
        #expect(try run(["calendar", "add-days", "2026-09-30T10:00", "3", "--calendar-days"], "cal2.log") == (0, "2026-10-03T10:00:00+08:00"))
        #expect(try run(["calendar", "add-hours", "2026-12-04T16:00", "3"], "cal3.log") == (0, "2026-12-07T10:00:00+08:00"))
        #expect(try run(["calendar", "check", "2026-10-10"], "cal4.log") == (0, "working day: 2026-10-10 is a make-up working day (国庆节调休)"))
        #expect(try run(["calendar", "check", "2026-10-03"], "cal5.log") == (1, "day off: 2026-10-03 is a public holiday (国庆节)"))
        let bad = try run(["calendar", "add-days", "yesterday", "3"], "cal6.log")
        #expect(bad.0 == 2 && bad.1.contains("\"yesterday\" is not a time"), "\(bad.1)")
        try Data(#"{"time_zone":"Europe/Berlin","holidays":{"2026-12-25":"Weihnachten"}}"#.utf8).write(to: URL(fileURLWithPath: dir.file("de.json")))
        #expect(try run(["calendar", "check", "2026-12-25", "--calendar", dir.file("de.json")], "cal7.log").1 == "day off: 2026-12-25 is a public holiday (Weihnachten)")
    }

    @Test func theStatusTableHonoursDepthAndUnderAndSaysWhyALinkIsDown() {
        let counters = Counters()
        let summary = Summary(node: "d1", at: Date(), counters: CounterSet(own: counters, subtree: counters),
                              children: [ChildSummary(id: "s11", name: "湖滨街道", state: "up", subtree: counters)])
        let up = StatusReport.Link(id: "d1", name: "东湖区", state: "up", connectedSince: Date(), lastHeard: Date(), lastError: nil,
                                   outboxDepth: 0, lastSentSeq: 1, lastAckedSeq: 1, lastAppliedSeq: 1, summary: summary)
        let down = StatusReport.Link(id: "d2", name: "南山区", state: "down", connectedSince: nil, lastHeard: nil, lastError: "heartbeat timeout",
                                     outboxDepth: 4, lastSentSeq: 1, lastAckedSeq: 1, lastAppliedSeq: 1, summary: nil)
        let report = StatusReport(id: "city", tier: .city, name: "江城市", version: "0", protocolVersion: 1, startedAt: Date(), uptimeSeconds: 1,
                                  http: "h", mesh: nil, parent: nil, children: [up, down], counters: CounterSet(), manualQueue: [],
                                  store: .init(queueDepth: 0, batches: 0, operations: 0))
        let full = StatusCommand.render(report)
        #expect(full.contains("s11") && full.contains("down (heartbeat timeout)"), "\(full)")
        #expect(!StatusCommand.render(report, depth: 1).contains("s11"))
        let under = StatusCommand.render(report, under: "d2")
        #expect(under.contains("d2") && !under.contains("d1 ") && !under.contains("s11"), "\(under)")
        // Columns line up by display width: CJK names take two cells each.
        let rows = full.split(separator: "\n").filter { $0.contains("─ d1") || $0.contains("─ d2") }.map(String.init)
        func cellsBefore(_ row: String, _ marker: String) -> Int {
            let prefix = row.components(separatedBy: marker).first ?? ""
            return prefix.unicodeScalars.reduce(0) { $0 + ($1.value >= 0x2E80 ? 2 : 1) }
        }
        #expect(rows.count == 2 && cellsBefore(rows[0], " up") == cellsBefore(rows[1], " down"), "\(rows)")
    }
}
