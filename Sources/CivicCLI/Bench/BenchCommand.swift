import CivicCases
import CivicNode
import Foundation

/// `civicmesh bench`: cases per second from intake at the city to commit at the streets, on a local
/// in-process city (real TCP links on loopback, real SQLite files with synchronous=FULL).
enum BenchCommand {
    static func run(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, command: "bench")
        if a.has("processes") { return try ChainBench.run(a) }
        if a.has("stages") { return try StageBench.run(a) }
        if a.has("timers") { return try TimerBench.run(a) }
        let total = try a.int("cases", default: 5000)
        guard total > 0 else { throw UsageError("--cases must be positive") }
        let dir = a["data"] ?? NSTemporaryDirectory() + "civicmesh-bench-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        let topology = SampleTopology.load()
        let city = try LocalCity(topology: topology, directory: dir)
        defer {
            city.stopAll()
            if a["data"] == nil { try? FileManager.default.removeItem(atPath: dir) }
        }
        guard city.waitUntilLinked() else { printError("bench: links did not come up"); return 1 }
        let streets = topology.allNodes.filter { $0.tier == .street }
        let districts = topology.root.children
        let cityNode = city.nodes[topology.root.id]!

        let accepted = Locked(0), failed = Locked(0), linked = Locked(0)
        let start = Date()
        for i in 0..<total {
            let street = streets[i % streets.count]
            let district = districts.first { $0.contains(street.id) }!
            let draft = CaseDraft(channel: .hotline, citizen: Citizen(name: "bench", phone: "1380000\(String(format: "%04d", i % 10000))"),
                                  subject: SyntheticCases.subject(i), detail: SyntheticCases.detail(i),
                                  location: Location(address: "\(district.name)\(street.name)某路\(i)号"),
                                  category: "城乡建设")  // a known topic: no case waits for an operator (the guess is still made, for audit)
            cityNode.intake(draft) { result in
                switch result {
                case .success(let receipt):
                    accepted.update { $0 += 1 }
                    if receipt.linkedTo != nil { linked.update { $0 += 1 } }
                case .failure(let error): failed.update { $0 += 1 }; if failed.value == 1 { printError("bench: intake failed: \(error)") }
                }
            }
        }
        while accepted.value + failed.value < total, Date().timeIntervalSince(start) < 300 { usleep(2_000) }
        let intakeSeconds = Date().timeIntervalSince(start)
        func arrived() -> Int { streets.reduce(0) { $0 + (city.nodes[$1.id]?.counters.own.received ?? 0) } }
        var lastReport = Date()
        while arrived() < accepted.value - linked.value, Date().timeIntervalSince(start) < 600 {
            usleep(10_000)
            if Date().timeIntervalSince(lastReport) > 5 {
                lastReport = Date()
                printError("bench: \(arrived()) of \(accepted.value) cases at the streets after \(Int(Date().timeIntervalSince(start))) s; links: "
                           + city.nodes.values.compactMap { n in n.parentLinkState.map { "\(n.config.id)=\($0)" } }.sorted().joined(separator: " "))
            }
        }
        let seconds = Date().timeIntervalSince(start)
        let got = arrived()
        print(String(format: "intake at city: %d cases committed in %.2f s = %.0f cases/s (%d failed, %d linked as repeats)", accepted.value, intakeSeconds, Double(accepted.value) / intakeSeconds, failed.value, linked.value))
        print(String(format: "city→street: %d of %d cases committed at the streets in %.2f s = %.0f cases/s end to end", got, total, seconds, Double(got) / seconds))
        let figures = cityNode.storeFigures
        print("city store: \(figures.operations) operations in \(figures.commits) commits (group commit)")
        print("(3 tiers, \(topology.allNodes.count) nodes in one process, WAL + synchronous=FULL; data in \(dir))")
        return got == accepted.value - linked.value ? 0 : 1
    }
}
