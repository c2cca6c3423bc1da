/// Sealed mesh lines (docs/protocol.md §2.4). After the handshake every line is
/// `{"sealed":"<base64 of ChaCha20-Poly1305(line)>"}`, one key per direction derived with HKDF from the link
/// secret and both nonces, and a nonce that is the count of lines already sealed in that direction. A line
/// that was altered, replayed, reordered, dropped or injected fails to open, and the link is dropped.
public enum LineSeal {
    /// Names the cipher in `hello` and `challenge`.
    public static let cipherName = "chacha20-poly1305"

    /// Both directions' keys for one connection of one link.
    public struct SessionKeys: Sendable, Equatable {
        public var childToParent: [UInt8]
        public var parentToChild: [UInt8]

        /// salt = child nonce bytes ‖ parent nonce bytes; IKM = the link secret; info names the direction and the two ends.
        public static func derive(secret: String, child: String, parent: String, childNonce: String, parentNonce: String) -> SessionKeys? {
            guard let c = Hex.decode(childNonce), let p = Hex.decode(parentNonce) else { return nil }
            let salt = c + p, ikm = Array(secret.utf8)
            func key(_ direction: String) -> [UInt8] {
                HKDFSHA256.derive(secret: ikm, salt: salt, info: Array("civicmesh/\(meshProtocolVersion) \(direction)|\(child)|\(parent)".utf8), length: 32)
            }
            return SessionKeys(childToParent: key("child->parent"), parentToChild: key("parent->child"))
        }
    }

    /// The 12-byte nonce of the line numbered `counter`: four zero bytes, then the counter little-endian.
    public static func nonce(_ counter: UInt64) -> [UInt8] {
        var n = [UInt8](repeating: 0, count: 12)
        for i in 0..<8 { n[4 + i] = UInt8(truncatingIfNeeded: counter >> (8 * UInt64(i))) }
        return n
    }

    static let prefix = Array(#"{"sealed":""#.utf8)
    static let suffix = Array(#""}"#.utf8)

    /// Seals outgoing lines of one direction, numbering them from 0.
    public struct Sealer: Sendable {
        let key: [UInt8]
        public private(set) var counter: UInt64 = 0
        public init(key: [UInt8]) { self.key = key }

        /// `line` is one protocol line (a trailing newline is not sealed); returns the sealed line with its newline.
        public mutating func seal(_ line: [UInt8]) -> [UInt8] {
            let plain = line.last == 0x0A ? Array(line.dropLast()) : line
            let sealed = ChaCha20Poly1305.seal(plain, key: key, nonce: LineSeal.nonce(counter))
            counter += 1
            var out = LineSeal.prefix
            Base64.encode(sealed, into: &out)
            out += LineSeal.suffix
            out.append(0x0A)
            return out
        }
    }

    public enum OpenError: Error, Equatable, CustomStringConvertible {
        /// The line is not `{"sealed":"…"}` with Base64 inside.
        case notSealed
        /// The tag does not match: altered, replayed, out of order or not from the peer.
        case badTag(counter: UInt64)
        public var description: String {
            switch self {
            case .notSealed: "line is not sealed ({\"sealed\":\"<base64>\"} expected after the handshake)"
            case .badTag(let n): "sealed line \(n) does not authenticate (altered, replayed, reordered or injected)"
            }
        }
        public var code: String { self == .notSealed ? "not_sealed" : "bad_seal" }
    }

    /// Opens incoming lines of one direction, expecting them numbered from 0.
    public struct Opener: Sendable {
        let key: [UInt8]
        public private(set) var counter: UInt64 = 0
        public init(key: [UInt8]) { self.key = key }

        /// The protocol line inside (without newline). After a failure the opener must not be used again.
        public mutating func open(_ line: [UInt8]) throws(OpenError) -> [UInt8] {
            guard let payload = LineSeal.payload(line), let sealed = Base64.decode(payload) else { throw .notSealed }
            guard let plain = ChaCha20Poly1305.open(sealed, key: key, nonce: LineSeal.nonce(counter)) else { throw .badTag(counter: counter) }
            counter += 1
            return plain
        }
    }

    /// The Base64 text of `{"sealed":"…"}`, also with whitespace around the tokens as a JSON writer may put it.
    static func payload(_ line: [UInt8]) -> ArraySlice<UInt8>? {
        var bytes = line[...]
        while let last = bytes.last, last == 0x0A || last == 0x0D || last == 0x20 || last == 0x09 { bytes = bytes.dropLast() }
        if bytes.starts(with: prefix), bytes.count >= prefix.count + suffix.count, bytes.suffix(suffix.count).elementsEqual(suffix) {
            return bytes[(bytes.startIndex + prefix.count)..<(bytes.endIndex - suffix.count)]
        }
        // Tolerant path: {"sealed" : "…"} with spaces.
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 }
        var rest = bytes.drop(while: isSpace)
        func expect(_ token: [UInt8]) -> Bool {
            rest = rest.drop(while: isSpace)
            guard rest.starts(with: token) else { return false }
            rest = rest.dropFirst(token.count)
            return true
        }
        guard expect(Array("{".utf8)), expect(Array("\"sealed\"".utf8)), expect(Array(":".utf8)), expect(Array("\"".utf8)) else { return nil }
        guard let close = rest.firstIndex(of: 0x22) else { return nil }
        let value = rest[..<close]
        rest = rest[(close + 1)...]
        guard expect(Array("}".utf8)), rest.drop(while: isSpace).isEmpty else { return nil }
        return value
    }
}
