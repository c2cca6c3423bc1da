/// The ChaCha20 stream cipher (RFC 8439 §2.4): 256-bit key, 96-bit nonce, 32-bit block counter.
/// The keystream is XORed straight into the caller's buffer, one 64-byte block at a time, with no
/// allocation per block.
public struct ChaCha20: Sendable {
    /// Words 4…15 of the initial state: key, counter (word 12, set per block) and nonce.
    private let key: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)
    private let nonce: (UInt32, UInt32, UInt32)

    public init(key: [UInt8], nonce: [UInt8]) {
        precondition(key.count == 32 && nonce.count == 12, "ChaCha20 needs a 32-byte key and a 12-byte nonce")
        func word(_ b: [UInt8], _ i: Int) -> UInt32 {
            UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
        }
        self.key = (word(key, 0), word(key, 4), word(key, 8), word(key, 12), word(key, 16), word(key, 20), word(key, 24), word(key, 28))
        self.nonce = (word(nonce, 0), word(nonce, 4), word(nonce, 8))
    }

    /// One 64-byte keystream block for `counter` (RFC 8439 §2.3), written to `out`.
    public func block(counter: UInt32, into out: UnsafeMutablePointer<UInt32>) {
        var x0: UInt32 = 0x6170_7865, x1: UInt32 = 0x3320_646e, x2: UInt32 = 0x7962_2d32, x3: UInt32 = 0x6b20_6574
        var x4 = key.0, x5 = key.1, x6 = key.2, x7 = key.3, x8 = key.4, x9 = key.5, x10 = key.6, x11 = key.7
        var x12 = counter, x13 = nonce.0, x14 = nonce.1, x15 = nonce.2
        @inline(__always) func quarter(_ a: inout UInt32, _ b: inout UInt32, _ c: inout UInt32, _ d: inout UInt32) {
            a &+= b; d ^= a; d = d << 16 | d >> 16
            c &+= d; b ^= c; b = b << 12 | b >> 20
            a &+= b; d ^= a; d = d << 8 | d >> 24
            c &+= d; b ^= c; b = b << 7 | b >> 25
        }
        for _ in 0..<10 {
            quarter(&x0, &x4, &x8, &x12); quarter(&x1, &x5, &x9, &x13)
            quarter(&x2, &x6, &x10, &x14); quarter(&x3, &x7, &x11, &x15)
            quarter(&x0, &x5, &x10, &x15); quarter(&x1, &x6, &x11, &x12)
            quarter(&x2, &x7, &x8, &x13); quarter(&x3, &x4, &x9, &x14)
        }
        out[0] = x0 &+ 0x6170_7865; out[1] = x1 &+ 0x3320_646e; out[2] = x2 &+ 0x7962_2d32; out[3] = x3 &+ 0x6b20_6574
        out[4] = x4 &+ key.0; out[5] = x5 &+ key.1; out[6] = x6 &+ key.2; out[7] = x7 &+ key.3
        out[8] = x8 &+ key.4; out[9] = x9 &+ key.5; out[10] = x10 &+ key.6; out[11] = x11 &+ key.7
        out[12] = x12 &+ counter; out[13] = x13 &+ nonce.0; out[14] = x14 &+ nonce.1; out[15] = x15 &+ nonce.2
    }

    /// XORs the keystream, starting at block `counter`, into `bytes` (encryption and decryption alike).
    public func apply(_ bytes: UnsafeMutableRawBufferPointer, counter: UInt32) {
        guard let base = bytes.baseAddress else { return }
        var words = (UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0),
                     UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0))
        withUnsafeMutableBytes(of: &words) { stream in
            let streamWords = stream.baseAddress!.assumingMemoryBound(to: UInt32.self)
            var offset = 0
            var blockCounter = counter
            while offset < bytes.count {
                block(counter: blockCounter, into: streamWords)
                blockCounter &+= 1
                let take = min(64, bytes.count - offset)
                // The state words are little-endian on the wire; this machine is too (checked at compile time below).
                let target = base + offset
                if take == 64 {
                    for i in stride(from: 0, to: 64, by: 8) {
                        let k = stream.baseAddress!.load(fromByteOffset: i, as: UInt64.self)
                        target.storeBytes(of: target.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ k, toByteOffset: i, as: UInt64.self)
                    }
                } else {
                    let keystream = stream.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    for i in 0..<take { target.storeBytes(of: target.load(fromByteOffset: i, as: UInt8.self) ^ keystream[i], toByteOffset: i, as: UInt8.self) }
                }
                offset += take
            }
        }
    }

    public func apply(_ bytes: inout [UInt8], counter: UInt32) {
        bytes.withUnsafeMutableBytes { apply($0, counter: counter) }
    }
}

#if _endian(big)
#error("ChaCha20.apply reads keystream words as little-endian bytes")
#endif
