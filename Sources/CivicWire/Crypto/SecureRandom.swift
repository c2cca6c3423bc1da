/// Cryptographically secure random bytes for nonces and keys.
///
/// `SystemRandomNumberGenerator` is documented as cryptographically secure; on Linux it
/// reads getrandom(2) (falling back to /dev/urandom), so no C shim is needed.
public enum SecureRandom {
    public static func bytes(_ count: Int) -> [UInt8] {
        precondition(count >= 0, "SecureRandom.bytes: negative count \(count)")
        var generator = SystemRandomNumberGenerator()
        var out = [UInt8]()
        out.reserveCapacity(count)
        while out.count < count {
            var word = generator.next() as UInt64
            for _ in 0..<min(8, count - out.count) {
                out.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return out
    }
}
