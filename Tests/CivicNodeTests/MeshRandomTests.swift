import CivicCases
import CivicNode
import Foundation
import TestSupport
import Testing

/// Random sequences of what users do, with random restarts, on the sample city; then the mesh's invariants.
/// In the suite with a fixed seed and a bounded size. For a longer search:
///   CIVICMESH_RANDOM_SEEDS=20 CIVICMESH_RANDOM_STEPS=600 swift test --filter MeshRandomTests
@Suite(.serialized) struct MeshRandomTests {
    @Test func randomWorkWithRestartsLeavesEveryLinkAndCaseConsistent() throws {
        let env = ProcessInfo.processInfo.environment
        let seeds = Int(env["CIVICMESH_RANDOM_SEEDS"] ?? "") ?? 1
        let steps = Int(env["CIVICMESH_RANDOM_STEPS"] ?? "") ?? 160
        let firstSeed = UInt64(env["CIVICMESH_RANDOM_SEED"] ?? "") ?? 20261202
        for seed in firstSeed..<(firstSeed + UInt64(seeds)) {
            let dir = TempDirectory("meshrandom")
            let city = try LocalCity(topology: SampleTopology.load(), directory: dir.path, heartbeat: 0.5)
            defer { city.stopAll() }
            #expect(city.waitUntilLinked())
            let work = MeshWorkload(city: city, seed: seed)
            try work.run(steps: steps, restartEvery: max(steps / 4, 1))
            try work.checkInvariants()
            print("mesh random seed \(seed): \(work.figures)")
            #expect(work.problems.isEmpty, "seed \(seed): \(work.problems.prefix(10).joined(separator: "\n"))")
            // The run did something of every kind, or it proves little.
            for action in ["intake 201", "assign 200", "accept 200", "resolve 200", "return 200", "recall 200", "raced recalls"] {
                #expect(work.figures.answered[action, default: 0] > 0, "seed \(seed) never saw \(action): \(work.figures)")
            }
        }
    }
}
