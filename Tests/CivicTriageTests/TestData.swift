import CivicCases
import Foundation
import SharedTestData

/// Locates the shared test data (never copied into the repository) and loads it.
enum TestData {
    static func url(_ name: String) -> URL { SharedData.url(name) }

    static func wuhan() throws -> Topology {
        try Topology.fromDivisions(json: Data(contentsOf: url("wuhan_divisions.json")))
    }

    static func xining() throws -> Topology {
        try Topology.fromDivisions(json: Data(contentsOf: url("xining_divisions.json")))
    }
}

/// Small deterministic generator (SplitMix64) so that generated test sets never change between runs.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Writes report lines straight to standard output: `print` is block-buffered when piped and the
/// tail of a long report can be lost when the test process exits.
func report(_ text: String) {
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}

#if DEBUG
let buildKind = "debug"
#else
let buildKind = "release"
#endif
