import CivicCases
import CivicSupport
import Foundation
import Testing
@testable import CivicWire

/// The hand-written JSON for the hot shapes against Foundation's, on random values with awkward text:
/// the same bytes out, the same values back, and every refusal still explained by Foundation.
@Suite struct FastJSONTests {
    static let awkward = ["", "路灯不亮", "a\"b", "back\\slash", "line\nbreak\ttab\r", "\u{01}\u{1f}\u{7f}", "a/b", "emoji 🚧👷", "\u{2028}\u{2029}",
                          "ü é ñ", "{\"json\":[1,2]}", "\u{08}\u{0c}", String(repeating: "长", count: 300)]

    struct Generator {
        var random: SplitMix64
        mutating func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
        mutating func text() -> String { pick(FastJSONTests.awkward) + pick(["", "x", "号"]) + pick(FastJSONTests.awkward) }
        mutating func maybeText() -> String? { random.next() % 3 == 0 ? nil : text() }
        mutating func date() -> Date { Date(timeIntervalSince1970: Double(random.next() % 4_000_000_000_000) / 1000) }

        mutating func aCase() -> Case {
            var attributes = TextMap()
            for _ in 0..<(random.next() % 4) { attributes[text()] = text() }
            var c = Case(id: "JC-\(random.next() % 1000)", channel: pick(Channel.allCases), citizen: Citizen(name: maybeText(), phone: maybeText()),
                         subject: text(), detail: text(), location: Location(address: maybeText(), division: maybeText()),
                         category: maybeText(), requestType: maybeText(), intake: text(), createdAt: date(),
                         state: pick([CaseState.pending, .dispatched, CaseState("future_state")]), holder: text(), attributes: attributes)
            c.updatedAt = date()
            return c
        }

        mutating func anEvent() -> CaseEvent {
            var e = CaseEvent(id: "n-\(random.next() % 100)", caseId: text(), at: date(), node: text(), actor: text(),
                              action: pick([CaseAction.created, .dispatched, CaseAction("future_action")]), state: CaseState(text()), holder: text(), note: maybeText())
            for _ in 0..<(random.next() % 4) { e.data[text()] = text() }
            for _ in 0..<(random.next() % 3) {
                let name = text()
                var items: [String] = []
                for _ in 0..<(random.next() % 3 + 1) { items.append(text()) }
                e.lists[name] = items
            }
            return e
        }
    }

    @Test func casesAndEventsGiveFoundationsBytesAndComeBackEqual() throws {
        var g = Generator(random: SplitMix64(seed: 20261203))
        let encoder = WireJSON.encoder(), decoder = WireJSON.decoder()
        for _ in 0..<400 {
            let c = g.aCase()
            let fast = WireJSON.bytes(c)
            #expect(fast == Array(try encoder.encode(c)), "\(String(decoding: fast, as: UTF8.self))")
            #expect(try WireJSON.decodeCase(fast) == decoder.decode(Case.self, from: Data(fast)))
            let e = g.anEvent()
            let fastEvent = WireJSON.bytes(e)
            #expect(fastEvent == Array(try encoder.encode(e)), "\(String(decoding: fastEvent, as: UTF8.self))")
            #expect(try WireJSON.decodeEvent(fastEvent) == e)
        }
    }

    @Test func durableLinesGiveFoundationsBytesAndDecodeInOnePass() throws {
        struct Typed<Body: Encodable>: Encodable {
            let type: String, body: Body
            enum K: String, CodingKey { case type }
            func encode(to encoder: any Encoder) throws {
                try body.encode(to: encoder)
                var c = encoder.container(keyedBy: K.self)
                try c.encode(type, forKey: .type)
            }
        }
        var g = Generator(random: SplitMix64(seed: 7))
        let codec = MeshCodec(), encoder = WireJSON.encoder()
        for i in 0..<100 {
            let dispatch = Dispatch(seq: i, case: g.aCase(), events: (0..<(i % 4)).map { _ in g.anEvent() })
            let update = Update(seq: i * 1000, case: g.aCase(), event: g.anEvent())
            for (message, reference) in [(MeshMessage.dispatch(dispatch), try encoder.encode(Typed(type: "dispatch", body: dispatch))),
                                         (.update(update), try encoder.encode(Typed(type: "update", body: update))),
                                         (.ack(Ack(seq: i)), try encoder.encode(Typed(type: "ack", body: Ack(seq: i))))] {
                let line = codec.encode(message)
                #expect(line == Array(reference) + [0x0A])
                #expect(MeshCodec.fastDecode(line) == message, "the fast reader takes every line the writer writes")
                #expect(try codec.decode(line) == message)
            }
        }
    }

    /// A line that splices events' stored bodies (`storedEvent`) and the case's (`caseBody`) is the line written
    /// from the values.
    @Test func storedEventBodiesSplicedIntoALineGiveTheSameBytes() throws {
        var g = Generator(random: SplitMix64(seed: 11))
        let codec = MeshCodec()
        for i in 0..<50 {
            // Event ids are unique in a node's log (a clash is refused), so within a line too.
            let events = (0..<(1 + i % 4)).map { k in var e = g.anEvent(); e.id = "n-\(i)-\(k)"; return e }
            // Some events stored (their bodies known by id), the others not.
            let stored = Dictionary(uniqueKeysWithValues: events.enumerated().filter { $0.offset % 2 == 0 }.map { ($0.element.id, WireJSON.bytes($0.element)) })
            for message in [MeshMessage.dispatch(Dispatch(seq: i, case: g.aCase(), events: events)),
                            .update(Update(seq: i, case: g.aCase(), event: events[0]))] {
                let c: Case
                switch message { case .dispatch(let d): c = d.case; case .update(let u): c = u.case; default: continue }
                let spliced = codec.encode(message, storedEvent: { stored[$0] }, caseBody: i % 3 == 0 ? nil : WireJSON.bytes(c))
                let same = spliced == codec.encode(message)
                #expect(same, "line \(i)")
                #expect(try codec.decode(spliced) == message)
            }
        }
    }

    @Test func whatTheFastReaderDeclinesFoundationStillExplains() throws {
        let codec = MeshCodec()
        var g = Generator(random: SplitMix64(seed: 1))
        let good = String(decoding: codec.encode(.update(Update(seq: 3, case: g.aCase(), event: g.anEvent()))), as: UTF8.self)
        // A wrong type, a missing field, a float seq, an escaped slash and a surrogate pair, trailing bytes, a lone surrogate.
        let seqAsText = good.replacingOccurrences(of: "\"seq\":3", with: "\"seq\":\"3\"")
        #expect(throws: WireError.invalidMessage(type: "update", detail: "field \"seq\" has the wrong type (expected Int)")) { try codec.decode(Array(seqAsText.utf8)) }
        #expect(MeshCodec.fastDecode(Array(#"{"type":"ack"}"#.utf8)) == nil)
        #expect(throws: WireError.invalidMessage(type: "ack", detail: "missing field \"seq\"")) { try codec.decode(Array(#"{"type":"ack"}"#.utf8)) }
        #expect(MeshCodec.fastDecode(Array(#"{"seq":5.0,"type":"ack"}"#.utf8)) == nil)
        #expect(try codec.decode(Array(#"{"type":"ack","seq":5.0}"#.utf8)) == .ack(Ack(seq: 5)), "what Foundation accepts still works")
        let escaped = try Array(#""a\/b \ud83d\udea7 \u00e9""#.utf8).withUnsafeBufferPointer { b throws(JSONReadError) in
            try JSONReader.read(b) { (r: inout JSONReader) throws(JSONReadError) in try r.string() }
        }
        #expect(escaped == "a/b 🚧 é")
        #expect(MeshCodec.fastDecode(Array(#"{"seq":5,"type":"ack"} x"#.utf8)) == nil)
        #expect(throws: WireError.self) { try codec.decode(Array(#"{"type":"ack","seq":5} x"#.utf8)) }
        #expect(throws: JSONReadError.self) {
            try Array(#""\ud83d x""#.utf8).withUnsafeBufferPointer { b throws(JSONReadError) in
                try JSONReader.read(b) { (r: inout JSONReader) throws(JSONReadError) in try r.string() }
            }
        }
        #expect(throws: WireError.self) { try codec.decode([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]) }
        // Keys are compared in place: one with an escape is declined and Foundation reads it to the same message;
        // an unknown key that is not valid UTF-8 is still refused, a valid non-ASCII one skipped.
        let escapedKey = Array(#"{"s\u0065q":5,"type":"ack"}"#.utf8)
        #expect(MeshCodec.fastDecode(escapedKey) == nil)
        #expect(try codec.decode(escapedKey) == .ack(Ack(seq: 5)))
        #expect(MeshCodec.fastDecode(Array(#"{"seq":5,"type":"ack","备注":"x"}"#.utf8)) == .ack(Ack(seq: 5)))
        let badKey: [UInt8] = Array(#"{"seq":5,"type":"ack",""#.utf8) + [0xC3, 0x28] + Array(#"":1}"#.utf8)
        #expect(MeshCodec.fastDecode(badKey) == nil)
        #expect(throws: WireError.self) { try codec.decode(badKey) }
        #expect(MeshCodec.fastDecode(Array(#"{"seq":5,"":1,"type":"ack"}"#.utf8)) == nil, "keys out of order")
        #expect(try codec.decode(Array(#"{"type":"ack","seq":5}"#.utf8)) == .ack(Ack(seq: 5)), "Foundation reads keys in any order")
        #expect(MeshCodec.fastDecode(Array(#"{"seq":5,"seq":6,"type":"ack"}"#.utf8)) == nil, "a key repeated")
        #expect(MeshCodec.fastDecode(Array(#"{"":1,"seq":5,"type":"ack"}"#.utf8)) == .ack(Ack(seq: 5)), "an empty key is a key")
        // A repeated attribute (readers differ on which one counts) is declined by the fast reader.
        let repeated = good.replacingOccurrences(of: #""attributes":{"#, with: #""attributes":{"k":"1","k":"2","#)
        #expect(repeated != good && MeshCodec.fastDecode(Array(repeated.utf8)) == nil)
    }
}

@Suite struct UTF8CheckTests {
    @Test func agreesWithTheStandardLibraryOnRandomAndTrickyBytes() {
        var random = SplitMix64(seed: 3)
        let tricky: [[UInt8]] = [[0xC0, 0x80], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF0, 0x8F, 0xBF, 0xBF],
                                 [0xE4, 0xB8], [0xF0, 0x9F, 0x9A, 0xA7], Array("路灯 ok".utf8), [0x80], [0xFF], [0xC2, 0xA0]]
        var samples = tricky
        for length in 0..<300 {
            // Mostly valid text with a few random bytes spliced in, and some purely random runs.
            var bytes = Array(String(repeating: "井盖a", count: length % 7).utf8)
            for _ in 0..<(random.next() % 3) { bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: Int(random.next() % UInt64(bytes.count + 1))) }
            samples.append(bytes)
            samples.append((0..<(length % 12)).map { _ in UInt8(truncatingIfNeeded: random.next()) })
        }
        for bytes in samples {
            let expected = String(validating: bytes, as: UTF8.self) != nil
            #expect(bytes.withUnsafeBufferPointer(UTF8Check.isValid) == expected, "\(bytes)")
            // The reader's one-validation string: refused exactly when invalid, and the same text when valid.
            let read = bytes.withUnsafeBufferPointer { buffer in try? JSONReader.validString(buffer, JSONReadError(offset: 0, problem: "invalid UTF-8")) }
            #expect((read != nil) == expected, "\(bytes)")
            if let read { #expect(Array(read.utf8) == bytes) }
        }
    }

    /// The eight-bytes-at-a-time test `JSONWriter.string` skips text with: every byte value at every place of a
    /// word, and random words, against the byte-by-byte rule.
    @Test func theWordAtATimeEscapeTestAgreesWithTheByteRule() {
        func naive(_ w: UInt64) -> Bool {
            (0..<8).contains { k in let b = UInt8(truncatingIfNeeded: w >> (8 * k)); return b < 0x20 || b == 0x22 || b == 0x5C }
        }
        for filler: UInt8 in [0x61, 0xE9, 0x80, 0xFF, 0x21, 0x5D] {
            for place in 0..<8 {
                for b in 0...255 {
                    var w: UInt64 = 0
                    for k in 0..<8 { w |= UInt64(k == place ? UInt8(b) : filler) << (8 * k) }
                    #expect(JSONWriter.mayNeedEscape(w) == naive(w), "byte \(b) at \(place) among \(filler)")
                }
            }
        }
        var random = SplitMix64(seed: 7)
        for _ in 0..<100_000 {
            let w = random.next()
            if JSONWriter.mayNeedEscape(w) != naive(w) { Issue.record("word \(String(w, radix: 16))"); break }
        }
        // Strings with the escapes at every offset around a word boundary come out as Foundation writes them.
        for offset in 0..<17 {
            for special in ["\"", "\\", "\n", "\u{01}", "\u{1f}"] {
                let text = String(repeating: "a", count: offset) + special + String(repeating: "长", count: 5)
                var w = JSONWriter()
                w.string(text)
                let foundation = try? JSONEncoder().encode([text])
                #expect(foundation.map { Array($0.dropFirst().dropLast()) } == w.bytes, "\(offset) \(special.debugDescription)")
            }
        }
    }

    /// A time is parsed where it lies in the line; one written with an escape takes the long way and reads the same.
    @Test func timesWithAndWithoutEscapesReadTheSame() throws {
        let plain = #"{"action":"created","at":"2026-11-21T06:24:00.123Z","case":"C-1","holder":"s1","id":"s1-1","node":"s1","state":"accepted"}"#
        let escaped = plain.replacingOccurrences(of: "00.123Z", with: #"00.123\u005A"#)
        let a = try WireJSON.decodeEvent(Array(plain.utf8)), b = try WireJSON.decodeEvent(Array(escaped.utf8))
        #expect(a.at == WireDate.parse("2026-11-21T06:24:00.123Z") && a == b)
        let broken = plain.replacingOccurrences(of: "06:24", with: "6:24")
        #expect(throws: (any Error).self) { try WireJSON.decodeEvent(Array(broken.utf8)) }
    }
}
