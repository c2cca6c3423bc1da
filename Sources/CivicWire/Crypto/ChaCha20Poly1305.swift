/// AEAD_CHACHA20_POLY1305 (RFC 8439 §2.8): the cipher that seals every mesh line after the handshake.
public enum ChaCha20Poly1305 {
    public static let tagByteCount = Poly1305.tagByteCount

    /// Encrypts `plaintext` and returns ciphertext followed by the 16-byte tag.
    public static func seal(_ plaintext: [UInt8], key: [UInt8], nonce: [UInt8], aad: [UInt8] = []) -> [UInt8] {
        let cipher = ChaCha20(key: key, nonce: nonce)
        var out = plaintext
        out.reserveCapacity(plaintext.count + tagByteCount)
        cipher.apply(&out, counter: 1)
        out.append(contentsOf: tag(cipher: cipher, aad: aad, ciphertext: out))
        return out
    }

    /// The plaintext, or nil when the tag does not match (altered, wrong key or wrong nonce). The tag is
    /// checked in constant time before anything is decrypted.
    public static func open(_ sealed: [UInt8], key: [UInt8], nonce: [UInt8], aad: [UInt8] = []) -> [UInt8]? {
        guard sealed.count >= tagByteCount else { return nil }
        let cipher = ChaCha20(key: key, nonce: nonce)
        var body = Array(sealed[..<(sealed.count - tagByteCount)])
        let expected = tag(cipher: cipher, aad: aad, ciphertext: body)
        guard constantTimeEquals(expected, Array(sealed[(sealed.count - tagByteCount)...])) else { return nil }
        cipher.apply(&body, counter: 1)
        return body
    }

    /// Poly1305 over aad | pad16 | ciphertext | pad16 | len(aad) | len(ciphertext), keyed by block 0.
    static func tag(cipher: ChaCha20, aad: [UInt8], ciphertext: [UInt8]) -> [UInt8] {
        var oneTimeKey = [UInt8](repeating: 0, count: 32)
        cipher.apply(&oneTimeKey, counter: 0)
        var mac = Poly1305(key: oneTimeKey)
        let zeros = [UInt8](repeating: 0, count: 16)
        mac.update(aad)
        if aad.count % 16 != 0 { mac.update(Array(zeros.prefix(16 - aad.count % 16))) }
        mac.update(ciphertext)
        if ciphertext.count % 16 != 0 { mac.update(Array(zeros.prefix(16 - ciphertext.count % 16))) }
        var lengths = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 {
            lengths[i] = UInt8(truncatingIfNeeded: UInt64(aad.count) >> (8 * UInt64(i)))
            lengths[8 + i] = UInt8(truncatingIfNeeded: UInt64(ciphertext.count) >> (8 * UInt64(i)))
        }
        mac.update(lengths)
        return mac.finalize()
    }
}
