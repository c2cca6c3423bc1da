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
