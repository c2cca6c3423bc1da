import CivicCases
import CivicNode
import Foundation
import TestSupport
import Testing

/// A rolling restart under steady intake, real processes, SIGTERM (drain) then start, one node at a time: the
/// street, the district, then the city. Every case the city acknowledged ends at the street exactly once, and a
/// client sees nothing but a 201, a retryable 503 while the city drains, or a refused connection while its one
/// process restarts (a deployment with a load balancer in front would route those elsewhere).
@Suite(.serialized) struct RollingRestartTests {
    final class Client: @unchecked Sendable {
        let city: ProcessCity
        let lock = NSLock()
        var acknowledged: [String] = []
        var statuses: [Int: Int] = [:]   // 0: connection refused or reset
        var running = true
        /// Signalled when `run` returns: its last request is answered (or failed).
        let finished = DispatchSemaphore(value: 0)
        init(city: ProcessCity) { self.city = city }
        func run() {
            defer { finished.signal() }
            var i = 0
            while lock.withLock({ running }) {
                let body: [String: Any] = ["subject": SyntheticCases.subject(i), "detail": SyntheticCases.detail(i), "citizen_phone": "137\(20_000_000 + i)",
                                           "division": "990101001", "category": "城乡建设", "channel": "app"]
                let r = try? API.post(city.url("city", "/api/cases"), body)
                lock.withLock {
                    statuses[r?.status ?? 0, default: 0] += 1
                    if r?.status == 201, let id = r?.string("id") { acknowledged.append(id) }
                }
                if r?.status != 201 { Thread.sleep(forTimeInterval: 0.05) } else { Thread.sleep(forTimeInterval: 0.02) }
                i += 1
            }
        }
        /// Stops after the request in flight, so that nothing the client sent is still on its way to the city.
        func stop() -> ([String], [Int: Int]) {
            lock.withLock { running = false }
            _ = finished.wait(timeout: .now() + 30)
            return lock.withLock { (acknowledged, statuses) }
        }
    }

    @Test(.timeLimit(.minutes(3))) func restartingEveryNodeInTurnUnderIntakeLosesAndDuplicatesNothing() throws {
        let city = try ProcessCity(topology: SampleTopology.chain(), label: "rolling") { c in c.drainGrace = 5 }
        defer { city.stopAll() }
        try city.startAll()
        #expect(city.waitUntilLinked())
        let client = Client(city: city)
        let thread = Thread { client.run() }
        thread.start()
        Thread.sleep(forTimeInterval: 1)
        var report: [String] = []
        for node in ["s990101001", "d990101", "city"] {
            let started = Date()
            let p = try #require(city.sigterm(node))
            #expect(p.wait() == 0, "\(node) drains and exits 0: \(p.output.suffix(300))")
            let drained = Date().timeIntervalSince(started)
            try city.start(node)
            report.append("\(node): drained in \(Int(drained * 1000)) ms, back after \(Int(Date().timeIntervalSince(started) * 1000)) ms")
            #expect(city.waitUntilLinked(), "links up again after \(node)")
            Thread.sleep(forTimeInterval: 1)
        }
        let (acknowledged, statuses) = client.stop()
        print("RollingRestartTests: \(acknowledged.count) cases acknowledged; statuses \(statuses.sorted { $0.key < $1.key }); \(report.joined(separator: "; "))")
        #expect(acknowledged.count > 50, "steady intake: \(acknowledged.count)")
        #expect(Set(statuses.keys).isSubset(of: [201, 503, 0]), "only 201, a retryable 503 or a refused connection: \(statuses)")
        // Everything the city holds reaches the street: the acknowledged cases, and any whose answer was lost in a
        // restart (counted 0 above) but which the city had committed, so it must deliver them too.
        #expect(eventually(timeout: 30) {
            let street = (try? city.cases(at: "s990101001")) ?? [:], held = (try? city.cases(at: "city")) ?? [:]
            return street.count >= Set(acknowledged).count && street.count == held.count
        })
        let atStreet = try city.cases(at: "s990101001"), atCity = try city.cases(at: "city"), atDistrict = try city.cases(at: "d990101")
        for id in acknowledged {
            #expect(atCity[id] != nil && atDistrict[id] != nil && atStreet[id] != nil, "\(id) reached every tier")
        }
        #expect(Set(acknowledged).count == acknowledged.count, "no id acknowledged twice")
        #expect(Set(atStreet.keys) == Set(atCity.keys), "the street holds exactly the city's cases: \(atStreet.count) vs \(atCity.count)")
    }
}
