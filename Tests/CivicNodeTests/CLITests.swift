@testable import CivicCLI
import CivicCases
@testable import CivicNode
import CivicWire
import Foundation
import TestSupport
import Testing

@Suite struct ArgumentsTests {
    @Test func optionsFlagsAndPositionals() throws {
        let a = try Arguments(["show", "--url", "http://x", "--json", "--limit=5", "JC-1"], options: ["url", "limit"], flags: ["json"])
        let limit = try a.int("limit", default: 1)
        #expect(a["url"] == "http://x" && a.has("json") && a.positional == ["show", "JC-1"] && limit == 5)
        #expect(throws: UsageError.self) { try Arguments(["--nope"], options: ["url"]) }
        #expect(throws: UsageError.self) { try Arguments(["--url"], options: ["url"]) }
        #expect(throws: UsageError.self) { try Arguments(["--limit", "many"], options: ["limit"]).int("limit", default: 1) }
        #expect(throws: UsageError.self) { try Arguments([], options: ["config"]).required("config") }
    }

    @Test func repeatableOptionsCollectEveryValueAndClassifyUsesTheSameParser() throws {
        let a = try Arguments(["--unlabelled", "a.csv", "--data", "d.csv", "--unlabelled=b.csv"], options: ["data"], repeatable: ["unlabelled"])
        #expect(a.all("unlabelled") == ["a.csv", "b.csv"] && a["data"] == "d.csv" && a.all("data").isEmpty)
        let dir = TempDirectory("cli-classify")
        let typo = try CivicProcess(["classify", "cv", "--unlabeled", "x.csv"], log: dir.file("typo.log"))
        #expect(typo.wait() == 2 && typo.output.contains("did you mean --unlabelled?"), "\(typo.output)")
        let empty = try CivicProcess(["classify", "text", "--detail"], log: dir.file("empty.log"))
        #expect(empty.wait() == 2 && empty.output.contains("option --detail needs a value"), "\(empty.output)")
    }

    @Test func unknownCommandsAndMissingOptionsExitWith2() throws {
        let dir = TempDirectory("cli")
        let unknown = try CivicProcess(["teleport"], log: dir.file("a.log"))
        #expect(unknown.wait() == 2 && unknown.output.contains("unknown command \"teleport\""))
        let missing = try CivicProcess(["node"], log: dir.file("b.log"))
        #expect(missing.wait() == 2 && missing.output.contains("missing --config"))
    }
}

@Suite struct StatusTableTests {
    @Test func theTreeTableShowsChildrenGrandchildrenAndTheQueue() {
        var counters = Counters()
        counters.received = 12
        counters.resolved = 5
        counters["state.pending"] = 2
        counters["state.dispatched"] = 5
        counters["sup.overdue"] = 3
        counters["sup.escalated"] = 2
        counters["sup.replied_on_time"] = 9
        let summary = Summary(node: "d1", at: Date(), counters: CounterSet(own: Counters(), subtree: counters),
                              children: [ChildSummary(id: "s11", name: "湖滨街道", state: "up", subtree: counters), ChildSummary(id: "s12", name: nil, state: "down", subtree: nil)])
        let link = StatusReport.Link(id: "d1", name: "东湖区", state: "up", connectedSince: Date(), lastHeard: Date(), lastError: nil,
                                     outboxDepth: 3, lastSentSeq: 10, lastAckedSeq: 7, lastAppliedSeq: 4, summary: summary)
        let report = StatusReport(id: "city", tier: .city, name: "江城市", version: "0.1.0", protocolVersion: 1, startedAt: Date(), uptimeSeconds: 75,
                                  http: "127.0.0.1:7400", mesh: "127.0.0.1:7401", parent: nil, children: [link],
                                  counters: CounterSet(own: counters, subtree: counters),
                                  manualQueue: [.init(id: "JC-1", subject: "咨询", since: Date(), reason: "no place", candidates: ["d1", "d2"], topics: [])],
                                  store: .init(queueDepth: 0, batches: 1, operations: 1))
        let text = StatusCommand.render(report)
        #expect(text.contains("city 江城市 [city]") && text.contains("up 1m15s"))
        let rows = text.split(separator: "\n").map(String.init)
        let d1 = rows.first { $0.hasPrefix("└─ d1") } ?? ""
        #expect(d1.contains("东湖区") && d1.contains("7/10") && d1.contains("12"), "\(d1)")
        #expect(rows.contains { $0.contains("├─ s11") && $0.contains("湖滨街道") })
        #expect(rows.contains { $0.contains("└─ s12") && $0.contains("down") })
        #expect(text.contains("JC-1  咨询  — no place  candidates: d1, d2"))
        #expect(text.contains("time limits (subtree): near due 0, overdue 3, escalated 2, orders open 0, extensions pending 0; replied on time 9, late 0"), "\(text)")
        #expect(d1.split(separator: " ").suffix(2) == ["3", "2"], "the OVERDUE and ESCALATED columns: \(d1)")
    }
}

@Suite struct ComponentGroupTests {
    @Test func componentsStartInOrderStopInReverseAndAFailedStartStopsThoseRunning() {
        var log: [String] = []
        func component(_ name: String, fails: Bool = false) -> NodeComponent {
            NodeComponent(name: name, start: {
                if fails { throw CocoaError(.fileWriteUnknown) }
                log.append("start \(name)")
            }, stop: { log.append("stop \(name)") })
        }
        let group = ComponentGroup()
        #expect(throws: Never.self) { try group.start([component("loop"), component("writer"), component("network")]) }
        #expect(group.names == ["loop", "writer", "network"])
        group.stopAll()
        #expect(log == ["start loop", "start writer", "start network", "stop network", "stop writer", "stop loop"])
        log = []
        do {
            try ComponentGroup().start([component("loop"), component("writer"), component("network", fails: true)])
            Issue.record("the start must fail")
        } catch let error as ComponentStartError {
            #expect(error.component == "network")
        } catch { Issue.record("\(error)") }
        #expect(log == ["start loop", "start writer", "stop writer", "stop loop"])
    }
}
