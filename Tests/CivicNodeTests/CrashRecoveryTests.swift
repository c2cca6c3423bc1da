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
}
