import CivicNode
import Foundation
import TestSupport
import Testing

/// `civicmesh up` as a user runs it: a whole city of processes, mesh.json, clean stop, resume on rerun.
@Suite(.serialized) struct UpCommandTests {
    /// A base port with the 24 ports the sample city needs all free.
    func freeBase() -> Int {
        for _ in 0..<50 {
            let base = Int.random(in: 20_000...32_000) & ~1  // below Linux's ephemeral range, so no test's port-0 socket lands here
            if (0..<24).allSatisfy({ portIsFree(base + $0) }) { return base }
        }
        return 24_000
    }

    func portIsFree(_ port: Int) -> Bool { (try? API.get("http://127.0.0.1:\(port)/healthz")) == nil }

    func runUp(_ dir: TempDirectory, base: Int, run: Int) throws -> CivicProcess {
        let p = try CivicProcess(["up", "--data", dir.file("city"), "--base-port", String(base)], log: dir.file("up\(run).log"))
        #expect(eventually(timeout: 60) { p.output.contains("CivicMesh is up") || !p.isRunning }, "up reports success: \(p.output)")
        return p
    }

    @Test(.timeLimit(.minutes(3))) func upRunsTheSampleCityStopsCleanlyAndResumes() throws {
        let dir = TempDirectory("up")
        let base = freeBase()
        let first = try runUp(dir, base: base, run: 1)
        #expect(first.output.contains("http://127.0.0.1:\(base)/status"))
        let meshData = try Data(contentsOf: URL(fileURLWithPath: dir.file("city/mesh.json")))
        let mesh = try #require(try JSONSerialization.jsonObject(with: meshData) as? [String: Any])
        let nodes = try #require(mesh["nodes"] as? [[String: Any]])
        #expect(nodes.count == 12)
        #expect(nodes.filter { $0["tier"] as? String == "street" }.allSatisfy { $0["parent"] as? String != nil && $0["http"] as? String != nil })
        let city = "http://127.0.0.1:\(base)"
        let status = try API.get(city + "/status")
        #expect((status.array("children") ?? []).allSatisfy { $0["state"] as? String == "up" })
        let created = try API.post(city + "/api/cases", ["subject": "重启之后还在吗", "address": "南山区青石街道"])
        let id = try #require(created.string("id"))

        first.terminate()
        #expect(first.process.terminationStatus == 0)
        #expect(eventually(timeout: 15) { (0..<24).allSatisfy { portIsFree(base + $0) } }, "every node stopped")

        let second = try runUp(dir, base: base + 2, run: 2)  // configs are reused: the ports stay those of the first run
        #expect(try API.get(city + "/api/cases/\(id)").status == 200, "the second run resumes the same data")
        second.terminate()
    }
}
