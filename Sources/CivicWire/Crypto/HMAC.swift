/// HMAC-SHA256 (RFC 2104), used for the mesh handshake proofs.
public enum HMACSHA256 {
    public static let macByteCount = SHA256.digestByteCount

    public static func authenticate(key: [UInt8], message: [UInt8]) -> [UInt8] {
        // Keys longer than a block are hashed first; shorter ones are zero-padded.
        var blockKey = key.count > SHA256.blockByteCount ? SHA256.hash(key) : key
        blockKey.append(contentsOf: repeatElement(0, count: SHA256.blockByteCount - blockKey.count))

        var inner = SHA256()
        inner.update(blockKey.map { $0 ^ 0x36 })
        inner.update(message)
        let innerDigest = inner.finalize()

        var outer = SHA256()
        outer.update(blockKey.map { $0 ^ 0x5c })
        outer.update(innerDigest)
        return outer.finalize()
    }

    /// Checks `mac` against the expected MAC without leaking, through timing, where they differ.
    public static func verify(mac: [UInt8], key: [UInt8], message: [UInt8]) -> Bool {
        constantTimeEquals(authenticate(key: key, message: message), mac)
    }
}

/// Compares two byte arrays in time that depends only on their lengths, not their contents.
/// Lengths are not secret (MACs have a fixed size), so a length mismatch returns early.
public func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for i in a.indices {
        difference |= a[i] ^ b[i]
    }
    return difference == 0
}
