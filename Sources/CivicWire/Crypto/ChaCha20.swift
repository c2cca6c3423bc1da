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

    /// Four consecutive keystream blocks (`counter` … `counter + 3`) XORed into the 256 bytes at `target`: the four
    /// states side by side, block j in lane j of each `SIMD4`, so each vector instruction does four blocks' work.
    /// `shifts` must be `ChaCha20.shifts`: see there why the rotations' counts come from memory.
    @inline(__always)
    private func xorFourBlocks(counter: UInt32, into target: UnsafeMutableRawPointer, shifts: SIMD8<UInt32>) {
        typealias V = SIMD4<UInt32>
        let r16 = V(repeating: shifts[0]), r12 = V(repeating: shifts[1]), r8 = V(repeating: shifts[2]), r7 = V(repeating: shifts[3])
        let l16 = V(repeating: shifts[4]), l12 = V(repeating: shifts[5]), l8 = V(repeating: shifts[6]), l7 = V(repeating: shifts[7])
        let c0 = V(repeating: 0x6170_7865), c1 = V(repeating: 0x3320_646e), c2 = V(repeating: 0x7962_2d32), c3 = V(repeating: 0x6b20_6574)
        let k4 = V(repeating: key.0), k5 = V(repeating: key.1), k6 = V(repeating: key.2), k7 = V(repeating: key.3)
        let k8 = V(repeating: key.4), k9 = V(repeating: key.5), k10 = V(repeating: key.6), k11 = V(repeating: key.7)
        let n12 = V(counter, counter &+ 1, counter &+ 2, counter &+ 3)
        let n13 = V(repeating: nonce.0), n14 = V(repeating: nonce.1), n15 = V(repeating: nonce.2)
        var x0 = c0, x1 = c1, x2 = c2, x3 = c3, x4 = k4, x5 = k5, x6 = k6, x7 = k7
        var x8 = k8, x9 = k9, x10 = k10, x11 = k11, x12 = n12, x13 = n13, x14 = n14, x15 = n15
        @inline(__always) func quarter(_ a: inout V, _ b: inout V, _ c: inout V, _ d: inout V) {
            a &+= b; d ^= a; d = (d &<< r16) | (d &>> l16)
            c &+= d; b ^= c; b = (b &<< r12) | (b &>> l12)
            a &+= b; d ^= a; d = (d &<< r8) | (d &>> l8)
            c &+= d; b ^= c; b = (b &<< r7) | (b &>> l7)
        }
        for _ in 0..<10 {
            quarter(&x0, &x4, &x8, &x12); quarter(&x1, &x5, &x9, &x13)
            quarter(&x2, &x6, &x10, &x14); quarter(&x3, &x7, &x11, &x15)
            quarter(&x0, &x5, &x10, &x15); quarter(&x1, &x6, &x11, &x12)
            quarter(&x2, &x7, &x8, &x13); quarter(&x3, &x4, &x9, &x14)
        }
        x0 &+= c0; x1 &+= c1; x2 &+= c2; x3 &+= c3; x4 &+= k4; x5 &+= k5; x6 &+= k6; x7 &+= k7
        x8 &+= k8; x9 &+= k9; x10 &+= k10; x11 &+= k11; x12 &+= n12; x13 &+= n13; x14 &+= n14; x15 &+= n15
        // Words 4g…4g+3 of the four blocks, turned from one vector per word into one vector per block, XORed in.
        @inline(__always) func xorGroup(_ a: V, _ b: V, _ c: V, _ d: V, at offset: Int) {
            for j in 0..<4 {
                let at = target + 64 * j + offset
                at.storeBytes(of: at.loadUnaligned(as: V.self) ^ V(a[j], b[j], c[j], d[j]), as: V.self)
            }
        }
        xorGroup(x0, x1, x2, x3, at: 0); xorGroup(x4, x5, x6, x7, at: 16)
        xorGroup(x8, x9, x10, x11, at: 32); xorGroup(x12, x13, x14, x15, at: 48)
    }

    /// XORs the keystream, starting at block `counter`, into `bytes` (encryption and decryption alike): four
    /// blocks at a time while 256 bytes remain, then one at a time.
    public func apply(_ bytes: UnsafeMutableRawBufferPointer, counter: UInt32) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        var blockCounter = counter
        let shifts = ChaCha20.shifts
        while bytes.count - offset >= 256 {
            xorFourBlocks(counter: blockCounter, into: base + offset, shifts: shifts)
            blockCounter &+= 4
            offset += 256
        }
        applyBlockByBlock(UnsafeMutableRawBufferPointer(rebasing: bytes[offset...]), counter: blockCounter)
    }

    /// The left and right shifts of ChaCha20's four rotations (16, 12, 8, 7): never changed. Read from memory the
    /// compiler cannot see into (a `public var`, which another module might set), the two counts of a rotation are
    /// not known to add up to 32, so LLVM shifts whole vectors by them (`pslld`, `psrld`, `por`); seen as rotations
    /// (constant counts, or a right count computed as 32 minus the left), it rotates each lane by itself on the
    /// baseline x86-64 target, which has no vector rotate, and the four-block path is slower than the scalar one.
    nonisolated(unsafe) public static var shifts = SIMD8<UInt32>(16, 12, 8, 7, 16, 20, 24, 25)

    /// One block at a time (the scalar path, and the reference the four-block path is tested against).
    func applyBlockByBlock(_ bytes: UnsafeMutableRawBufferPointer, counter: UInt32) {
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
