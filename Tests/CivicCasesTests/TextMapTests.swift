import Foundation
import Testing
@testable import CivicCases

/// `TextMap` replaced `[String: String]` on the case: it must answer every question as the dictionary did.
@Suite struct TextMapTests {
    static let keys = ["clock", "warn_at", "escalate_at", "response_due", "department", "place", "topic_guess", "returns",
                       "holding_department", "a", "", "é", "e\u{301}", "部门", "z"]

    @Test func behavesAsTheDictionaryUnderRandomChanges() throws {
        var generator = SystemRandomNumberGenerator()
        var attributes = TextMap(), reference: [String: String] = [:]
        for step in 0..<3000 {
            let key = Self.keys.randomElement(using: &generator)!
            switch Int.random(in: 0..<4, using: &generator) {
            case 0: attributes[key] = nil; reference[key] = nil
            case 1:
                let added = attributes.addNew(key, "v\(step)")
                #expect(added == (reference[key] == nil))
                if added { reference[key] = "v\(step)" }
            default: attributes[key] = "v\(step)"; reference[key] = "v\(step)"
            }
            #expect(attributes.dictionary == reference, "step \(step)")
            #expect(attributes.count == reference.count && attributes.isEmpty == reference.isEmpty)
            for probe in Self.keys { #expect(attributes[probe] == reference[probe]) }
            // In key order, as the wire writes them.
            #expect(attributes.map(\.key) == reference.keys.sorted())
            #expect(attributes == TextMap(reference), "equal whatever order the keys came in")
        }
        let kept = attributes.filter { $0.key.count > 3 }
        #expect(kept.dictionary == reference.filter { $0.key.count > 3 })
    }

    @Test func encodesAsAJSONObjectOfStrings() throws {
        let attributes: TextMap = ["warn_at": "2026-12-07T08:14:57.652Z", "department": "街道城建科", "clock": "city-2"]
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(attributes), as: UTF8.self)
        #expect(json == #"{"clock":"city-2","department":"街道城建科","warn_at":"2026-12-07T08:14:57.652Z"}"#)
        #expect(try JSONDecoder().decode(TextMap.self, from: Data(json.utf8)) == attributes)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(TextMap.self, from: Data(#"{"clock":2}"#.utf8)) }
    }
}
