import CivicCases
import CivicNode
import Foundation
import TestSupport
import Testing

/// Real processes, real SIGKILL: whatever dies, every acknowledged case ends up exactly once at the city,
/// its district and its street, in the same state everywhere.
@Suite(.serialized) struct CrashRecoveryTests {
    static let topology = Topology(casePrefix: "CR", root: TopologyNode(id: "city", tier: .city, name: "测试市", codes: ["9901"], children: [
        TopologyNode(id: "d1", tier: .district, name: "东湖区", codes: ["990101"], children: [
            TopologyNode(id: "s11", tier: .street, name: "湖滨街道", codes: ["990101001"]),
            TopologyNode(id: "s12", tier: .street, name: "梨园街道", codes: ["990101002"]),
        ]),
        TopologyNode(id: "d2", tier: .district, name: "南山区", codes: ["990102"], children: [
            TopologyNode(id: "s21", tier: .street, name: "南门街道", codes: ["990102001"]),
        ]),
    ]))

    static let streets = ["s11": ("990101001", "d1"), "s12": ("990101002", "d1"), "s21": ("990102001", "d2")]

    /// Submits cases at the city until stopped; remembers the ids the city acknowledged.
    final class Submitter: @unchecked Sendable {
        let city: ProcessCity
        let lock = NSLock()
        var acknowledged: [String] = []
        var running = true
        init(city: ProcessCity) { self.city = city }
        func run() {
            var i = 0
            while lock.withLock({ running }) {
                let street = ["s11", "s12", "s21"][i % 3]
                let body: [String: Any] = ["subject": SyntheticCases.subject(i), "detail": SyntheticCases.detail(i),
                                           "citizen_phone": "139\(10_000_000 + i)", "division": CrashRecoveryTests.streets[street]!.0, "channel": "app"]
                if let r = try? API.post(city.url("city", "/api/cases"), body), r.status == 201, let id = r.string("id") {
                    lock.withLock { acknowledged.append(id) }
                } else {
                    Thread.sleep(forTimeInterval: 0.05)  // the city is down: retry like a client would
                }
                i += 1
            }
        }
        func stop() -> [String] { lock.withLock { running = false; return acknowledged } }
    }

    func converged(_ city: ProcessCity, _ acknowledged: [String]) throws -> Bool {
        let atCity = try city.cases(at: "city")
        guard acknowledged.allSatisfy({ atCity[$0] != nil }) else { return false }
        for (street, (_, district)) in Self.streets {
            let mine = atCity.filter { $0.value.hasSuffix("@\(street)") }
            let atDistrict = try city.cases(at: district)
            let atStreet = try city.cases(at: street)
            for (id, state) in mine where atDistrict[id] != state || atStreet[id] != state { return false }
            // nothing at the street that the city does not know, and nothing twice (cases(at:) checks duplicates)
            if atStreet.keys.contains(where: { atCity[$0] == nil }) { return false }
        }
        return true
    }

    @Test(.timeLimit(.minutes(4))) func killingDistrictStreetAndCityLosesNothing() throws {
        let city = try ProcessCity(topology: Self.topology, label: "crash")
        try city.startAll()
        #expect(city.waitUntilLinked())
        let submitter = Submitter(city: city)
        let thread = Thread { submitter.run() }
        thread.start()

        for victim in ["d1", "s12", "city", "d2"] {
            Thread.sleep(forTimeInterval: 1.0)
            city.kill9(victim)
            Thread.sleep(forTimeInterval: 0.7)
            try city.start(victim)
        }
        Thread.sleep(forTimeInterval: 1.0)
        let acknowledged = submitter.stop()
        #expect(acknowledged.count > 20, "cases kept flowing: \(acknowledged.count)")
        #expect(city.waitUntilLinked())

        // Streets handle what they received while a district dies again.
        var handled = 0
        for street in ["s11", "s21"] {
            for (id, state) in try city.cases(at: street) where state.hasPrefix("dispatched") && handled < 30 {
                #expect(try API.post(city.url(street, "/api/cases/\(id)/accept"), [:]).status == 200)
                if handled % 2 == 0 { #expect(try API.post(city.url(street, "/api/cases/\(id)/resolve"), ["reply": "已处理"]).status == 200) }
                handled += 1
                if handled == 10 { city.kill9("d1"); city.kill9("d2") }
            }
        }
        try city.start("d1")
        try city.start("d2")
        #expect(city.waitUntilLinked())
        #expect(try eventually(timeout: 60, interval: 0.5) { try converged(city, acknowledged) }, "every case present once and in the same state at city, district and street")
        let atCity = try city.cases(at: "city")
        #expect(Set(acknowledged).count == acknowledged.count)
        #expect(atCity.values.filter { $0.hasPrefix("resolved") }.count >= 5)
        city.stopAll()
    }

    /// Case time for the timer crash test: 14,400× (four case hours a wall second), starting at Saturday
    /// 2026-11-28 08:00 in Shanghai when the configs are written, so the case created a few seconds later falls
    /// due on Monday morning, seconds of wall time ahead.
    static let timerSpeed = 14_400.0

    @Test(.timeLimit(.minutes(3))) func killingTheStreetAndTheDistrictAroundTheirDueTimesIssuesEachTimerEventOnce() throws {
        let caseStart = Date(timeIntervalSince1970: 1_795_824_000)  // 2026-11-28T08:00+08:00, a Saturday
        let wallStart = Date()
        // anchor + (wall - anchor) × speed = case time: the anchor that makes case time `caseStart` at `wallStart`.
        let speed = Self.timerSpeed
        let anchor = Date(timeIntervalSince1970: (wallStart.timeIntervalSince1970 * speed - caseStart.timeIntervalSince1970) / (speed - 1))
        let city = try ProcessCity(topology: Self.topology, label: "timercrash") { config in
            config.clockSpeed = speed
            config.clockAnchor = anchor
        }
        func wall(_ caseTime: Date) -> Date { anchor.addingTimeInterval(caseTime.timeIntervalSince(anchor) / speed) }
        func sleep(until t: Date) { let d = t.timeIntervalSinceNow; if d > 0 { Thread.sleep(forTimeInterval: d) } }
        for id in ["city", "d1", "s11"] { try city.start(id) }
        #expect(eventually { ["d1", "s11"].allSatisfy { (try? API.get(city.url($0, "/status")).string("parent", "state")) == "up" } })
        let created = try API.post(city.url("city", "/api/cases"), ["subject": "路灯不亮", "division": "990101001", "channel": "hotline"])
        let id = try #require(created.string("id"), "\(created.text)")
        #expect(eventually { (try? API.get(city.url("s11", "/api/cases/\(id)")).string("case", "state")) == "dispatched" })
        let attributes = try #require(try API.get(city.url("s11", "/api/cases/\(id)")).object("case", "attributes"))
        let due = try #require((attributes["response_due"] as? String).flatMap(WireDate.parse), "\(attributes)")
        let escalations = ((attributes["escalate_at"] as? String) ?? "").split(separator: ",").compactMap { WireDate.parse(String($0)) }
        try #require(escalations.count == 2, "\(attributes)")
        #expect(wall(due).timeIntervalSinceNow > 0.5, "the due time is still ahead: \(wall(due).timeIntervalSinceNow) s")

        // The street dies just before its limit runs out and comes back after: it issues its overdue then.
        sleep(until: wall(due).addingTimeInterval(-0.1))
        city.kill9("s11")
        sleep(until: wall(due).addingTimeInterval(0.6))
        try city.start("s11")
        // The district dies just before the escalation falls to it, and comes back after.
        sleep(until: wall(escalations[0]).addingTimeInterval(-0.1))
        city.kill9("d1")
        sleep(until: wall(escalations[0]).addingTimeInterval(0.6))
        try city.start("d1")
        sleep(until: wall(escalations[1]))

        let expected = ["warned@s11", "overdue@s11", "escalated-1@d1", "escalated-2@city"]
        func timerEvents(at node: String) -> [String] {
            let history = (try? API.get(city.url(node, "/api/cases/\(id)")).array("history")) ?? nil
            return (history ?? []).filter { ["warned", "overdue", "escalated"].contains($0["action"] as? String ?? "") }
                .map { "\($0["action"] as? String ?? "")\(($0["data"] as? [String: String])?["level"].map { "-\($0)" } ?? "")@\($0["node"] as? String ?? "")" }
        }
        #expect(eventually(timeout: 30) { ["city", "d1", "s11"].allSatisfy { Set(timerEvents(at: $0)) == Set(expected) } },
                "\(["city", "d1", "s11"].map { "\($0): \(timerEvents(at: $0))" })")
        Thread.sleep(forTimeInterval: 1)
        for node in ["city", "d1", "s11"] {
            let seen = timerEvents(at: node)
            #expect(seen.count == expected.count && Set(seen) == Set(expected), "exactly once at \(node): \(seen)")
        }
        city.stopAll()
    }

    /// The verdict steps are the city's: SIGKILL the city right after it acknowledged a verdict (before its links
    /// could send it), and kill it again just before a resolved case's time for a verdict runs out; kill the
    /// district while the reopening travels. Each verdict step ends up exactly once at city, district and street.
    @Test(.timeLimit(.minutes(3))) func killingTheCityAroundAVerdictAndAroundTheVerdictTimeKeepsEachStepOnce() throws {
        var topology = Self.topology
        var policy = DeadlinePolicy.sample
        policy.verdicts.within = TimeLimit(24, .hours)  // 6 s of wall time at 14,400×
        topology.deadlines = policy
        let speed = Self.timerSpeed
        // Case time = anchor + (wall − anchor) × speed, from the moment the test starts.
        let anchor = Date()
        let city = try ProcessCity(topology: topology, label: "verdictcrash") { config in
            config.clockSpeed = speed
            config.clockAnchor = anchor
        }
        for id in ["city", "d1", "s11"] { try city.start(id) }
        #expect(eventually { ["d1", "s11"].allSatisfy { (try? API.get(city.url($0, "/status")).string("parent", "state")) == "up" } })
        func resolved(_ subject: String) throws -> String {
            let created = try API.post(city.url("city", "/api/cases"), ["subject": subject, "division": "990101001", "channel": "hotline", "citizen_phone": "13500000009"])
            let id = try #require(created.string("id"), "\(created.text)")
            #expect(eventually { (try? API.get(city.url("s11", "/api/cases/\(id)")).string("case", "state")) == "dispatched" })
            #expect(try API.post(city.url("s11", "/api/cases/\(id)/accept"), [:]).status == 200)
            #expect(try API.post(city.url("s11", "/api/cases/\(id)/resolve"), ["reply": "已处理"]).status == 200)
            #expect(eventually { (try? API.get(city.url("city", "/api/cases/\(id)")).string("case", "state")) == "resolved" })
            return id
        }
        let judged = try resolved("路灯不亮"), silent = try resolved("井盖松动")

        // An unsatisfied verdict: acknowledged, then the city dies at once, and the district too.
        let verdict = try API.post(city.url("city", "/track/\(judged)/verdict"), ["phone": "0009", "satisfaction": "unsatisfied", "comment": "没修好"], token: "")
        #expect(verdict.status == 200 && verdict.string("state") == "dispatched", "\(verdict.text)")
        city.kill9("city")
        city.kill9("d1")
        try city.start("d1")
        try city.start("city")
        #expect(eventually { (try? API.get(city.url("s11", "/api/cases/\(judged)")).string("case", "state")) == "dispatched" }, "the reopening reached the street")

        // The silent case: the city is down when its time for a verdict runs out, and closes it when it is back.
        let due = try #require((try API.get(city.url("city", "/api/cases/\(silent)")).string("case", "attributes", "verdict_due")).flatMap(WireDate.parse))
        let untilDue = anchor.addingTimeInterval(due.timeIntervalSince(anchor) / speed).timeIntervalSinceNow
        #expect(untilDue > 0.3, "the verdict time is still ahead: \(untilDue) s")
        if untilDue > 0.1 { Thread.sleep(forTimeInterval: untilDue - 0.1) }
        city.kill9("city")
        Thread.sleep(forTimeInterval: 0.5)
        try city.start("city")

        func steps(_ id: String, at node: String) -> [String] {
            let history = (try? API.get(city.url(node, "/api/cases/\(id)")).array("history")) ?? nil
            return (history ?? []).filter { ["evaluated", "closed"].contains($0["action"] as? String ?? "") }.map { "\($0["action"] as? String ?? "")@\($0["node"] as? String ?? "")" }
        }
        #expect(eventually(timeout: 30) { ["city", "d1", "s11"].allSatisfy { steps(judged, at: $0) == ["evaluated@city"] && steps(silent, at: $0) == ["closed@city"] } },
                "\(["city", "d1", "s11"].map { "\($0): \(steps(judged, at: $0)) \(steps(silent, at: $0))" })")
        Thread.sleep(forTimeInterval: 1)
        for node in ["city", "d1", "s11"] {
            #expect(steps(judged, at: node) == ["evaluated@city"] && steps(silent, at: node) == ["closed@city"], "exactly once at \(node)")
            #expect((try? API.get(city.url(node, "/api/cases/\(silent)")).string("case", "attributes", "closed_as")) == "no_evaluation", "\(node)")
        }
        city.stopAll()
    }
}
