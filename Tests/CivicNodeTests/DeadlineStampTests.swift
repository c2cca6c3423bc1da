import CivicCases
import CivicNode
import Foundation
import TestSupport
import Testing

/// The limits a case gets travel with it: stamped by the node that starts a clock, the same at every tier.
@Suite struct DeadlineStampTests {
    /// Local time in Asia/Shanghai (UTC+8), by arithmetic: no Foundation formatter while other tests format.
    func local(_ text: String) -> Date {
        let f = text.split(whereSeparator: { $0 == "-" || $0 == "T" || $0 == ":" }).map { Int($0)! }
        let base = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00Z
        let days = f[0] == 2026 ? [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334][f[1] - 1] + f[2] - 1 : 0
        return base.addingTimeInterval(Double(days * 86_400 + f[3] * 3600 + f[4] * 60 - 8 * 3600))
    }

    @Test func dispatchStartsTheResponseClockAcceptTheHandlingClockAndAReturnStopsBoth() throws {
        // Friday 16:00 in Shanghai.
        let clock = ManualClock(local("2026-12-04T16:00"))
        let mesh = try EngineMesh(clock: clock)
        let receipt = try mesh.intake(at: "city", CaseDraft(channel: .hotline, subject: "路灯不亮", location: Location(address: "东湖区湖滨街道"), category: "城乡建设"))
        _ = try mesh.deliver()
        // The default rule: signed for within 2 working hours — 1.5 h on Friday, the last half hour Monday from 08:30.
        let expectedResponse = "2026-12-07T01:00:00.000Z"  // Monday 09:00 in Shanghai
        for node in ["city", "d990101", "s990101001"] {
            let c = try #require(try mesh.caseAt(node, receipt.case.id)).0
            #expect(c.attributes["response_due"] == expectedResponse, "\(node): \(c.attributes)")
            #expect(c.attributes["deadline_rule"] == "one or two departments")
        }
        clock.advance(by: 3600)
        _ = try mesh.perform(.accept, on: receipt.case.id, at: "s990101001")
        _ = try mesh.deliver()
        for node in ["city", "s990101001"] {
            let c = try #require(try mesh.caseAt(node, receipt.case.id)).0
            #expect(c.attributes["response_due"] == nil && c.attributes["handling_due"] == "2026-12-05T09:00:00.000Z", "24 h from 17:00 Friday: \(c.attributes)")
        }
        _ = try mesh.perform(.returnUp(reason: "不归本街道"), on: receipt.case.id, at: "s990101001")
        _ = try mesh.deliver()
        let returned = try #require(try mesh.caseAt("city", receipt.case.id)).0
        #expect(returned.attributes["handling_due"] == nil && returned.attributes["response_due"] == nil, "the unit that returned it stops its clocks")
        // The district assigns it on: the next street gets its own response clock, from now.
        _ = try mesh.perform(.assign(target: "s990101002"), on: receipt.case.id, at: "d990101")
        _ = try mesh.deliver()
        let next = try #require(try mesh.caseAt("city", receipt.case.id)).0
        #expect(next.holder == "s990101002" && next.attributes["response_due"] == "2026-12-07T02:00:00.000Z", "from Friday 17:00: half an hour, then Monday until 10:00: \(next.attributes)")
        // The due-time index has it, at every tier, and a replay of the log rebuilds the same index.
        let monday10 = local("2026-12-07T10:00")
        for node in ["city", "d990101", "s990101002"] {
            #expect(try mesh.engine(node).casesDue(before: monday10.addingTimeInterval(1)).map(\.id) == [receipt.case.id], "\(node)")
            #expect(try mesh.engine(node).casesDue(before: monday10).isEmpty, "due at 10:00, not before: \(node)")
        }
        #expect(try mesh.engine("s990101001").casesDue(before: .distantFuture).isEmpty, "the street that returned it has no clock running")
        try mesh.engine("city").rebuildProjections()
        #expect(try mesh.caseAt("city", receipt.case.id)?.0.attributes["response_due"] == "2026-12-07T02:00:00.000Z")
        #expect(try mesh.engine("city").casesDue(before: .distantFuture).map(\.id) == [receipt.case.id])
        // Resolved, it leaves the index.
        _ = try mesh.perform(.accept, on: receipt.case.id, at: "s990101002")
        _ = try mesh.perform(.resolve(reply: "已修复"), on: receipt.case.id, at: "s990101002")
        _ = try mesh.deliver()
        for node in ["city", "d990101", "s990101002"] { #expect(try mesh.engine(node).casesDue(before: .distantFuture).isEmpty, "\(node)") }
    }

    @Test func anUrgentSafetyMatterIsSignedForWithinTwoClockHours() throws {
        let clock = ManualClock(local("2026-12-05T22:00"))  // a Saturday night
        let mesh = try EngineMesh(clock: clock)
        let receipt = try mesh.intake(at: "city", CaseDraft(channel: .hotline, subject: "小区燃气泄漏", location: Location(address: "东湖区湖滨街道"), category: "城乡建设"))
        #expect(receipt.case.attributes["response_due"] == "2026-12-05T16:00:00.000Z" && receipt.case.attributes["deadline_rule"] == "urgent safety matter",
                "\(receipt.case.attributes)")
    }
}

/// Overdue cases over HTTP, on a node whose clock a test moves.
@Suite struct OverdueListTests {
    @Test func anOverdueCaseIsListedAndCountedFromTheIndex() throws {
        let dir = TempDirectory("overdue")
        let config = loneNodeConfig(in: dir)
        let clock = ManualClock(Date(timeIntervalSince1970: 1_796_000_400))  // 2026-11-30T09:00:00+08:00, a Monday: due by 11:00
        let node = try MeshNode(config: config, logLevel: .error, clock: clock)
        defer { node.stop() }
        let created = try API.post(TestTokens.url(node, "/api/cases"), ["subject": "路灯不亮", "address": "东湖区湖滨街道", "category": "城乡建设", "channel": "hotline"])
        let id = try #require(created.string("id"), "\(created.text)")
        #expect(try API.get(TestTokens.url(node, "/api/cases?overdue=true")).array("cases")?.isEmpty == true)
        let status = try API.get(TestTokens.url(node, "/status"))
        #expect(status.object("deadlines", "subtree")?["overdue"] as? Int == 0 && status.object("deadlines", "self")?["escalated"] as? Int == 0, "\(status.object("deadlines") ?? [:])")
        clock.advance(by: 3 * 86_400)
        let overdue = try API.get(TestTokens.url(node, "/api/cases?overdue=true"))
        #expect(overdue.array("cases")?.map { $0["id"] as? String } == [id], "\(overdue.text)")
        // The street holding it is not running: the city, two levels above it, escalates when its time comes
        // (Wednesday 11:00), and counts the case overdue in its subtree.
        #expect(eventually { (try? API.get(TestTokens.url(node, "/status")).object("deadlines", "subtree"))??["overdue"] as? Int == 1 })
        let history = try API.get(TestTokens.url(node, "/api/cases/\(id)")).array("history") ?? []
        #expect(history.filter { $0["action"] as? String == "escalated" }.map { ($0["data"] as? [String: String])?["level"] } == ["2"], "\(history)")
        #expect(try API.get(TestTokens.url(node, "/api/cases?due_before=2026-11-30T03:00:00Z")).array("cases")?.isEmpty == true, "due at 03:00Z, not before")
        #expect(try API.get(TestTokens.url(node, "/api/cases?due_before=2026-11-30T03:00:01Z")).array("cases")?.count == 1)
        #expect(try API.get(TestTokens.url(node, "/api/cases?due_before=soon")).string("error", "field") == "due_before")
        #expect(try API.get(TestTokens.url(node, "/api/cases?overdue=maybe")).string("error", "field") == "overdue")
    }
}

/// Accelerated case time, as `up --speed` runs it: a node process whose clock runs 100,000× faster.
@Suite struct AcceleratedTimeTests {
    @Test func aScaledClockAgreesAtItsAnchorAndRunsFasterAfter() {
        let anchor = Date(timeIntervalSince1970: 1_796_000_000)
        let clock = ScaledClock(anchor: anchor, speed: 1000)
        #expect(clock.at(wall: anchor) == anchor)
        #expect(clock.at(wall: anchor.addingTimeInterval(1.5)) == anchor.addingTimeInterval(1500))
    }

    @Test(.timeLimit(.minutes(1))) func aCaseRunsLateWithinSecondsAtHighSpeed() throws {
        let dir = TempDirectory("speed")
        var config = loneNodeConfig(in: dir)
        config.httpListen = "127.0.0.1:\(freePort())"
        config.clockSpeed = 100_000
        config.clockAnchor = Date()
        let path = dir.file("city.json")
        try ConfigGenerator.write(config, to: path)
        var bad = config
        bad.clockAnchor = nil
        try ConfigGenerator.write(bad, to: dir.file("bad.json"))
        do { _ = try NodeConfig.load(path: dir.file("bad.json"), environment: [:]); Issue.record("a speed without an anchor must be refused") } catch {
            #expect(error.field == "clock_anchor")
        }
        let token = TestTokens.admin(config, address: config.httpListen)
        let node = try CivicProcess(["node", "--config", path], log: dir.file("city.log"))
        defer { node.terminate() }
        let base = "http://\(config.httpListen)"
        #expect(eventually(timeout: 20) { (try? API.get(base + "/healthz").status) == 200 }, "\(node.output)")
        let created = try API.post(base + "/api/cases", ["subject": "路灯不亮", "address": "东湖区湖滨街道", "category": "城乡建设", "channel": "hotline"], token: token)
        let id = try #require(created.string("id"), "\(created.text)")
        #expect(eventually(timeout: 20) { (try? API.get(base + "/api/cases?overdue=true", token: token).array("cases"))??.contains { $0["id"] as? String == id } == true },
                "a 2-working-hour limit runs out within seconds at 100,000×")
        #expect(eventually(timeout: 20) { (try? API.get(base + "/status", token: token).object("deadlines", "subtree"))??["escalated"] as? Int == 1 },
                "the city escalates the case its absent street let run out")
    }
}
