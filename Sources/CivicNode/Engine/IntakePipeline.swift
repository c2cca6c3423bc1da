import CivicCases
import Dispatch
import Foundation
import Synchronization

/// Intake in two steps: triage (topic model, gazetteer, request type — pure, no database), then the engine's
/// intake on the writer, which only checks repeats, records and routes.
///
/// Where triage runs depends on load. While other intakes wait for the writer, it runs on a concurrent queue, beside
/// the writer instead of inside its batch and off the event loop. When no other intake is in flight it runs at once
/// on the caller's thread (the event loop): waking a queue thread for each request of a trickle was one more
/// wake-up and hand-off on every case's path (at 1,000 cases/s, nine pairs: the city's CPU 1–12 % lower and the
/// median latency up to 0.8 ms lower in eight of them; docs/architecture.md). The loop is then busy for one triage
/// (30 µs with warm caches, a few tenths of a millisecond cold), at a time when no other intake is waiting for it.
final class IntakePipeline: Sendable {
    private let store: NodeStore
    private let routing: any CaseRouting
    private let unit: TopologyNode
    private let clock: any CaseClock
    private let triage = DispatchQueue(label: "civicmesh.triage", qos: .userInitiated, attributes: .concurrent)
    /// Intakes submitted and not yet answered (their `done` not yet called).
    private let inFlight = Atomic<Int>(0)

    init(store: NodeStore, routing: any CaseRouting, unit: TopologyNode, clock: any CaseClock) {
        self.store = store
        self.routing = routing
        self.unit = unit
        self.clock = clock
    }

    /// `done` runs on the node's loop after the intake committed (or failed). Triage runs before this returns when
    /// no other intake is in flight, on a queue thread otherwise.
    func submit(_ draft: CaseDraft, done: @escaping @Sendable (Result<IntakeReceipt, any Error>) -> Void) {
        let (routing, unit, store, clock) = (routing, unit, store, clock)
        let first = inFlight.wrappingAdd(1, ordering: .relaxed).oldValue == 0
        let work: @Sendable () -> Void = { [self] in
            // A district takes no intake: the engine says so; no need to run the model for it.
            let analysis = unit.tier == .district ? nil : routing.analyse(draft, within: unit)
            store.run({ engine in try engine.intake(draft, at: clock.now(), analysis: analysis) }) { result in
                self.inFlight.wrappingSubtract(1, ordering: .relaxed)
                done(result)
            }
        }
        if first { work() } else { triage.async(execute: work) }
    }
}
