/// The Poly1305 one-time authenticator (RFC 8439 §2.5), in three limbs of 44, 44 and 42 bits whose products
/// are taken 128 bits wide: nine multiplications a block where 26-bit limbs took twenty-five. A key must never
/// authenticate two messages: the AEAD derives a fresh one per nonce.
public struct Poly1305: Sendable {
    private static let mask44: UInt64 = 0xfff_ffff_ffff
    private static let mask42: UInt64 = 0x3ff_ffff_ffff
    private let r0, r1, r2: UInt64
    /// r1 and r2 times 20: a product past 2^130 folds back times 5, and the limbs' offsets add a factor of 4.
    private let s1, s2: UInt64
    private var h0: UInt64 = 0, h1: UInt64 = 0, h2: UInt64 = 0
    private let pad: (UInt64, UInt64)
    private var buffer = (UInt64(0), UInt64(0))
    private var buffered = 0

    public static let tagByteCount = 16

    public init(key: [UInt8]) {
        precondition(key.count == 32, "Poly1305 needs a 32-byte one-time key")
        func le(_ i: Int) -> UInt64 { (0..<8).reduce(UInt64(0)) { $0 | UInt64(key[i + $1]) << (8 * UInt64($1)) } }
        // r is clamped (RFC 8439 §2.5.1) and split into 44-, 44- and 42-bit limbs.
        let t0 = le(0), t1 = le(8)
        r0 = t0 & 0xffc_0fff_ffff
        r1 = ((t0 >> 44) | (t1 << 20)) & 0xfff_ffc0_ffff
        r2 = (t1 >> 24) & 0x00f_ffff_fc0f
        s1 = r1 * 20; s2 = r2 * 20
        pad = (le(16), le(24))
    }

    /// Absorbs one 16-byte block; `final` blocks shorter than 16 bytes are padded with 1 then zeros by the caller.
    /// `highBit` is 2^128 in the top limb's terms (1 << 40) for a full block, 0 for the padded last one.
    private mutating func block(_ p: UnsafeRawPointer, highBit: UInt64) {
        let t0 = p.loadUnaligned(fromByteOffset: 0, as: UInt64.self).littleEndian
        let t1 = p.loadUnaligned(fromByteOffset: 8, as: UInt64.self).littleEndian
        h0 &+= t0 & Self.mask44
        h1 &+= ((t0 >> 44) | (t1 << 20)) & Self.mask44
        h2 &+= ((t1 >> 24) & Self.mask42) | highBit
        // d = h × r mod 2^130 − 5, each sum 128 bits wide (the limbs keep every sum below 2^128).
        func mul3(_ a: (UInt64, UInt64), _ b: (UInt64, UInt64), _ c: (UInt64, UInt64)) -> (high: UInt64, low: UInt64) {
            let x = a.0.multipliedFullWidth(by: a.1), y = b.0.multipliedFullWidth(by: b.1), z = c.0.multipliedFullWidth(by: c.1)
            let (l1, o1) = x.low.addingReportingOverflow(y.low)
            let (l2, o2) = l1.addingReportingOverflow(z.low)
            return (x.high &+ y.high &+ z.high &+ (o1 ? 1 : 0) &+ (o2 ? 1 : 0), l2)
        }
        let d0 = mul3((h0, r0), (h1, s2), (h2, s1))
        var d1 = mul3((h0, r1), (h1, r0), (h2, s2))
        var d2 = mul3((h0, r2), (h1, r1), (h2, r0))
        func shiftedRight(_ d: (high: UInt64, low: UInt64), _ n: UInt64) -> UInt64 { (d.low >> n) | (d.high << (64 - n)) }
        func add(_ d: inout (high: UInt64, low: UInt64), _ c: UInt64) {
            let (l, o) = d.low.addingReportingOverflow(c)
            d = (d.high &+ (o ? 1 : 0), l)
        }
        var c = shiftedRight(d0, 44); h0 = d0.low & Self.mask44
        add(&d1, c); c = shiftedRight(d1, 44); h1 = d1.low & Self.mask44
        add(&d2, c); c = shiftedRight(d2, 42); h2 = d2.low & Self.mask42
        h0 &+= c &* 5; c = h0 >> 44; h0 &= Self.mask44
        h1 &+= c
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
            withUnsafeBytes(of: &copy) { block($0.baseAddress!, highBit: 1 << 40) }
            buffered = 0
        }
        while remaining >= 16 {
            block(p, highBit: 1 << 40)
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
        var c = h1 >> 44; h1 &= Self.mask44
        h2 &+= c; c = h2 >> 42; h2 &= Self.mask42
        h0 &+= c &* 5; c = h0 >> 44; h0 &= Self.mask44
        h1 &+= c; c = h1 >> 44; h1 &= Self.mask44
        h2 &+= c; c = h2 >> 42; h2 &= Self.mask42
        h0 &+= c &* 5; c = h0 >> 44; h0 &= Self.mask44
        h1 &+= c
        var g0 = h0 &+ 5; c = g0 >> 44; g0 &= Self.mask44
        var g1 = h1 &+ c; c = g1 >> 44; g1 &= Self.mask44
        var g2 = h2 &+ c &- (1 << 42)
        let useG = (g2 >> 63) &- 1  // all ones when h ≥ p
        g0 &= useG; g1 &= useG; g2 &= useG
        let keepH = ~useG
        h0 = (h0 & keepH) | g0; h1 = (h1 & keepH) | g1; h2 = (h2 & keepH) | g2
        // h + s, mod 2^128.
        let t0 = pad.0, t1 = pad.1
        h0 &+= t0 & Self.mask44; c = h0 >> 44; h0 &= Self.mask44
        h1 &+= (((t0 >> 44) | (t1 << 20)) & Self.mask44) &+ c; c = h1 >> 44; h1 &= Self.mask44
        h2 &+= ((t1 >> 24) & Self.mask42) &+ c; h2 &= Self.mask42
        let w0 = h0 | (h1 << 44), w1 = (h1 >> 20) | (h2 << 24)
        var tag = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 {
            tag[i] = UInt8(truncatingIfNeeded: w0 >> (8 * UInt64(i)))
            tag[8 + i] = UInt8(truncatingIfNeeded: w1 >> (8 * UInt64(i)))
        }
        return tag
    }

    public static func authenticate(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var p = Poly1305(key: key)
        p.update(message)
        return p.finalize()
    }
}
