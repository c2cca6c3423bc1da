import CivicCases
import CivicNode
import Foundation
import TestSupport
import Testing

/// SIGTERM drains a real node process: new HTTP work gets a retryable 503 and `/healthz` says `draining`, the
/// outboxes of the links that are up are given `drain_grace` to be acknowledged, every link gets a bye, the process exits 0 — and nothing it
/// could not send is lost.
@Suite(.serialized) struct DrainTests {
    static let street = "s990101001", district = "d990101"

    func caseAt(_ city: ProcessCity, _ node: String, _ id: String) -> String? {
        (try? API.get(city.url(node, "/api/cases/\(id)")))?.string("case", "state")
    }

    @Test(.timeLimit(.minutes(2))) func aDrainingNodeRefusesNewWorkWithA503AndKeepsWhatItCouldNotSend() throws {
        let city = try ProcessCity(topology: SampleTopology.chain(), label: "drain") { c in c.drainGrace = 3 }
        defer { city.stopAll() }
        try city.startAll()
        #expect(city.waitUntilLinked())
        // The street is gone: the district's next dispatch to it cannot be acknowledged.
        city.kill9(Self.street)
        let r = try API.post(city.url("city", "/api/cases"), ["subject": "路灯不亮", "address": "东湖区湖滨街道", "category": "城乡建设", "channel": "hotline"])
        let id = try #require(r.string("id"), "\(r.text)")
        #expect(eventually { caseAt(city, Self.district, id) == "dispatched" })
        let healthURL = city.url(Self.district, "/healthz"), statusURL = city.url(Self.district, "/status")
        let started = Date()
        let district = try #require(city.sigterm(Self.district))
        #expect(eventually(timeout: 2) { (try? API.get(healthURL))?.status == 503 }, "the readiness probe takes it out of service")
        let health = try API.get(healthURL), status = try API.get(statusURL)
        #expect(health.string("status") == "draining", "\(health.text)")
        #expect(status.status == 503 && status.string("error", "code") == "draining", "\(status.text)")
        #expect(district.wait() == 0, "exit 0 after the grace: \(district.output.suffix(400))")
        let took = Date().timeIntervalSince(started)
        #expect(took < 2.5, "a link that is down cannot drain: no waiting for it within drain_grace (3 s): \(took) s")
        #expect(district.output.contains("1 messages not yet acknowledged stay in the outbox"), "\(district.output.suffix(600))")
        // Back up, the district sends what it kept; the street gets the case.
        try city.start(Self.street)
        try city.start(Self.district)
        #expect(eventually(timeout: 20) { caseAt(city, Self.street, id) == "dispatched" }, "nothing was lost")
    }

    @Test(.timeLimit(.minutes(2))) func aNodeWithNothingOutstandingDrainsAtOnceAndSaysGoodbye() throws {
        let city = try ProcessCity(topology: SampleTopology.chain(), label: "drain-clean") { c in c.drainGrace = 10 }
        defer { city.stopAll() }
        try city.startAll()
        #expect(city.waitUntilLinked())
        let r = try API.post(city.url("city", "/api/cases"), ["subject": "井盖松动", "address": "东湖区湖滨街道", "category": "城乡建设", "channel": "hotline"])
        let id = try #require(r.string("id"), "\(r.text)")
        #expect(eventually { caseAt(city, Self.street, id) != nil })
        Thread.sleep(forTimeInterval: 0.5)  // the acknowledgements are back
        let started = Date()
        let root = try #require(city.sigterm("city"))
        #expect(root.wait() == 0)
        #expect(Date().timeIntervalSince(started) < 3, "nothing to wait for")
        #expect(eventually(timeout: 5) { city.log(Self.district).contains("city is going away") }, "the child heard the bye: \(city.log(Self.district).suffix(400))")
        #expect(root.output.contains("0 messages not yet acknowledged"), "\(root.output.suffix(400))")
    }
}
