import CivicCases
import Foundation
import Testing

@Suite struct TextTests {
    @Test func trimmingWhitespaceMatchesFoundation() {
        for text in ["", " ", "\n\t 路灯 不亮 \u{3000}\r\n", "abc", " a ", "\u{2028}x\u{85}", "\u{3000}\u{3000}", "中 文"] {
            #expect(text.trimmingWhitespace == text.trimmingCharacters(in: .whitespacesAndNewlines), "\(text.debugDescription)")
        }
    }
}

@Suite struct FixedFormatTests {
    @Test func fixedPrintsWhatPrintfPrints() {
        var state: UInt64 = 12345
        func next() -> Double { state = state &* 6364136223846793005 &+ 1442695040888963407; return Double(state >> 11) / Double(1 << 53) }
        let awkward: [Double] = [0, 1, -0.0, -0.3, -0.0004, 0.5, 1.5, 2.5, 0.0005, 0.0015, 0.0025, 0.0035, 1.0005, 2.675, 0.9995, 0.125, 99.5, 100, -3.14159, 1e14, 12.3456789]
        for value in awkward + (0..<20_000).map({ _ in next() }) + (0..<2_000).map({ _ in next() * 100 }) {
            for digits in [0, 1, 3] {
                #expect(value.fixed(digits) == String(format: "%.\(digits)f", value), "\(value) with \(digits)")
            }
        }
    }
}

@Suite struct CommaPartsTests {
    @Test(arguments: ["", ",", "a", "a,b", ",a,,b,", "2026-12-08T02:30:00.000Z,2026-12-09T02:30:00.000Z", "warned,overdue,escalated-1", "路灯,不亮"])
    func givesWhatSplittingByCharacterGives(text: String) {
        #expect(text.commaParts == text.split(separator: ","))
    }
}
