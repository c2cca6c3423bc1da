import CivicCases
import Foundation
import SharedTestData
import Testing
@testable import CivicTriage

/// Precision and coverage of place recognition on addresses generated from the Wuhan divisions,
/// with the noise real callers add: missing suffixes, road and building numbers, extra words.
@Suite(.enabled(if: SharedData.available("wuhan_divisions.json", "xining_divisions.json"), Comment(rawValue: SharedData.missing("wuhan_divisions.json", "xining_divisions.json")))) struct GazetteerAccuracyTests {
    /// Real Wuhan roads, several of which contain a unit's short name ("台北路", "后湖大道", "黎黄陂路").
    static let roads = [
        "中山大道", "解放大道", "建设大道", "和平大道", "友谊大道", "珞喻路", "武珞路", "雄楚大道", "发展大道", "青年路",
        "京汉大道", "沿江大道", "新华路", "民主路", "工农路", "关山大道", "后湖大道", "古田二路", "长丰大道", "汉阳大道",
        "鹦鹉大道", "龙阳大道", "四新大道", "黄浦大街", "香港路", "台北路", "三阳路", "黎黄陂路", "江汉路", "花桥一路",
        "二七路", "车站路", "球场路", "新村路",
    ]
    static let buildings = ["幸福小区", "锦绣华庭", "金色家园", "阳光新城", "南湖花园", "城市广场", "职工宿舍", "还建房"]
    static let openers = ["", "", "我家住在", "武汉市", "湖北省武汉市", "地址：", "在"]
    static let closers = ["", "", "附近", "小区门口", "这边", "旁边的工地", "一带", "，噪音很大"]

    struct Sample { var address: String; var expected: String }

    /// The ways people write a street name: official, "街" form, and without any suffix.
    static func streetVariants(_ name: String) -> [String] {
        var base = name
        if let open = base.firstIndex(of: "（") { base = String(base[..<open]) }
        var out = [base]
        for suffix in ["街道", "镇", "乡"] where base.hasSuffix(suffix) {
            let stem = String(base.dropLast(suffix.count))
            if suffix == "街道", !stem.hasSuffix("街"), !stem.hasSuffix("路") { out.append(stem + "街") }
            out.append(stem)
        }
        return out
    }

    static func districtVariants(_ name: String) -> [String] {
        name.hasSuffix("区") ? [name, String(name.dropLast())] : [name]
    }

    static func noise<G: RandomNumberGenerator>(_ g: inout G) -> String {
        let road = roads.randomElement(using: &g)!
        switch Int.random(in: 0..<4, using: &g) {
        case 0: return road + "\(Int.random(in: 1...2000, using: &g))号"
        case 1: return road + "\(Int.random(in: 1...999, using: &g))号\(Int.random(in: 1...30, using: &g))栋"
        case 2: return buildings.randomElement(using: &g)! + "\(Int.random(in: 1...20, using: &g))栋"
        default: return ""
        }
    }

    /// Addresses whose true unit is known: street with or without district, or district only.
    static func placeableSamples(_ topology: Topology) -> [Sample] {
        var g = SeededRandom(seed: 20_261_121)
        var out: [Sample] = []
        for district in topology.root.children {
            for street in district.children {
                // A street stem equal to its district's ("蔡甸街道" → "蔡甸") names the district, not the street.
                for variant in streetVariants(street.name) where !districtVariants(district.name).contains(variant) {
                    for withDistrict in [true, false] {
                        let d = withDistrict ? districtVariants(district.name).randomElement(using: &g)! : ""
                        let n = noise(&g)
                        let parts = [openers.randomElement(using: &g)!, d, variant, n, closers.randomElement(using: &g)!]
                        out.append(Sample(address: parts.joined(), expected: street.id))
                    }
                }
            }
            for variant in districtVariants(district.name) {
                for _ in 0..<3 {
                    let address = openers.randomElement(using: &g)! + variant + noise(&g) + closers.randomElement(using: &g)!
                    out.append(Sample(address: address, expected: district.id))
                }
            }
        }
        return out
    }

    /// Addresses that must never be placed: a street named in two districts without its district,
    /// a street with the wrong district, two districts, or only roads and buildings.
    static func ambiguousSamples(_ topology: Topology) -> [String] {
        var g = SeededRandom(seed: 7)
        var out: [String] = []
        var byName: [String: [String]] = [:]
        for d in topology.root.children {
            for s in d.children { byName[streetVariants(s.name)[0], default: []].append(d.name) }
        }
        for (name, districts) in byName where districts.count > 1 {
            for _ in 0..<5 { out.append(openers.randomElement(using: &g)! + name + noise(&g) + closers.randomElement(using: &g)!) }
        }
        let districts = topology.root.children
        for (i, d) in districts.enumerated() {
            let other = districts[(i + 1) % districts.count]
            for s in d.children {
                // Generic or two-character official names ("开发区", "桐湖") are ordinary words, not conflicts.
                guard !other.children.contains(where: { $0.name == s.name }), s.name.count > 2,
                      !PlaceNames.commonWords.contains(s.name) else { continue }
                out.append(other.name + streetVariants(s.name)[0] + noise(&g))
            }
            out.append(d.name + noise(&g) + "，靠近" + other.name)
        }
        for _ in 0..<100 { out.append(openers.randomElement(using: &g)! + noise(&g) + closers.randomElement(using: &g)!) }
        return out
    }

    @Test(arguments: ["wuhan", "xining"])
    func precisionAndCoverage(city: String) throws {
        let topology = city == "wuhan" ? try TestData.wuhan() : try TestData.xining()
        let gazetteer = Gazetteer(topology: topology)
        let samples = Self.placeableSamples(topology)
        var placed = 0
        var exact = 0
        var shallower = 0  // the district of the expected street: not misrouted, just less deep
        var wrong: [String] = []
        let started = Date()
        for sample in samples {
            guard let id = gazetteer.locate(address: sample.address, divisionCode: nil).placedNodeId else { continue }
            placed += 1
            if id == sample.expected { exact += 1 }
            else if topology.root.path(to: sample.expected)?.contains(id) == true { shallower += 1 }
            else { wrong.append("\(sample.address) → \(id), expected \(sample.expected)") }
        }
        let perAddress = Date().timeIntervalSince(started) / Double(samples.count)
        let precision = Double(exact) / Double(max(placed, 1))
        let notMisrouted = Double(exact + shallower) / Double(max(placed, 1))
        let coverage = Double(placed) / Double(samples.count)
        report("gazetteer \(city): \(samples.count) addresses, \(gazetteer.formCount) forms; placed \(placed) "
            + "(exact \(exact), at the district \(shallower), misrouted \(wrong.count)); "
            + "precision \(String(format: "%.4f", precision)) (not misrouted \(String(format: "%.4f", notMisrouted))), "
            + "coverage \(String(format: "%.4f", coverage)), \(String(format: "%.1f", perAddress * 1e6)) µs/address (\(buildKind) build)")
        for line in wrong.prefix(20) { report("  misrouted: \(line)") }
        #expect(samples.count > 300)
        #expect(precision >= 0.99)
        #expect(wrong.isEmpty)
        #expect(coverage >= 0.75)
    }

    @Test func ambiguousAddressesAreNeverPlaced() throws {
        let topology = try TestData.wuhan()
        let gazetteer = Gazetteer(topology: topology)
        let samples = Self.ambiguousSamples(topology)
        let placed = samples.filter { gazetteer.locate(address: $0, divisionCode: nil).placedNodeId != nil }
        report("gazetteer wuhan ambiguous set: \(samples.count) addresses, placed \(placed.count)")
        for line in placed.prefix(20) { report("  placed: \(line) → \(gazetteer.locate(address: line, divisionCode: nil))") }
        #expect(samples.count > 250)
        #expect(placed.isEmpty)
    }

    @Test func everyOfficialNameIsPlacedOnItsOwnUnit() throws {
        for topology in [try TestData.wuhan(), try TestData.xining()] {
            let gazetteer = Gazetteer(topology: topology)
            var names: [String: Int] = [:]
            for node in topology.allNodes { names[node.name, default: 0] += 1 }
            for node in topology.allNodes.dropFirst() where names[node.name] == 1 {
                let decision = gazetteer.locate(address: node.name, divisionCode: nil)
                // A bare generic name ("开发区") is allowed to stay unplaced, but never placed elsewhere.
                if let id = decision.placedNodeId { #expect(id == node.id, "\(node.name): \(decision.reason)") }
                if node.tier == .district { #expect(decision.placedNodeId == node.id, "\(node.name)") }
            }
        }
    }
}
