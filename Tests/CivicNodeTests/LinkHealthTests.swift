import CivicCases
import CivicNode
import Foundation
import TestSupport
import SharedTestData
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A district that freezes (SIGSTOP: its sockets stay open but it says nothing) is detected by heartbeats,
/// the city keeps taking cases, and when it thaws the links come back and resume where they left off.
@Suite(.serialized) struct LinkHealthTests {
    static let topology = Topology(casePrefix: "HB", root: TopologyNode(id: "city", tier: .city, name: "测试市", children: [
        TopologyNode(id: "d1", tier: .district, name: "东湖区", codes: ["990101"], children: [
            TopologyNode(id: "s11", tier: .street, name: "湖滨街道", codes: ["990101001"]),
        ]),
    ]))

    func childState(_ city: ProcessCity, _ node: String, _ child: String) -> String? {
        (try? API.get(city.url(node, "/status")).array("children"))?.first { $0["id"] as? String == child }?["state"] as? String
    }

    @Test(.timeLimit(.minutes(2))) func aFrozenDistrictIsDetectedAndResumesAfterThawing() throws {
        let city = try ProcessCity(topology: Self.topology, label: "heartbeat")
        try city.startAll()
        #expect(city.waitUntilLinked())
        let pid = try #require(city.pid("d1"))
        kill(pid, SIGSTOP)
        defer { kill(pid, SIGCONT) }
        // heartbeat_timeout is 2.5 s in ProcessCity configs
        #expect(eventually(timeout: 10) { self.childState(city, "city", "d1") == "down" }, "the city notices the silent link")
        #expect(eventually(timeout: 10) { (try? API.get(city.url("s11", "/status")).string("parent", "state")) != "up" }, "so does the street")
        let created = try API.post(city.url("city", "/api/cases"), ["subject": "冻结期间提交的工单", "division": "990101001", "category": "城乡建设"])
        #expect(created.status == 201, "the city keeps accepting cases")
        let id = try #require(created.string("id"))
        let outbox = try API.get(city.url("city", "/status")).array("children")?.first?["outbox_depth"] as? Int
        #expect(outbox == 1, "the case waits in the city's outbox for d1")

        kill(pid, SIGCONT)
        #expect(city.waitUntilLinked(timeout: 30), "links come back after the thaw")
        #expect(eventually(timeout: 20) { (try? API.get(city.url("s11", "/api/cases/\(id)")).string("case", "state")) == "dispatched" })
        #expect(eventually(timeout: 10) { (try? API.get(city.url("city", "/status")).array("children")?.first?["outbox_depth"] as? Int) == 0 })
        city.stopAll()
    }
}

@Suite(.enabled(if: SharedData.available("wuhan_divisions.json"), Comment(rawValue: SharedData.missing("wuhan_divisions.json")))) struct TopologyToolTests {
    static let wuhan = SharedData.path("wuhan_divisions.json")

    @Test func importingWuhanAndWritingEveryConfig() throws {
        let dir = TempDirectory("topology")
        let imported = try CivicProcess(["topology", "import", "--divisions", Self.wuhan, "--out", dir.file("wuhan.json")], log: dir.file("import.log"))
        #expect(imported.wait() == 0, "\(imported.output)")
        #expect(imported.output.contains("13 districts, 193 streets"))
        let configs = try CivicProcess(["topology", "configs", "--topology", dir.file("wuhan.json"), "--out", dir.file("configs"), "--base-port", "30000"],
                                       log: dir.file("configs.log"))
        #expect(configs.wait() == 0, "\(configs.output)")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.file("configs")).filter { $0.hasSuffix(".json") }
        #expect(files.count == 207)
        var loaded: [String: NodeConfig] = [:]
        for f in files {
            let c = try NodeConfig.load(path: dir.file("configs/\(f)"), environment: [:])
            loaded[c.id] = c
        }
        #expect(loaded["city"]?.topology.casePrefix == "WH")
        let jiangan = try #require(loaded["d420102"])
        #expect(jiangan.name == "江岸区" && jiangan.parentAddress == loaded["city"]?.meshListen)
        for c in loaded.values { for (child, secret) in c.childSecrets { #expect(loaded[child]?.parentSecret == secret) } }
        let ports = loaded.values.flatMap { [$0.httpListen, $0.meshListen] }
        #expect(Set(ports).count == ports.count, "no two nodes share a port")
    }
}
