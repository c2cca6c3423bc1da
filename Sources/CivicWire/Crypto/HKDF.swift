/// HKDF with HMAC-SHA256 (RFC 5869): the mesh derives each direction's session key from the link secret
/// and both handshake nonces with it.
public enum HKDFSHA256 {
    /// Extract-then-expand. `length` is at most 255 × 32 bytes.
    public static func derive(secret: [UInt8], salt: [UInt8], info: [UInt8], length: Int) -> [UInt8] {
        expand(pseudorandomKey: extract(salt: salt, secret: secret), info: info, length: length)
    }

    /// PRK = HMAC(salt, IKM); an empty salt is a block of zeros (RFC 5869 §2.2).
    public static func extract(salt: [UInt8], secret: [UInt8]) -> [UInt8] {
        HMACSHA256.authenticate(key: salt.isEmpty ? [UInt8](repeating: 0, count: HMACSHA256.macByteCount) : salt, message: secret)
    }

    /// T(i) = HMAC(PRK, T(i-1) | info | i), concatenated and cut to `length`.
    public static func expand(pseudorandomKey: [UInt8], info: [UInt8], length: Int) -> [UInt8] {
        precondition((0...255 * HMACSHA256.macByteCount).contains(length), "HKDF-SHA256 output is at most 8160 bytes, asked for \(length)")
        var output: [UInt8] = []
        output.reserveCapacity(length)
        var previous: [UInt8] = []
        var counter: UInt8 = 1
        while output.count < length {
            previous = HMACSHA256.authenticate(key: pseudorandomKey, message: previous + info + [counter])
            output.append(contentsOf: previous.prefix(length - output.count))
            counter &+= 1
        }
        return output
    }
}
