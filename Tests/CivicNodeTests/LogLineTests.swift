import Foundation
import Testing
@testable import CivicNode

/// The log's fast paths give what the long ways gave: the time stamp, the clipping of a message, the token's trim.
@Suite struct LogLineTests {
    @Test func stampDigitsMatchTheFormatter() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let (y, mo, d) = (Int.random(in: 1970...2199, using: &rng), Int.random(in: 1...12, using: &rng), Int.random(in: 1...31, using: &rng))
            let (h, mi, s, ms) = (Int.random(in: 0...23, using: &rng), Int.random(in: 0...59, using: &rng), Int.random(in: 0...60, using: &rng), Int.random(in: 0...999, using: &rng))
            let expected = String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, mo, d, h, mi, s, ms)
            #expect(WireClock.format(year: y, month: mo, day: d, hour: h, minute: mi, second: s, millisecond: ms) == expected)
        }
        #expect(WireClock.stamp().utf8.count == 24)
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

    @Test func tokenTrimMatchesFoundation() {
        for raw in ["abc", "  abc", "abc \t", "\t a b c \t", "", "   ", "a", "tok\u{3000}", "\u{3000}tok", "é tok "] {
            #expect(Authenticator.trimmed(Substring(raw)) == raw.trimmingCharacters(in: .whitespaces), "\(raw.debugDescription)")
        }
    }
}
