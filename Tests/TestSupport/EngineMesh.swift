import CivicCases
import CivicNode
import Foundation

/// A clock that moves only when told: days of deadlines in microseconds, the same every run.
public final class ManualClock: CaseClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    public init(_ start: Date = Date(timeIntervalSince1970: 1_790_000_000)) { current = start }
    public func now() -> Date { lock.withLock { current } }
    public func advance(by seconds: TimeInterval) { lock.withLock { current += seconds } }
}

/// A whole city of case engines in one process, on temporary SQLite files, with no threads and no sockets:
/// every line an engine would send is queued here and carried to its peer by `deliver()`, acknowledgements
/// included. Time comes from a `ManualClock`. Domain behaviour (routing, returns, recalls, counters,
/// propagation) is tested on it in milliseconds; a few end-to-end tests keep the real sockets and processes.
public final class EngineMesh {
    public let topology: Topology
    public let clock: ManualClock
    public let dir: TempDirectory
    public private(set) var engines: [String: StandaloneEngine] = [:]
    let configs: [String: NodeConfig]
    /// Lines in flight: (from, to, line), in send order.
    private var wire: [(from: String, to: String, line: OutboxLine)] = []
    public private(set) var delivered = 0

    public init(topology: Topology = SampleTopology.load(), clock: ManualClock = ManualClock(), configure: (inout NodeConfig) -> Void = { _ in }) throws {
        self.topology = topology
        self.clock = clock
        dir = TempDirectory("enginemesh")
        var generated = ConfigGenerator.configs(for: topology, options: .init(basePort: 0, dataRoot: dir.path))
        for i in generated.indices { configure(&generated[i]) }
        configs = Dictionary(uniqueKeysWithValues: generated.map { ($0.id, $0) })
        for id in topology.allNodes.map(\.id) { try open(id) }
    }

    private func open(_ id: String) throws {
        engines[id] = try StandaloneEngine(config: configs[id]!, path: dir.file("\(id).sqlite"), clock: clock)
    }

    public func engine(_ id: String) -> StandaloneEngine { engines[id]! }

    private func queue(_ lines: [OutboxLine], from node: String) {
        for line in lines { wire.append((node, line.peer, line)) }
    }

    @discardableResult
    public func intake(at node: String, _ draft: CaseDraft) throws -> IntakeReceipt {
        let (receipt, lines) = try engine(node).intake(draft, at: clock.now())
        queue(lines, from: node)
        return receipt
    }

    @discardableResult
    public func perform(_ command: CaseCommand, on caseId: String, at node: String, actor: String = "operator") throws -> Case {
        let (c, lines) = try engine(node).perform(command, on: caseId, actor: actor, at: clock.now())
        queue(lines, from: node)
        return c
    }

    /// One timer tick at every node given (all by default, the city first), at the clock's time.
    @discardableResult
    public func tick(_ nodes: [String]? = nil) throws -> Int {
        var issued = 0
        for id in nodes ?? topology.allNodes.map(\.id) {
            let (tick, lines) = try engine(id).fireTimers(at: clock.now())
            queue(lines, from: id)
            issued += tick.issued
        }
        return issued
    }

    /// Ticks and delivers until nothing more is issued.
    @discardableResult
    public func tickAndDeliver(_ nodes: [String]? = nil) throws -> Int {
        var total = 0
        while true {
            let issued = try tick(nodes)
            try deliver()
            total += issued
            if issued == 0 { return total }
        }
    }

    /// Carries lines (and their acknowledgements) until none is left, or `limit` lines were carried.
    /// A line the receiver refuses is left unacknowledged and reported.
    @discardableResult
    public func deliver(limit: Int = 100_000) throws -> [String] {
        var refusals: [String] = []
        var carried = 0
        while !wire.isEmpty, carried < limit {
            let (from, to, line) = wire.removeFirst()
            carried += 1
            do {
                let (_, produced) = try engine(to).receive(line.line, from: from, at: clock.now())
                try engine(from).acknowledge(peer: to, upTo: line.seq)
                queue(produced, from: to)
                delivered += 1
            } catch {
                refusals.append("\(from)→\(to) seq \(line.seq): \(error)")
            }
        }
        return refusals
    }

    /// Closes and reopens a node's engine from its database, as a restart would; lines in flight to it stay
    /// queued (a real link resends what was not acknowledged).
    public func restart(_ id: String) throws {
        engine(id).close()
        try open(id)
    }

    public func caseAt(_ node: String, _ id: String) throws -> (Case, [CaseEvent])? { try engine(node).caseWithHistory(id) }
    public func stateAt(_ node: String, _ id: String) throws -> String? { try caseAt(node, id).map { "\($0.0.state.rawValue)@\($0.0.holder)" } }
}
