import CivicSupport
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

typealias SeededRandom = SplitMix64

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
