#if canImport(Glibc)
import Glibc
#endif
/// Why the fast reader gave up on some JSON. Callers fall back to Foundation's decoder, which then says
/// precisely what is wrong (the field path and the expected type), so errors read the same either way.
public struct JSONReadError: Error, Sendable {
    public var offset: Int
    public var problem: String
}

/// Reads JSON straight from bytes into the hot types (`Case`, `CaseEvent`, mesh lines), without building a
/// tree: the caller walks objects key by key and reads each value as the type it expects. Strict — a wrong
/// type, a missing value, invalid UTF-8, a lone surrogate or trailing bytes make it throw — so anything it
/// accepts Foundation would accept with the same meaning; anything else goes to Foundation.
public struct JSONReader: ~Copyable {
    private let base: UnsafeBufferPointer<UInt8>
    private var i = 0

    public init(_ bytes: UnsafeBufferPointer<UInt8>) { base = bytes }

    /// Reads `body` from the whole of `bytes`; throws unless exactly one value fills them.
    public static func read<T>(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (inout JSONReader) throws(JSONReadError) -> T) throws(JSONReadError) -> T {
        var reader = JSONReader(bytes)
        let value = try body(&reader)
        reader.skipWhitespace()
        guard reader.i == bytes.count else { throw reader.fail("bytes after the value") }
        return value
    }

    public func fail(_ problem: String) -> JSONReadError { JSONReadError(offset: i, problem: problem) }

    /// The first byte of the next value, past whitespace, without reading it; nil at the end.
    public mutating func peekByte() -> UInt8? {
        skipWhitespace()
        return i < base.count ? base[i] : nil
    }

    /// Back to an earlier place (a value read again the long way).
    mutating func rewind(to offset: Int) { i = offset }

    mutating func skipWhitespace() {
        while i < base.count, base[i] == 0x20 || base[i] == 0x0A || base[i] == 0x0D || base[i] == 0x09 { i += 1 }
    }

    private mutating func peek() throws(JSONReadError) -> UInt8 {
        skipWhitespace()
        guard i < base.count else { throw fail("unexpected end") }
        return base[i]
    }

    private mutating func expect(_ c: UInt8) throws(JSONReadError) {
        guard try peek() == c else { throw fail("expected \(Character(Unicode.Scalar(c)))") }
        i += 1
    }

    /// Walks an object: `body` gets each key and must read (or skip) its value.
    public mutating func object(_ body: (inout JSONReader, String) throws(JSONReadError) -> Void) throws(JSONReadError) {
        try members { (r: inout JSONReader) throws(JSONReadError) in
            let key = try r.string()
            try r.expect(UInt8(ascii: ":"))
            try body(&r, key)
        }
    }

    /// Walks an object whose keys are known names (a case, an event, a mesh line): `body` gets each key in place,
    /// compared with a name by `case "id":` without a String made for it, and must read (or skip) its value. A key
    /// with an escape is declined (the writer never writes one; Foundation reads it); a key that is not ASCII is
    /// still checked as UTF-8, as a String would have been.
    public mutating func fields(_ body: (inout JSONReader, JSONKey) throws(JSONReadError) -> Void) throws(JSONReadError) {
        var previous: UnsafeBufferPointer<UInt8>?
        try members { (r: inout JSONReader) throws(JSONReadError) in
            r.skipWhitespace()
            guard let name = try r.plainString().bytes else { throw r.fail("a key with an escape") }
            if !name.allSatisfy({ $0 < 0x80 }), !UTF8Check.isValid(name) { throw r.fail("invalid UTF-8") }
            // In ascending byte order, as every writer of this protocol puts them (sorted keys): so no key comes
            // twice, and what this reader took is what any other JSON reader takes from the same bytes.
            if let previous, !Self.ascending(previous, name) { throw r.fail("keys out of order or repeated") }
            previous = name
            try r.expect(UInt8(ascii: ":"))
            try body(&r, JSONKey(bytes: name))
        }
    }

    /// `{`, then `member` (a key, its colon and its value) for each member between the commas, then `}`.
    private mutating func members(_ member: (inout JSONReader) throws(JSONReadError) -> Void) throws(JSONReadError) {
        try expect(UInt8(ascii: "{"))
        if try peek() == UInt8(ascii: "}") { i += 1; return }
        while true {
            try member(&self)
            switch try peek() {
            case UInt8(ascii: ","): i += 1
            case UInt8(ascii: "}"): i += 1; return
            default: throw fail("expected , or }")
            }
        }
    }

    private static func ascending(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        let common = min(a.count, b.count)
        if common > 0 {
            let order = memcmp(a.baseAddress!, b.baseAddress!, common)
            if order != 0 { return order < 0 }
        }
        return a.count < b.count
    }

    /// Where the reader is, past any whitespace: the first byte of the next value (to keep a value's bytes).
    public mutating func valueStart() -> Int {
        skipWhitespace()
        return i
    }

    /// Where the reader is: just past the value it last read.
    public var position: Int { i }

    /// Walks an array: `body` reads each element.
    public mutating func array(_ body: (inout JSONReader) throws(JSONReadError) -> Void) throws(JSONReadError) {
        try expect(UInt8(ascii: "["))
        if try peek() == UInt8(ascii: "]") { i += 1; return }
        while true {
            try body(&self)
            switch try peek() {
            case UInt8(ascii: ","): i += 1
            case UInt8(ascii: "]"): i += 1; return
            default: throw fail("expected , or ]")
            }
        }
    }

    /// True (and consumed) when the next value is `null`.
    public mutating func null() throws(JSONReadError) -> Bool {
        guard try peek() == UInt8(ascii: "n") else { return false }
        guard i + 4 <= base.count, base[i + 1] == UInt8(ascii: "u"), base[i + 2] == UInt8(ascii: "l"), base[i + 3] == UInt8(ascii: "l") else { throw fail("bad literal") }
        i += 4
        return true
    }

    public mutating func optionalString() throws(JSONReadError) -> String? { try null() ? nil : string() }

    /// The string of `bytes`, refused when they are not UTF-8. `String(decoding:)` repairs what is not (a
    /// replacement character for each bad sequence), so when its bytes are exactly the input's, the input was
    /// valid: one validation, the standard library's, instead of ours and then its.
    @inline(__always) static func validString(_ bytes: UnsafeBufferPointer<UInt8>, _ failure: @autoclosure () -> JSONReadError) throws(JSONReadError) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        let same: Bool? = text.utf8.withContiguousStorageIfAvailable { (made: UnsafeBufferPointer<UInt8>) -> Bool in
            made.count == bytes.count && (bytes.isEmpty || memcmp(made.baseAddress!, bytes.baseAddress!, bytes.count) == 0)
        }
        switch same {
        case true?: return text
        case false?: throw failure()
        case nil: guard UTF8Check.isValid(bytes) else { throw failure() }; return text
        }
    }

    /// Reads the opening quote and the string's bytes up to the closing quote when none of them is an escape or a
    /// control character: those bytes, not yet checked as UTF-8, and the reader past the quote. Otherwise nil, with
    /// the reader at the first byte that needs the long way; `start` is where the string's content begins.
    mutating func plainString() throws(JSONReadError) -> (bytes: UnsafeBufferPointer<UInt8>?, start: Int) {
        try expect(UInt8(ascii: "\""))
        let start = i
        let n = base.count
        while i < n {
            // Eight bytes at a time while none ends the plain run (a quote, a backslash, a control character: the
            // writer's escape test is the same set), as most of a case's text is.
            if i + 8 <= n, !JSONWriter.mayNeedEscape(UnsafeRawPointer(base.baseAddress! + i).loadUnaligned(as: UInt64.self)) { i += 8; continue }
            let b = base[i]
            if b == UInt8(ascii: "\"") {
                i += 1
                return (UnsafeBufferPointer(rebasing: base[start..<(i - 1)]), start)
            }
            if b == UInt8(ascii: "\\") || b < 0x20 { break }
            i += 1
        }
        return (nil, start)
    }

    public mutating func string() throws(JSONReadError) -> String {
        let (plain, start) = try plainString()
        if let plain { return try Self.validString(plain, fail("invalid UTF-8")) }
        var out = Array(UnsafeBufferPointer(rebasing: base[start..<i]))
        while i < base.count {
            let b = base[i]
            i += 1
            switch b {
            case UInt8(ascii: "\""):
                guard out.withUnsafeBufferPointer(UTF8Check.isValid) else { throw fail("invalid UTF-8") }
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard i < base.count else { throw fail("unexpected end") }
                let e = base[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard i + 1 < base.count, base[i] == UInt8(ascii: "\\"), base[i + 1] == UInt8(ascii: "u") else { throw fail("lone surrogate") }
                        i += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw fail("lone surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) { throw fail("lone surrogate") }
                    guard let u = Unicode.Scalar(scalar) else { throw fail("bad escape") }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default: throw fail("bad escape")
                }
            default:
                guard b >= 0x20 else { throw fail("control character in a string") }
                out.append(b)
            }
        }
        throw fail("unterminated string")
    }

    private mutating func hex4() throws(JSONReadError) -> UInt32 {
        guard i + 4 <= base.count else { throw fail("unexpected end") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = base[i]
            i += 1
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = v << 4 | UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = v << 4 | UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = v << 4 | UInt32(c - UInt8(ascii: "A") + 10)
            default: throw fail("bad \\u escape")
            }
        }
        return v
    }

    /// An integer written as plain digits (what every encoder here writes); anything else goes to Foundation.
    public mutating func int() throws(JSONReadError) -> Int {
        var c = try peek()
        var negative = false
        if c == UInt8(ascii: "-") { negative = true; i += 1; guard i < base.count else { throw fail("unexpected end") }; c = base[i] }
        guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { throw fail("expected a number") }
        var v = 0, digits = 0
        while i < base.count, base[i] >= UInt8(ascii: "0"), base[i] <= UInt8(ascii: "9") {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int(base[i] - UInt8(ascii: "0")))
            guard !o1, !o2 else { throw fail("number out of range") }
            v = a; digits += 1; i += 1
        }
        if digits > 1, c == UInt8(ascii: "0") { throw fail("leading zero") }
        if i < base.count, base[i] == UInt8(ascii: ".") || base[i] == UInt8(ascii: "e") || base[i] == UInt8(ascii: "E") { throw fail("not an integer") }
        return negative ? -v : v
    }

    public mutating func bool() throws(JSONReadError) -> Bool {
        let c = try peek()
        if c == UInt8(ascii: "t"), i + 4 <= base.count, base[i + 1] == UInt8(ascii: "r"), base[i + 2] == UInt8(ascii: "u"), base[i + 3] == UInt8(ascii: "e") { i += 4; return true }
        if c == UInt8(ascii: "f"), i + 5 <= base.count, base[i + 1] == UInt8(ascii: "a"), base[i + 2] == UInt8(ascii: "l"), base[i + 3] == UInt8(ascii: "s"), base[i + 4] == UInt8(ascii: "e") { i += 5; return false }
        throw fail("expected true or false")
    }

    /// Skips any value (a field this release does not know).
    public mutating func skip() throws(JSONReadError) {
        switch try peek() {
        case UInt8(ascii: "{"): try object { (r: inout JSONReader, _: String) throws(JSONReadError) in try r.skip() }
        case UInt8(ascii: "["): try array { (r: inout JSONReader) throws(JSONReadError) in try r.skip() }
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try bool()
        case UInt8(ascii: "n"): _ = try null()
        default:
            // A number: the JSON grammar's characters; Foundation re-checks anything odd.
            let start = i
            while i < base.count, "+-0123456789.eE".utf8.contains(base[i]) { i += 1 }
            guard i > start else { throw fail("unexpected character") }
        }
    }

    public mutating func stringArray() throws(JSONReadError) -> [String] {
        var out: [String] = []
        try array { (r: inout JSONReader) throws(JSONReadError) in out.append(try r.string()) }
        return out
    }
}

/// An object key as it lies in the input (see `JSONReader.fields`), only for comparing with names.
public struct JSONKey {
    let bytes: UnsafeBufferPointer<UInt8>

    public static func ~= (name: StaticString, key: JSONKey) -> Bool {
        let count = name.utf8CodeUnitCount
        guard count == key.bytes.count else { return false }
        return count == 0 || memcmp(name.utf8Start, key.bytes.baseAddress!, count) == 0
    }
}

/// UTF-8 validity as RFC 3629 defines it (no overlong forms, no surrogates, nothing past U+10FFFF), checked
/// eight ASCII bytes at a time: the standard library's `String(validating:)` is generic and was a third of
/// applying a peer's line.
enum UTF8Check {
    static func isValid(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = b.count
        guard let base = b.baseAddress else { return true }
        while i < n {
            if i + 8 <= n {
                let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                if word & 0x8080_8080_8080_8080 == 0 { i += 8; continue }
            }
            let c = b[i]
            if c < 0x80 { i += 1; continue }
            func cont(_ k: Int) -> Bool { i + k < n && b[i + k] & 0xC0 == 0x80 }
            switch c {
            case 0xC2...0xDF:
                guard cont(1) else { return false }
                i += 2
            case 0xE0...0xEF:
                guard cont(1), cont(2) else { return false }
                let c1 = b[i + 1]
                if c == 0xE0 && c1 < 0xA0 { return false }  // overlong
                if c == 0xED && c1 > 0x9F { return false }  // surrogates
                i += 3
            case 0xF0...0xF4:
                guard cont(1), cont(2), cont(3) else { return false }
                let c1 = b[i + 1]
                if c == 0xF0 && c1 < 0x90 { return false }  // overlong
                if c == 0xF4 && c1 > 0x8F { return false }  // past U+10FFFF
                i += 4
            default:
                return false
            }
        }
        return true
    }
}
