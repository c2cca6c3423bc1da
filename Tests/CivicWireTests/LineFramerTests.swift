import Testing
@testable import CivicWire

@Suite("LineFramer")
struct LineFramerTests {
    private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    /// Drains every complete line currently buffered.
    private func drain(_ framer: inout LineFramer) throws -> [String] {
        var lines: [String] = []
        while let line = try framer.nextLine() {
            lines.append(String(decoding: line, as: UTF8.self))
        }
        return lines
    }

    @Test("several lines in one chunk, CRLF stripped, empty lines skipped")
    func multipleLinesPerChunk() throws {
        var framer = LineFramer()
        framer.append(bytes("HELLO a\nCASE 1\r\n\n\r\nBYE\npartial"))
        #expect(try drain(&framer) == ["HELLO a", "CASE 1", "BYE"])
        #expect(framer.bufferedBytes == "partial".utf8.count)
        framer.append(bytes(" line\n"))
        #expect(try drain(&framer) == ["partial line"])
        #expect(framer.bufferedBytes == 0)
        #expect(try framer.nextLine() == nil)
    }

    @Test("a lone \\r inside a line is kept; only a trailing one is stripped")
    func innerCarriageReturn() throws {
        var framer = LineFramer()
        framer.append(bytes("a\rb\r\r\n"))
        #expect(try framer.nextLine() == bytes("a\rb\r"))
    }

    @Test("splitting input at every byte boundary yields the same lines")
    func everySplit() throws {
        let stream = bytes("EVENT {\"id\":1}\r\n\nEVENT {\"id\":2}\n\r\nÄÖü street\r\nlast\n")
        var reference = LineFramer()
        reference.append(stream)
        let expected = try drain(&reference)
        #expect(expected == ["EVENT {\"id\":1}", "EVENT {\"id\":2}", "ÄÖü street", "last"])

        for split in 0...stream.count {
            var framer = LineFramer()
            framer.append(Array(stream[..<split]))
            var lines = try drain(&framer)
            framer.append(Array(stream[split...]))
            lines += try drain(&framer)
            #expect(lines == expected, "split at \(split)")
            #expect(framer.bufferedBytes == 0)
        }

        var byteByByte = LineFramer()
        var lines: [String] = []
        for byte in stream {
            byteByByte.append([byte])
            lines += try drain(&byteByByte)
        }
        #expect(lines == expected)
    }

    @Test("a line of exactly the limit is accepted, with LF or CRLF")
    func exactLimitAccepted() throws {
        var framer = LineFramer(maxLineBytes: 8)
        framer.append(bytes("12345678"))
        #expect(try framer.nextLine() == nil)
        framer.append(bytes("\r"))  // could still be the start of CRLF
        #expect(try framer.nextLine() == nil)
        framer.append(bytes("\n12345678\n"))
        #expect(try drain(&framer) == ["12345678", "12345678"])
    }

    @Test("limit + 1 is rejected before any newline arrives")
    func overLimitRejectedEarly() {
        var framer = LineFramer(maxLineBytes: 8)
        framer.append(bytes("12345678"))
        #expect(throws: Never.self) { try framer.nextLine() }
        framer.append(bytes("9"))
        #expect(throws: FrameError.lineTooLong(limit: 8)) { try framer.nextLine() }
        // The framer stays failed and stops buffering the hostile stream.
        framer.append(bytes("\nok\n"))
        #expect(framer.bufferedBytes == 0)
        #expect(throws: FrameError.lineTooLong(limit: 8)) { try framer.nextLine() }
    }

    @Test("an over-long complete line in one chunk is rejected, after earlier lines are delivered")
    func overLimitCompleteLine() throws {
        var framer = LineFramer(maxLineBytes: 4)
        framer.append(bytes("ok\ntoolong\nafter\n"))
        #expect(try framer.nextLine() == bytes("ok"))
        #expect(throws: FrameError.lineTooLong(limit: 4)) { try framer.nextLine() }
    }

    @Test("the limit applies per line, not to the whole buffer")
    func limitPerLine() throws {
        var framer = LineFramer(maxLineBytes: 4)
        framer.append(bytes("abcd\nefgh\nijkl\nmn"))
        #expect(framer.bufferedBytes > 4)
        #expect(try drain(&framer) == ["abcd", "efgh", "ijkl"])
        framer.append(bytes("op\n"))
        #expect(try drain(&framer) == ["mnop"])
    }

    @Test("keeps framing correctly across compactions of a long stream")
    func continuesAfterConsumption() throws {
        var framer = LineFramer(maxLineBytes: 64)
        var received: [String] = []
        var sent: [String] = []
        var pending: [UInt8] = []
        for i in 0..<5000 {
            let line = "line-\(i)-" + String(repeating: "x", count: i % 40)
            sent.append(line)
            pending += bytes(line + (i % 3 == 0 ? "\r\n" : "\n"))
            // Feed in uneven chunks so partial lines straddle appends and compactions.
            if pending.count > 97 {
                framer.append(Array(pending[..<97]))
                pending.removeFirst(97)
                received += try drain(&framer)
            }
        }
        framer.append(pending)
        received += try drain(&framer)
        #expect(received == sent)
        #expect(framer.bufferedBytes == 0)
    }

    @Test("nextLineString decodes UTF-8 and rejects malformed bytes")
    func stringLines() throws {
        var framer = LineFramer()
        framer.append(bytes("Straße 5\n") + [0xC3, 0x28, 0x0A])
        #expect(try framer.nextLineString() == "Straße 5")
        #expect(throws: FrameError.invalidUTF8) { try framer.nextLineString() }
        #expect(try framer.nextLineString() == nil)
    }

    @Test("errors describe themselves")
    func descriptions() {
        #expect(FrameError.lineTooLong(limit: 1024).description.contains("1024"))
        #expect(FrameError.invalidUTF8.description.contains("UTF-8"))
    }
}
