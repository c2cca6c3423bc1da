import CivicCases
@testable import CivicNode
import Dispatch
import Foundation
import TestSupport
import Testing

/// GETs and /status are served by the node's read connection: they answer, with committed data,
/// while the writer thread is held inside a batch.
@Suite struct ReaderTests {
    let dir = TempDirectory("reader")

    @Test func readsAreAnsweredWhileTheWriterIsBusy() throws {
        let root = TopologyNode(id: "city", tier: .city, name: "测试市", codes: ["990100"])
        let city = try LocalCity(topology: Topology(casePrefix: "RD", root: root), directory: dir.path)
        defer { city.stopAll() }
        let node = try #require(city.nodes["city"])
        let base = TestTokens.url(node, "")
        let created = try API.post(base + "/api/cases", ["subject": "路灯不亮", "category": "城乡建设"])
        let id = try #require(created.string("id"), "\(created.text)")

        // Hold the writer inside a batch until the reads below have been answered.
        let entered = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        node.store.run({ _ in entered.signal(); release.wait() }) { _ in }
        #expect(entered.wait(timeout: .now() + 10) == .success, "the writer picks up the blocking operation")
        defer { release.signal() }

        let shown = try API.get(base + "/api/cases/\(id)")
        #expect(shown.status == 200 && shown.string("case", "subject") == "路灯不亮", "\(shown.text)")
        let listed = try API.get(base + "/api/cases")
        #expect(listed.status == 200 && (listed.array("cases")?.count ?? 0) == 1, "\(listed.text)")
        let status = try API.get(base + "/status")
        #expect(status.status == 200 && status.string("id") == "city", "\(status.text)")
        let missing = try API.get(base + "/api/cases/RD-19990101-000001")
        #expect(missing.status == 404)
    }
}
