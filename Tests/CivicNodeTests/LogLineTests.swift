import CivicCases
import Foundation
import Testing
@testable import CivicNode

/// The log's time stamp is a wire time; its fast clipping gives what the scalar walk gives.
@Suite struct LogLineTests {
    @Test func stampIsAWireTimeOfNow() throws {
        let before = Date()
        let stamp = WireClock.stamp()
        #expect(stamp.utf8.count == 24 && stamp.hasSuffix("Z"), "\(stamp)")
        let parsed = try #require(WireDate.parse(stamp))
        #expect(abs(parsed.timeIntervalSince(before)) < 5)
    }

    @Test func clipGivesWhatTheScalarWalkGives() {
        let samples = ["case JC-20261207-000001 created (hotline) by bench: dispatched at s990101001", "a\nb", "tab\there", "del\u{7F}",
                       "c1\u{85}x", "c1 edge\u{9F}", "just past c1\u{A0}", "line sep\u{2028}", "para\u{2029}", "near\u{2027}\u{202A}",
                       "江岸区大智街道路灯不亮", String(repeating: "长", count: 100), "", "\u{1B}[31m red", "emoji 🚧 ok"]
        for text in samples {
            for max in [0, 5, 30, 64, 256, 2048] {
                #expect(Logger.clip(text, max) == Logger.escapeAndCut(text, max), "\(text.debugDescription) at \(max)")
            }
        }
        var rng = SystemRandomNumberGenerator()
        let pool: [Unicode.Scalar] = ["a", "Z", " ", "\n", "\u{7F}", "\u{80}", "\u{9F}", "\u{A0}", "\u{C2}", "\u{2028}", "\u{2029}", "\u{2000}", "长", "🚧"]
        for _ in 0..<3000 {
            var text = ""
            for _ in 0..<Int.random(in: 0...12, using: &rng) { text.unicodeScalars.append(pool.randomElement(using: &rng)!) }
            let max = Int.random(in: 0...40, using: &rng)
            #expect(Logger.clip(text, max) == Logger.escapeAndCut(text, max), "\(text.debugDescription) at \(max)")
        }
    }
}
