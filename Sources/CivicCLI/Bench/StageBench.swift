import CivicCases
import CivicNode
import CivicWire
import Foundation

/// `civicmesh bench --stages`: the work of one case at each tier, one stage at a time on one thread, with
/// the engines of the three-node chain on their own databases (batches of 16 operations per commit, as group
/// commit runs them) and no sockets. Deterministic enough to count instructions: run it under
/// `valgrind --tool=callgrind` and read each stage function's inclusive count (docs/architecture.md).
enum StageBench {
    static func run(_ a: Arguments) throws -> Int32 {
        let n = try a.int("cases", default: 2000)
        let dir = NSTemporaryDirectory() + "civicmesh-stages-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let configs = ConfigGenerator.configs(for: SampleTopology.chain(), options: .init(basePort: 0, dataRoot: dir))
        let clock = SystemClock()
        let engines = try configs.map { try StandaloneEngine(config: $0, path: dir + "/\($0.id).sqlite", clock: clock) }
        let (city, middle, street) = (engines[0], engines[1], engines[2])
        let options = ChainBench.Options(cases: n, connections: 1, pipeline: 1, bytes: try a.int("bytes", default: 1024), rate: nil,
                                         seconds: 0, warmup: 0, basePort: 0, keep: nil)
        let drafts = (0..<n).map { try! CaseDraft(apiBody: ChainBench.requestBody($0, options: options), defaultChannel: .hotline) }

        var figures: [(String, Double)] = []
        func time(_ name: String, _ body: () throws -> Void) rethrows {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            figures.append((name, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e3 / Double(n)))
        }
        _ = city.analyse(drafts[0])  // the topic model loads (or trains) on first use: not part of a case's cost
        var analyses: [IntakeAnalysis] = []
        time("city triage (topic, place, type)") { analyses = triageStage(city, drafts) }
        var toDistrict: [[UInt8]] = []
        try time("city intake (engine, store)") { toDistrict = try intakeStage(city, drafts, analyses) }
        var toStreet: [[UInt8]] = [], toCity: [[UInt8]] = []
        try time("district apply and route") { (toStreet, toCity) = try districtStage(middle, toDistrict, street: street.nodeId) }
        if !toCity.isEmpty { try time("city apply of the district's updates") { _ = try applyStage(city, toCity, from: middle.nodeId, street: nil) } }
        try time("street apply") { try streetStage(street, toStreet, from: middle.nodeId) }
        // Each case crosses two links (city → district → street): every line is sealed once and opened once per hop.
        let meanLine = toDistrict.isEmpty ? 0 : toDistrict.reduce(0) { $0 + $1.count } / toDistrict.count
        try time("seal + open, per link (\(meanLine) B)") { try sealStage(toDistrict) }
        print("one case through each stage, \(n) cases of \(options.bytes) bytes, 16 operations per commit, synchronous=NORMAL, one thread:")
        func line(_ name: String, _ micros: Double) { print("  " + name.padding(toLength: 38, withPad: " ", startingAt: 0) + String(format: "%8.1f µs/case", micros)) }
        for (name, micros) in figures { line(name, micros) }
        line("all stages", figures.reduce(0) { $0 + $1.1 })
        return 0
    }

    /// Seals and opens every line as one link direction would (ChaCha20-Poly1305, Base64).
    @inline(never)
    static func sealStage(_ lines: [[UInt8]]) throws {
        let key = SecureRandom.bytes(32)
        var sealer = LineSeal.Sealer(key: key), opener = LineSeal.Opener(key: key)
        for line in lines { _ = try opener.open(sealer.seal(line)) }
    }

    @inline(never)
    static func triageStage(_ city: StandaloneEngine, _ drafts: [CaseDraft]) -> [IntakeAnalysis] { drafts.map(city.analyse) }

    @inline(never)
    static func intakeStage(_ city: StandaloneEngine, _ drafts: [CaseDraft], _ analyses: [IntakeAnalysis]) throws -> [[UInt8]] {
        var lines: [[UInt8]] = []
        let now = Date()
        for start in stride(from: 0, to: drafts.count, by: 16) {
            try city.batch {
                for i in start..<min(drafts.count, start + 16) { lines += try city.intake(drafts[i], analysis: analyses[i], at: now).1.map(\.line) }
            }
        }
        return lines
    }

    @inline(never)
    static func districtStage(_ district: StandaloneEngine, _ lines: [[UInt8]], street: String) throws -> ([[UInt8]], [[UInt8]]) {
        try applyStage(district, lines, from: "city", street: street)
    }

    @inline(never)
    static func streetStage(_ street: StandaloneEngine, _ lines: [[UInt8]], from district: String) throws {
        _ = try applyStage(street, lines, from: district, street: nil)
    }

    /// Applies `lines` from `peer` in batches; returns the lines produced towards `street` and towards the parent.
    @inline(never)
    static func applyStage(_ engine: StandaloneEngine, _ lines: [[UInt8]], from peer: String, street: String?) throws -> ([[UInt8]], [[UInt8]]) {
        var down: [[UInt8]] = [], up: [[UInt8]] = []
        let now = Date()
        for start in stride(from: 0, to: lines.count, by: 16) {
            try engine.batch {
                for i in start..<min(lines.count, start + 16) {
                    for out in try engine.receive(lines[i], from: peer, at: now).1 { if out.peer == street { down.append(out.line) } else { up.append(out.line) } }
                }
            }
        }
        return (down, up)
    }
}
