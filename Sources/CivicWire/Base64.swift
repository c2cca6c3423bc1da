/// Standard Base64 with padding (RFC 4648 §4), on bytes: sealed mesh lines carry their ciphertext in it.
public enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    /// Appends the encoding of `bytes` to `out` (written through one buffer: a line seals several KB).
    public static func encode(_ bytes: [UInt8], into out: inout [UInt8]) {
        let encodedCount = (bytes.count + 2) / 3 * 4
        let encoded = [UInt8](unsafeUninitializedCapacity: encodedCount) { buffer, written in
            alphabet.withUnsafeBufferPointer { a in
                bytes.withUnsafeBufferPointer { input in
                    var i = 0, o = 0
                    while i + 3 <= input.count {
                        let v = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
                        buffer[o] = a[Int(v >> 18)]; buffer[o + 1] = a[Int(v >> 12 & 63)]
                        buffer[o + 2] = a[Int(v >> 6 & 63)]; buffer[o + 3] = a[Int(v & 63)]
                        i += 3; o += 4
                    }
                    let rest = input.count - i
                    if rest > 0 {
                        let v = UInt32(input[i]) << 16 | (rest == 2 ? UInt32(input[i + 1]) << 8 : 0)
                        buffer[o] = a[Int(v >> 18)]; buffer[o + 1] = a[Int(v >> 12 & 63)]
                        buffer[o + 2] = rest == 2 ? a[Int(v >> 6 & 63)] : 61
                        buffer[o + 3] = 61
                    }
                }
            }
            written = encodedCount
        }
        out.append(contentsOf: encoded)
    }

    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        encode(bytes, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes padded Base64; nil on a wrong length, a character outside the alphabet or misplaced padding.
    public static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        if let fast = text.withContiguousStorageIfAvailable({ decodeBuffer($0) }) { return fast }
        return Array(text).withUnsafeBufferPointer { decodeBuffer($0) }
    }

    static func decodeBuffer(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        let count = input.count
        guard count % 4 == 0 else { return nil }
        guard count > 0 else { return [] }
        let padding = input[count - 1] == 61 ? (input[count - 2] == 61 ? 2 : 1) : 0
        let decodedCount = count / 4 * 3 - padding
        var valid = true
        let out = values.withUnsafeBufferPointer { table in
            [UInt8](unsafeUninitializedCapacity: count / 4 * 3) { buffer, written in
                var o = 0
                var i = 0
                while i < count {
                    let last = i + 4 == count
                    let c0 = table[Int(input[i])], c1 = table[Int(input[i + 1])]
                    let c2 = last && padding == 2 ? 0 : table[Int(input[i + 2])]
                    let c3 = last && padding >= 1 ? 0 : table[Int(input[i + 3])]
                    if (c0 | c1 | c2 | c3) & 0xC0 != 0 { valid = false; break }  // 0xFF: outside the alphabet (or "=" inside)
                    let v = UInt32(c0) << 18 | UInt32(c1) << 12 | UInt32(c2) << 6 | UInt32(c3)
                    buffer[o] = UInt8(truncatingIfNeeded: v >> 16)
                    buffer[o + 1] = UInt8(truncatingIfNeeded: v >> 8)
                    buffer[o + 2] = UInt8(truncatingIfNeeded: v)
                    o += 3; i += 4
                }
                written = valid ? decodedCount : 0
            }
        }
        return valid ? out : nil
    }

    public static func decode(_ text: String) -> [UInt8]? { decode(Array(text.utf8)) }
}
