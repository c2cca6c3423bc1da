import Testing
@testable import CivicTriage

/// `TextShingles` decodes the text's UTF-8 by hand: it must give
/// exactly what walking `unicodeScalars` through `keptValue` gives, on every kind of scalar.
@Suite struct TextShinglesTests {
    /// The long way, as the shingles were first computed.
    static func reference(_ text: String) -> [UInt64] {
        let kept = text.unicodeScalars.compactMap { TextShingles.keptValue($0.value) }
        var out: [UInt64] = []
        if kept.count == 1 { out.append(TextShingles.mix(UInt64(kept[0]))) }
        if kept.count >= 2 { for i in 0..<(kept.count - 1) { out.append(TextShingles.mix(UInt64(kept[i]) << 32 | UInt64(kept[i + 1]))) } }
        return Array(Set(out)).sorted()
    }

    @Test(arguments: [
        "", "a", "路", "1", "，", "路灯", "Ａｂ路灯", "中山大道1234号3栋漏水", "ÄÖü café 路灯 ǅ",
        "𠀀𠀁 emoji 😀 and 𝔸𝔹", "東湖區湖濱街道", "ａＢｃ１２３！？", "路灯不亮路灯不亮路灯不亮", "\u{3400}\u{4DBF}\u{F900}\u{FAFF}\u{9FFF}\u{4E00}",
        "Ελληνικά Кириллица עברית", "tab\tnew\nline\u{0}nul",
    ])
    func sameAsTheScalarWalk(_ text: String) {
        #expect(TextShingles(text).hashes == Self.reference(text))
    }

    @Test func sameOnRandomText() {
        // Scalars from every UTF-8 length and from the ranges keptValue decides differently.
        let ranges: [ClosedRange<UInt32>] = [0x20...0x7E, 0xA0...0x24F, 0x370...0x52F, 0x2000...0x206F, 0x3000...0x303F,
                                             0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0xFF00...0xFFEF, 0x1F300...0x1F64F, 0x20000...0x2A6DF]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            var text = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...120, using: &generator) {
                let range = ranges.randomElement(using: &generator)!
                if let scalar = Unicode.Scalar(UInt32.random(in: range, using: &generator)) { text.append(scalar) }
            }
            let string = String(text)
            #expect(TextShingles(string).hashes == Self.reference(string), "\(string.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }
}
