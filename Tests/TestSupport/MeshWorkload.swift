import CivicSupport
import CivicCases
import CivicNode
import Foundation

public typealias SeededRandom = SplitMix64

/// Drives a `LocalCity` with a random mix of what its users do — intakes at every kind of address, grid reports,
/// assigns, returns, accepts, progress notes, resolutions — and random restarts of nodes; then checks the mesh's
/// invariants once it is quiet. Everything goes through the real HTTP API, real TCP links and real SQLite files.
public final class MeshWorkload {
    public struct Figures: CustomStringConvertible {
        public var answered: [String: Int] = [:]
        public var restarts = 0
        public var created: [String] = []
        public var description: String {
            "cases \(created.count), restarts \(restarts), " + answered.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        }
    }

    let city: LocalCity
    var random: SeededRandom
    public private(set) var figures = Figures()
    /// Problems found: a 5xx answer, a broken invariant. Empty means the run passed.
    public private(set) var problems: [String] = []
    let streets: [TopologyNode]
    let districts: [TopologyNode]

    public init(city: LocalCity, seed: UInt64) {
        self.city = city
        random = SeededRandom(seed: seed)
        streets = city.topology.allNodes.filter { $0.tier == .street }
        districts = city.topology.allNodes.filter { $0.tier == .district }
    }

    func url(_ node: String, _ path: String) -> String? { city.nodes[node].map { TestTokens.url($0, path) } }

    /// Sends a request; a node being restarted may refuse the connection, which is expected and not counted.
    @discardableResult
    func call(_ label: String, _ node: String, _ path: String, _ body: [String: Any]) -> JSONResponse? {
        guard let url = url(node, path), let r = try? API.post(url, body) else { return nil }
        figures.answered["\(label) \(r.status)", default: 0] += 1
        if r.status >= 500 { problems.append("\(label) at \(node) answered \(r.status): \(r.text)") }
        return r
    }

    public func run(steps: Int, restartEvery: Int) throws {
        for step in 0..<steps {
            if restartEvery > 0, step > 0, step % restartEvery == 0 { try restartOne() }
            let roll = Int.random(in: 0..<10, using: &random)
            if roll < 4 || figures.created.isEmpty { intake(n: step) } else { act() }
        }
    }

    func intake(n: Int) {
        let street = streets.randomElement(using: &random)!
        let district = districts.first { $0.contains(street.id) }!
        var body: [String: Any] = ["subject": SyntheticCases.subject(n), "detail": SyntheticCases.detail(n)]
        if Bool.random(using: &random) { body["category"] = "城乡建设" }
        var at = "city"
        switch Int.random(in: 0..<5, using: &random) {
        case 0: body["address"] = "\(district.name)\(street.name)\(n)号"
        case 1: body["address"] = district.name
        case 2: break  // no address: the city's operators place it
        case 3: body["address"] = "火星路\(n)号"
        default:
            at = street.id  // a grid worker's report at the street
            body["address"] = street.name
        }
        if let r = call("intake", at, "/api/cases", body), r.status == 201, let id = r.string("id") { figures.created.append(id) }
    }

    /// One action on a random case, by the unit that holds it, chosen from what its state allows.
    func act() {
        let id = figures.created.randomElement(using: &random)!
        guard let cityURL = url("city", "/api/cases/\(id)"), let seen = try? API.get(cityURL), let holder = seen.string("case", "holder"),
              let unit = city.topology.find(holder), let holderURL = url(holder, "/api/cases/\(id)"),
              let local = try? API.get(holderURL), let state = local.string("case", "state") else { return }
        let path = "/api/cases/\(id)/"
        let below = unit.allNodes.filter { $0.id != unit.id }
        let pick = Int.random(in: 0..<10, using: &random)
        if state != "resolved", unit.tier != .city, Int.random(in: 0..<8, using: &random) == 0 {
            return recall(id, holder: holder, racing: pick < 5 ? holderAction(unit, state, path) : nil)
        }
        if (state == "pending" || state == "returned"), Int.random(in: 0..<3, using: &random) == 0, local.string("case", "attributes", "returns") != nil,
           let target = below.randomElement(using: &random) {
            call("ruling", holder, path + "assign", ["target": target.id, "ruling": true, "reason": "裁定"])
            return
        }
        if let ruler = local.string("case", "attributes", "ruled_by"), pick < 3 {
            call("allow_return", ruler, path + "allow_return", ["reason": "同意退回"])
        }
        switch (unit.tier, state) {
        case (.street, "dispatched"):
            if pick < 7 { call("accept", holder, path + "accept", [:]) } else { call("return", holder, path + "return", ["reason": "不属本街道"]) }
        case (.street, "accepted"):
            if pick < 4 { call("progress", holder, path + "progress", ["note": "处理中"]) }
            else if pick < 8 { call("resolve", holder, path + "resolve", ["reply": "已处理"]) }
            else if unit.id != city.topology.root.id { call("return", holder, path + "return", ["reason": "需上级协调"]) }
        case (_, "pending"), (_, "returned"), (.district, "dispatched"):
            if pick < 8, let target = below.randomElement(using: &random) {
                call("assign", holder, path + "assign", ["target": target.id, "category": "城乡建设"])
            } else if unit.tier != .city {
                call("return", holder, path + "return", ["reason": "不属本区"])
            }
        default: break
        }
    }

    /// What the holder would do next, to race against a recall.
    func holderAction(_ unit: TopologyNode, _ state: String, _ path: String) -> (String, String, [String: Any])? {
        switch (unit.tier, state) {
        case (.street, "dispatched"): return ("accept", path + "accept", [:])
        case (.street, "accepted"): return ("resolve", path + "resolve", ["reply": "已处理"])
        case (.district, _): return ("return", path + "return", ["reason": "不属本区"])
        default: return nil
        }
    }

    /// A dispatcher above the holder takes the case back and assigns it elsewhere — sometimes at the very moment
    /// the holder acts on it, so that the two cross on the wire.
    func recall(_ id: String, holder: String, racing action: (String, String, [String: Any])?) {
        let chain = city.topology.root.path(to: holder) ?? []
        let above = chain.dropLast()
        guard let recaller = above.randomElement(using: &random), let unit = city.topology.find(recaller),
              let target = unit.allNodes.filter({ $0.id != recaller && $0.id != holder }).randomElement(using: &random) else { return }
        let body: [String: Any] = ["target": target.id, "reason": "改派"]
        guard let action else { call("recall", recaller, "/api/cases/\(id)/assign", body); return }
        let results = LockedResults()
        var requests: [(label: String, url: String, body: [UInt8])] = []
        for (node, label, path, b) in [(recaller, "recall", "/api/cases/\(id)/assign", body), (holder, action.0, action.1, action.2)] {
            guard let url = url(node, path), let bytes = try? JSONSerialization.data(withJSONObject: b) else { return }
            requests.append((label, url, [UInt8](bytes)))
        }
        let sendable = requests.map { SendableRequest(label: $0.label, url: $0.url, body: $0.body) }
        DispatchQueue.concurrentPerform(iterations: sendable.count) { i in
            let req = sendable[i]
            if let r = try? API.request("POST", req.url, raw: req.body) { results.add(req.label, r) }
        }
        for (label, r) in results.all {
            figures.answered["\(label) \(r.status)", default: 0] += 1
            if r.status >= 500 { problems.append("\(label) answered \(r.status): \(r.text)") }
        }
        figures.answered["raced recalls", default: 0] += 1
    }

    func restartOne() throws {
        let all = city.topology.allNodes.map(\.id)
        let id = all.randomElement(using: &random)!
        city.stop(id)
        try city.start(id)
        figures.restarts += 1
    }

    /// Waits until every link is up and every outbox drained, then checks what must hold.
    public func checkInvariants(timeout: Double = 60) throws {
        let nodes = city.topology.allNodes
        let quiet = eventually(timeout: timeout, interval: 0.1) {
            nodes.allSatisfy { city.nodes[$0.id]?.parentLinkState ?? "up" == "up" } && nodes.allSatisfy { n in
                let peers = (n.tier == .city ? [] : [parentId(of: n.id)!]) + n.children.map(\.id)
                return peers.allSatisfy { p in (try? city.nodes[n.id]!.linkFigures(p)).map { $0.outboxDepth == 0 } ?? false }
            }
        }
        if !quiet {
            let stuck = nodes.flatMap { n in ((n.tier == .city ? [] : [parentId(of: n.id)!]) + n.children.map(\.id)).compactMap { p -> String? in
                let f = try? city.nodes[n.id]!.linkFigures(p)
                return f.map { $0.outboxDepth == 0 ? nil : "\(n.id)→\(p) \($0)" } ?? "\(n.id)→\(p) unreadable"
            } }
            let down = nodes.filter { (city.nodes[$0.id]?.parentLinkState ?? "up") != "up" }.map(\.id)
            problems.append("the mesh did not settle: links down at \(down), outboxes not drained: \(stuck)")
        }
        for n in nodes where n.tier != .city {
            let parent = parentId(of: n.id)!
            let up = try city.nodes[n.id]!.linkFigures(parent), down = try city.nodes[parent]!.linkFigures(n.id)
            if up.lastAssigned != down.lastApplied { problems.append("\(n.id)→\(parent): \(n.id) assigned up to seq \(up.lastAssigned), \(parent) applied \(down.lastApplied)") }
            if down.lastAssigned != up.lastApplied { problems.append("\(parent)→\(n.id): \(parent) assigned up to seq \(down.lastAssigned), \(n.id) applied \(up.lastApplied)") }
        }
        // The city sees every case; the holder and every unit above it agree with the city exactly;
        // a unit that held it once knows a part of the same history and nothing else.
        var histories: [String: [String: (Case, [CaseEvent])]] = [:]
        for n in nodes {
            var here: [String: (Case, [CaseEvent])] = [:]
            for id in try caseIds(at: n.id) { if let found = try city.nodes[n.id]!.caseWithHistory(id) { here[id] = found } }
            histories[n.id] = here
        }
        let atCity = histories["city"] ?? [:]
        for id in figures.created where atCity[id] == nil { problems.append("case \(id) was accepted (201) but the city does not hold it") }
        for (id, (c, events)) in atCity {
            let eventIds = events.map(\.id)
            let chain = city.topology.root.path(to: c.holder) ?? []
            if chain.isEmpty { problems.append("case \(id) held by \(c.holder), which is not in the topology") }
            for n in nodes {
                guard let (local, localEvents) = histories[n.id]?[id] else {
                    if chain.contains(n.id) { problems.append("case \(id): \(n.id) is on the way to its holder \(c.holder) but does not have it") }
                    continue
                }
                if chain.contains(n.id) {
                    if local.state != c.state || local.holder != c.holder { problems.append("case \(id): \(n.id) has \(local.state.rawValue)@\(local.holder), the city \(c.state.rawValue)@\(c.holder)") }
                    // The same events; those that move the case (made only by its holder, so never concurrent) in the
                    // same order. Annotations (a recall request, a repeat report) may interleave differently.
                    if Set(localEvents.map(\.id)) != Set(eventIds) || localEvents.count != eventIds.count {
                        problems.append("case \(id): history at \(n.id) \(localEvents.map(\.id)) differs from the city's \(eventIds)")
                    }
                    let moving = { (list: [CaseEvent]) in list.filter { $0.action.movesCase }.map(\.id) }
                    if moving(localEvents) != moving(events) {
                        problems.append("case \(id): the case moved in another order at \(n.id) \(moving(localEvents)) than at the city \(moving(events))")
                    }
                    if local.subject != c.subject || local.citizen != c.citizen { problems.append("case \(id): header differs at \(n.id)") }
                } else if !Set(localEvents.map(\.id)).isSubset(of: Set(eventIds)) {
                    problems.append("case \(id): \(n.id) knows events the city does not")
                }
            }
        }
        if nodes.contains(where: { n in histories[n.id]?.keys.contains { atCity[$0] == nil } ?? false }) {
            problems.append("a node holds a case the city does not know")
        }
    }

    func parentId(of id: String) -> String? { city.configs[id]?.parentId }

    struct SendableRequest: Sendable { var label: String; var url: String; var body: [UInt8] }

    final class LockedResults: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [(String, JSONResponse)] = []
        func add(_ label: String, _ r: JSONResponse) { lock.withLock { items.append((label, r)) } }
        var all: [(String, JSONResponse)] { lock.withLock { items } }
    }

    func caseIds(at node: String) throws -> [String] {
        var out: [String] = []
        var after: String? = nil
        repeat {
            let page = try API.get(url(node, "/api/cases?limit=1000" + (after.map { "&after=\($0)" } ?? ""))!)
            out += (page.array("cases") ?? []).compactMap { $0["id"] as? String }
            after = page.string("next")
        } while after != nil
        return out
    }
}
