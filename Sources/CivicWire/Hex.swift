/// Lowercase hexadecimal encoding of byte strings (digests, MACs, nonces on the wire).
public enum Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var ascii = [UInt8]()
        ascii.reserveCapacity(bytes.count * 2)
        digits.withUnsafeBufferPointer { digit in
            for byte in bytes {
                ascii.append(digit[Int(byte >> 4)])
                ascii.append(digit[Int(byte & 0x0F)])
            }
        }
        return String(decoding: ascii, as: UTF8.self)
    }

    /// Accepts upper- and lowercase digits; returns nil on odd length or any non-hex character.
    public static func decode(_ s: String) -> [UInt8]? {
        let utf8 = s.utf8
        guard utf8.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 2)
        var high: UInt8? = nil
        for char in utf8 {
            guard let nibble = nibble(char) else { return nil }
            if let h = high {
                out.append(h << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return out
    }

    private static func nibble(_ char: UInt8) -> UInt8? {
        switch char {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return char - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return char - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return char - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
