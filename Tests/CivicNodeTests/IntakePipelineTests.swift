import CivicCases
@testable import CivicNode
import Foundation
import Synchronization
import Testing
import TestSupport

/// Where an intake's triage runs: at once on the caller's thread when no other intake is in flight (a trickle:
/// no queue thread woken per request), on the triage queue while others wait for the writer (a flood: beside it).
@Suite struct IntakePipelineTests {
    @Test func triageRunsOnTheCallersThreadOnlyWhenNoOtherIntakeIsInFlight() throws {
        let dir = TempDirectory("intake-pipeline")
        let router = ThreadRecordingRouter(try NodeTriage.make(config: loneNodeConfig(in: dir)))
        let node = try MeshNode(config: loneNodeConfig(in: dir), router: router, logLevel: .error)
        defer { node.stop() }
        let answered = DispatchSemaphore(value: 0)
        let receipts = Mutex<[Result<IntakeReceipt, any Error>]>([])
        func submit(_ subject: String) {
            node.intakes.submit(CaseDraft(channel: .hotline, subject: subject, location: Location(address: "东湖区湖滨街道"), category: "城乡建设")) { result in
                receipts.withLock { $0.append(result) }
                answered.signal()
            }
        }

        // The writer is held by an operation that waits for the gate, so the first intake stays in flight.
        let gate = DispatchSemaphore(value: 0)
        node.store.run({ _ in gate.wait() }, done: { _ in })
        let caller = pthread_self()
        submit("路灯不亮")
        #expect(router.threads.count == 1, "the first intake's triage has run before submit returned")
        submit("井盖缺失")
        #expect(eventually(timeout: 10) { router.threads.count == 2 })
        let threads = router.threads
        #expect(pthread_equal(threads[0], caller) != 0, "nothing in flight: triage on the caller's thread")
        #expect(pthread_equal(threads[1], caller) == 0, "one intake in flight: triage on a queue thread")

        gate.signal()
        for _ in 0..<2 { #expect(answered.wait(timeout: .now() + 10) == .success) }
        // Both answered: nothing in flight, so the next one runs on the caller's thread again.
        submit("道路积水")
        #expect(router.threads.count == 3 && pthread_equal(router.threads[2], caller) != 0)
        #expect(answered.wait(timeout: .now() + 10) == .success)
        let ids = try receipts.withLock { try $0.map { try $0.get().case.id } }
        #expect(Set(ids).count == 3, "three cases recorded: \(ids)")
    }
}

/// The node's own routing, noting the thread each triage ran on.
private final class ThreadRecordingRouter: CaseRouting, Sendable {
    private let inner: any CaseRouting
    private let seen = Mutex<[pthread_t]>([])
    init(_ inner: any CaseRouting) { self.inner = inner }
    var threads: [pthread_t] { seen.withLock { $0 } }

    func analyse(_ draft: CaseDraft, within scope: TopologyNode) -> IntakeAnalysis {
        seen.withLock { $0.append(pthread_self()) }
        return inner.analyse(draft, within: scope)
    }
    func place(_ c: Case, within scope: TopologyNode) -> Placement { inner.place(c, within: scope) }
    func department(for category: String, at unit: String) -> String? { inner.department(for: category, at: unit) }
    func unit(_ id: String) -> TopologyNode? { inner.unit(id) }
}
