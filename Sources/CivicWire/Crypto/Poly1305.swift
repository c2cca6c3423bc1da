/// The Poly1305 one-time authenticator (RFC 8439 §2.5), in five 26-bit limbs so every product fits in
/// 64 bits. A key must never authenticate two messages: the AEAD derives a fresh one per nonce.
public struct Poly1305: Sendable {
    private var r0, r1, r2, r3, r4: UInt32
    private var s1, s2, s3, s4: UInt32
    private var h0: UInt32 = 0, h1: UInt32 = 0, h2: UInt32 = 0, h3: UInt32 = 0, h4: UInt32 = 0
    private let pad: (UInt32, UInt32, UInt32, UInt32)
    private var buffer = (UInt64(0), UInt64(0))
    private var buffered = 0

    public static let tagByteCount = 16

    public init(key: [UInt8]) {
        precondition(key.count == 32, "Poly1305 needs a 32-byte one-time key")
        func le(_ i: Int) -> UInt32 { UInt32(key[i]) | UInt32(key[i + 1]) << 8 | UInt32(key[i + 2]) << 16 | UInt32(key[i + 3]) << 24 }
        // r is clamped (RFC 8439 §2.5.1) and split into 26-bit limbs.
        r0 = le(0) & 0x3ff_ffff
        r1 = (le(3) >> 2) & 0x3ff_ff03
        r2 = (le(6) >> 4) & 0x3ff_c0ff
        r3 = (le(9) >> 6) & 0x3f0_3fff
        r4 = (le(12) >> 8) & 0x00f_ffff
        s1 = r1 * 5; s2 = r2 * 5; s3 = r3 * 5; s4 = r4 * 5
        pad = (le(16), le(20), le(24), le(28))
    }

    /// Absorbs one 16-byte block; `final` blocks shorter than 16 bytes are padded with 1 then zeros by the caller.
    private mutating func block(_ p: UnsafeRawPointer, highBit: UInt32) {
        func le(_ i: Int) -> UInt32 { p.loadUnaligned(fromByteOffset: i, as: UInt32.self).littleEndian }
        h0 &+= le(0) & 0x3ff_ffff
        h1 &+= (le(3) >> 2) & 0x3ff_ffff
        h2 &+= (le(6) >> 4) & 0x3ff_ffff
        h3 &+= (le(9) >> 6) & 0x3ff_ffff
        h4 &+= (le(12) >> 8) | highBit
        let d0 = UInt64(h0) * UInt64(r0) + UInt64(h1) * UInt64(s4) + UInt64(h2) * UInt64(s3) + UInt64(h3) * UInt64(s2) + UInt64(h4) * UInt64(s1)
        var d1 = UInt64(h0) * UInt64(r1) + UInt64(h1) * UInt64(r0) + UInt64(h2) * UInt64(s4) + UInt64(h3) * UInt64(s3) + UInt64(h4) * UInt64(s2)
        var d2 = UInt64(h0) * UInt64(r2) + UInt64(h1) * UInt64(r1) + UInt64(h2) * UInt64(r0) + UInt64(h3) * UInt64(s4) + UInt64(h4) * UInt64(s3)
        var d3 = UInt64(h0) * UInt64(r3) + UInt64(h1) * UInt64(r2) + UInt64(h2) * UInt64(r1) + UInt64(h3) * UInt64(r0) + UInt64(h4) * UInt64(s4)
        var d4 = UInt64(h0) * UInt64(r4) + UInt64(h1) * UInt64(r3) + UInt64(h2) * UInt64(r2) + UInt64(h3) * UInt64(r1) + UInt64(h4) * UInt64(r0)
        var c = d0 >> 26; h0 = UInt32(d0 & 0x3ff_ffff)
        d1 += c; c = d1 >> 26; h1 = UInt32(d1 & 0x3ff_ffff)
        d2 += c; c = d2 >> 26; h2 = UInt32(d2 & 0x3ff_ffff)
        d3 += c; c = d3 >> 26; h3 = UInt32(d3 & 0x3ff_ffff)
        d4 += c; c = d4 >> 26; h4 = UInt32(d4 & 0x3ff_ffff)
        h0 &+= UInt32(c) * 5; let c2 = h0 >> 26; h0 &= 0x3ff_ffff
        h1 &+= c2
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var p = bytes.baseAddress else { return }
        var remaining = bytes.count
        if buffered > 0 {
            let take = min(16 - buffered, remaining), offset = buffered
            withUnsafeMutableBytes(of: &buffer) { b in (b.baseAddress! + offset).copyMemory(from: p, byteCount: take) }
            buffered += take; p += take; remaining -= take
            guard buffered == 16 else { return }
            var copy = buffer
            withUnsafeBytes(of: &copy) { block($0.baseAddress!, highBit: 1 << 24) }
            buffered = 0
        }
        while remaining >= 16 {
            block(p, highBit: 1 << 24)
            p += 16; remaining -= 16
        }
        if remaining > 0 {
            withUnsafeMutableBytes(of: &buffer) { b in b.baseAddress!.copyMemory(from: p, byteCount: remaining) }
            buffered = remaining
        }
    }

    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    /// The 16-byte tag: (h mod 2^130 − 5) + s, mod 2^128.
    public mutating func finalize() -> [UInt8] {
        if buffered > 0 {
            var last = buffer
            let used = buffered
            withUnsafeMutableBytes(of: &last) { b in
                b[used] = 1
                for i in (used + 1)..<16 { b[i] = 0 }
            }
            withUnsafeBytes(of: &last) { block($0.baseAddress!, highBit: 0) }
            buffered = 0
        }
        // Full carry, then h − p computed in constant time and chosen by mask.
        var c = h1 >> 26; h1 &= 0x3ff_ffff
        h2 &+= c; c = h2 >> 26; h2 &= 0x3ff_ffff
        h3 &+= c; c = h3 >> 26; h3 &= 0x3ff_ffff
        h4 &+= c; c = h4 >> 26; h4 &= 0x3ff_ffff
        h0 &+= c * 5; c = h0 >> 26; h0 &= 0x3ff_ffff
        h1 &+= c
        var g0 = h0 &+ 5; c = g0 >> 26; g0 &= 0x3ff_ffff
        var g1 = h1 &+ c; c = g1 >> 26; g1 &= 0x3ff_ffff
        var g2 = h2 &+ c; c = g2 >> 26; g2 &= 0x3ff_ffff
        var g3 = h3 &+ c; c = g3 >> 26; g3 &= 0x3ff_ffff
        var g4 = h4 &+ c &- (1 << 26)
        let useG = (g4 >> 31) &- 1  // all ones when h ≥ p
        g0 &= useG; g1 &= useG; g2 &= useG; g3 &= useG; g4 &= useG
        let keepH = ~useG
        h0 = (h0 & keepH) | g0; h1 = (h1 & keepH) | g1; h2 = (h2 & keepH) | g2; h3 = (h3 & keepH) | g3; h4 = (h4 & keepH) | g4
        // h in four 32-bit words, plus the pad with carries.
        let w0 = UInt64(h0 | h1 << 26) + UInt64(pad.0)
        let w1 = UInt64(h1 >> 6 | h2 << 20) + UInt64(pad.1) + (w0 >> 32)
        let w2 = UInt64(h2 >> 12 | h3 << 14) + UInt64(pad.2) + (w1 >> 32)
        let w3 = UInt64(h3 >> 18 | h4 << 8) + UInt64(pad.3) + (w2 >> 32)
        var tag = [UInt8](repeating: 0, count: 16)
        for (i, w) in [w0, w1, w2, w3].enumerated() {
            let v = UInt32(truncatingIfNeeded: w)
            tag[4 * i] = UInt8(truncatingIfNeeded: v); tag[4 * i + 1] = UInt8(truncatingIfNeeded: v >> 8)
            tag[4 * i + 2] = UInt8(truncatingIfNeeded: v >> 16); tag[4 * i + 3] = UInt8(truncatingIfNeeded: v >> 24)
        }
        return tag
    }

    public static func authenticate(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var p = Poly1305(key: key)
        p.update(message)
        return p.finalize()
    }
}
