import Foundation
import TestSupport
import Testing
@testable import CivicWire

private func hex(_ s: String) -> [UInt8] { Hex.decode(s.replacingOccurrences(of: " ", with: ""))! }

/// The published vectors of RFC 8439 (ChaCha20, Poly1305, the AEAD), RFC 5869 (HKDF-SHA256) and
/// RFC 4648 (Base64).
@Suite("Crypto on the standards' vectors")
struct CryptoVectorTests {
    static let sunscreen = Array("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.".utf8)

    @Test("ChaCha20 block function, RFC 8439 §2.3.2")
    func chachaBlock() {
        let cipher = ChaCha20(key: (0..<32).map(UInt8.init), nonce: hex("000000090000004a00000000"))
        var words = [UInt32](repeating: 0, count: 16)
        words.withUnsafeMutableBufferPointer { cipher.block(counter: 1, into: $0.baseAddress!) }
        #expect(words == [0xe4e7f110, 0x15593bd1, 0x1fdd0f50, 0xc47120a3, 0xc7f4d1c7, 0x0368c033, 0x9aaa2204, 0x4e6cd4c3,
                          0x466482d2, 0x09aa9f07, 0x05d7c214, 0xa2028bd9, 0xd19c12b5, 0xb94e16de, 0xe883d0cb, 0x4e3c50a2])
    }

    @Test("ChaCha20 encryption, RFC 8439 §2.4.2")
    func chachaEncryption() {
        var text = Self.sunscreen
        ChaCha20(key: (0..<32).map(UInt8.init), nonce: hex("000000000000004a00000000")).apply(&text, counter: 1)
        #expect(Hex.encode(text) == "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0bf91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d807ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab77937365af90bbf74a35be6b40b8eedf2785e42874d")
    }

    /// The four-block path (SIMD, 256 bytes at a time) against one block at a time, on random keys, nonces and
    /// texts of every length around its chunk size, and on block counters that wrap past 2^32 within a chunk.
    @Test func fourBlocksAtATimeEqualOneAtATime() {
        var generator = SystemRandomNumberGenerator()
        for length in Array(0...600) + [1023, 1024, 1025, 2643, 4096] {
            let cipher = ChaCha20(key: SecureRandom.bytes(32), nonce: SecureRandom.bytes(12))
            let text = SecureRandom.bytes(length)
            for counter in [UInt32(1), UInt32.random(in: 0...UInt32.max, using: &generator), UInt32.max - 2] {
                var fast = text, slow = text
                fast.withUnsafeMutableBytes { cipher.apply($0, counter: counter) }
                slow.withUnsafeMutableBytes { cipher.applyBlockByBlock($0, counter: counter) }
                let firstDifference = fast.indices.first { fast[$0] != slow[$0] }
                #expect(firstDifference == nil, "length \(length), counter \(counter): first different byte at \(firstDifference ?? -1)")
            }
        }
    }

    @Test("Poly1305, RFC 8439 §2.5.2, whole and in uneven pieces")
    func poly1305() {
        let key = hex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b")
        let message = Array("Cryptographic Forum Research Group".utf8)
        #expect(Hex.encode(Poly1305.authenticate(key: key, message: message)) == "a8061dc1305136c6c22b8baf0c0127a9")
        var pieces = Poly1305(key: key)
        pieces.update(Array(message[0..<5])); pieces.update(Array(message[5..<21])); pieces.update(Array(message[21...]))
        #expect(Hex.encode(pieces.finalize()) == "a8061dc1305136c6c22b8baf0c0127a9")
    }

    @Test("Poly1305 edge cases, RFC 8439 Appendix A.3 #5 and #6 (h wraps past 2^130 − 5)")
    func poly1305Edges() {
        // #5: r = 2, s = 0, m = 2^128 − 1 → tag 03 00…
        #expect(Hex.encode(Poly1305.authenticate(key: hex("02" + String(repeating: "00", count: 31)), message: [UInt8](repeating: 0xff, count: 16)))
                == "03000000000000000000000000000000")
        // #6: r = 2, s = 2^128 − 1, m = 2 → tag 03 00…
        #expect(Hex.encode(Poly1305.authenticate(key: hex("02" + String(repeating: "00", count: 15) + String(repeating: "ff", count: 16)),
                                                 message: hex("02" + String(repeating: "00", count: 15))))
                == "03000000000000000000000000000000")
    }

    @Test("AEAD_CHACHA20_POLY1305, RFC 8439 §2.8.2: seal, open, and a changed byte refused")
    func aead() {
        let key = (0x80..<0xa0).map(UInt8.init)
        let nonce = hex("070000004041424344454647"), aad = hex("50515253c0c1c2c3c4c5c6c7")
        let sealed = ChaCha20Poly1305.seal(Self.sunscreen, key: key, nonce: nonce, aad: aad)
        #expect(Hex.encode(sealed) == "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116" + "1ae10b594f09e26a7e902ecbd0600691")
        #expect(ChaCha20Poly1305.open(sealed, key: key, nonce: nonce, aad: aad) == Self.sunscreen)
        var altered = sealed
        altered[10] ^= 1
        #expect(ChaCha20Poly1305.open(altered, key: key, nonce: nonce, aad: aad) == nil)
        #expect(ChaCha20Poly1305.open(sealed, key: key, nonce: hex("070000004041424344454648"), aad: aad) == nil)
    }

    @Test("HKDF-SHA256, RFC 5869 test cases 1, 2 and 3")
    func hkdf() {
        let ikm = [UInt8](repeating: 0x0b, count: 22)
        let prk1 = HKDFSHA256.extract(salt: (0...0x0c).map(UInt8.init), secret: ikm)
        #expect(Hex.encode(prk1) == "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5")
        #expect(Hex.encode(HKDFSHA256.derive(secret: ikm, salt: (0...0x0c).map(UInt8.init), info: (0xf0...0xf9).map(UInt8.init), length: 42))
                == "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
        #expect(Hex.encode(HKDFSHA256.derive(secret: (0..<0x50).map(UInt8.init), salt: (0x60..<0xb0).map(UInt8.init), info: (0xb0...0xff).map(UInt8.init), length: 82))
                == "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87")
        #expect(Hex.encode(HKDFSHA256.derive(secret: ikm, salt: [], info: [], length: 42))
                == "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8")
    }

    @Test("Base64, RFC 4648 §10")
    func base64() {
        for (plain, encoded) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")] {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(Base64.decode(encoded) == Array(plain.utf8))
        }
        for bad in ["Zg=", "Z===", "Zm9v!A==", "Zg==Zg==", "Zm=v"] { #expect(Base64.decode(bad) == nil, "\(bad)") }
        let all = (0...255).map(UInt8.init)
        #expect(Base64.decode(Base64.encode(all)) == all)
    }

    @Test("Sealed lines: in order they open; replayed, reordered, altered or unsealed lines do not")
    func sealedLines() throws {
        let keys = try #require(LineSeal.SessionKeys.derive(secret: "0123456789abcdef0123", child: "s1", parent: "d1", childNonce: "00112233445566778899aabbccddeeff", parentNonce: "ffeeddccbbaa99887766554433221100"))
        #expect(keys.childToParent != keys.parentToChild)
        var sealer = LineSeal.Sealer(key: keys.childToParent)
        let lines = (0..<3).map { Array(#"{"type":"ack","seq":\#($0)}"#.utf8) + [0x0A] }
        let sealed = lines.map { sealer.seal($0) }
        var opener = LineSeal.Opener(key: keys.childToParent)
        for (line, s) in zip(lines, sealed) { #expect(try opener.open(s) == Array(line.dropLast())) }

        var replay = LineSeal.Opener(key: keys.childToParent)
        _ = try replay.open(sealed[0])
        #expect(throws: LineSeal.OpenError.badTag(counter: 1)) { try replay.open(sealed[0]) }
        var reorder = LineSeal.Opener(key: keys.childToParent)
        #expect(throws: LineSeal.OpenError.badTag(counter: 0)) { try reorder.open(sealed[1]) }
        var wrongDirection = LineSeal.Opener(key: keys.parentToChild)
        #expect(throws: LineSeal.OpenError.badTag(counter: 0)) { try wrongDirection.open(sealed[0]) }
        var altered = sealed[0]
        altered[20] = altered[20] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        var alteredOpener = LineSeal.Opener(key: keys.childToParent)
        #expect(throws: LineSeal.OpenError.badTag(counter: 0)) { try alteredOpener.open(altered) }
        var plain = LineSeal.Opener(key: keys.childToParent)
        #expect(throws: LineSeal.OpenError.notSealed) { try plain.open(lines[0]) }
        var spaced = LineSeal.Opener(key: keys.childToParent)
        let text = String(decoding: sealed[0], as: UTF8.self).replacingOccurrences(of: "\":\"", with: "\" : \"")
        #expect(try spaced.open(Array(text.utf8)) == Array(lines[0].dropLast()))
    }

    /// docs/protocol.md §2.4's worked example (its bytes computed with Python's cryptography).
    @Test func theProtocolDocumentsWorkedExample() throws {
        let keys = try #require(LineSeal.SessionKeys.derive(secret: "0123456789abcdef0123456789abcdef", child: "d1", parent: "city",
                                                            childNonce: "00112233445566778899aabbccddeeff", parentNonce: "ffeeddccbbaa99887766554433221100"))
        #expect(Hex.encode(keys.childToParent) == "c54c2ac9435ae81d9dc4811f1045e92ad55151de6d61bf8fa9616d88c48ec455")
        #expect(Hex.encode(keys.parentToChild) == "8477fbad2475219726014e4ff820b90a5fce219b9faaf9830c9fd19f91857a40")
        var sealer = LineSeal.Sealer(key: keys.childToParent)
        #expect(String(decoding: sealer.seal(Array(#"{"type":"ping"}"#.utf8) + [0x0A]), as: UTF8.self) == #"{"sealed":"TIo0I1jvUcqbsYUdCnqYGSAVrG8GJvqK1UPThW7C1A=="}"# + "\n")
        #expect(String(decoding: sealer.seal(Array(#"{"seq":1,"type":"ack"}"#.utf8)), as: UTF8.self) == #"{"sealed":"9wSM50UvRA9nbZLrysMQYnJpvGrcZ0HEsrkBvmzmkeORyoZ8QaY="}"# + "\n")
    }

    /// An implementation we did not write (Python's `cryptography`, OpenSSL underneath) seals the same line
    /// under the same derived key, byte for byte, and agrees on random AEAD inputs.
    @Test("Sealed line and random AEAD inputs agree with Python's cryptography package",
          .enabled(if: PythonCrypto.available, Comment(rawValue: PythonCrypto.missing)))
    func independentImplementation() throws {
        let script = """
        import sys, json, base64
        from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF
        from cryptography.hazmat.primitives import hashes
        req = json.load(sys.stdin)
        salt = bytes.fromhex(req["child_nonce"]) + bytes.fromhex(req["parent_nonce"])
        key = HKDF(hashes.SHA256(), 32, salt, ("civicmesh/%d child->parent|%s|%s" % (req["v"], req["child"], req["parent"])).encode()).derive(req["secret"].encode())
        nonce = bytes(4) + (3).to_bytes(8, "little")
        sealed = '{"sealed":"' + base64.b64encode(ChaCha20Poly1305(key).encrypt(nonce, req["line"].encode(), None)).decode() + '"}'
        randoms = [ChaCha20Poly1305(bytes.fromhex(k)).encrypt(bytes.fromhex(n), bytes.fromhex(p), bytes.fromhex(a)).hex() for k, n, p, a in req["random"]]
        print(json.dumps({"sealed": sealed, "random": randoms}))
        """
        var generator = SystemRandomNumberGenerator()
        let lengths = [0, 1, 15, 16, 17, 63, 64, 65, 200, 1000, 255, 256, 257, 767, 2300]  // several blocks, and lengths around a block's multiple
        let randomCases: [[String]] = (0..<60).map { i in
            let length = lengths[i % lengths.count] + Int.random(in: 0...3, using: &generator)
            return [Hex.encode(SecureRandom.bytes(32)), Hex.encode(SecureRandom.bytes(12)), Hex.encode(SecureRandom.bytes(length)), Hex.encode(SecureRandom.bytes(i % 3 == 0 ? 0 : i % 20))]
        }
        let line = #"{"type":"update","seq":7,"note":"路灯不亮 ✓"}"#
        let request: [String: Any] = ["v": meshProtocolVersion, "secret": "link-secret-for-the-test", "child": "s990101001", "parent": "d990101",
                                      "child_nonce": "00112233445566778899aabbccddeeff", "parent_nonce": "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
                                      "line": line, "random": randomCases]
        let output = try PythonCrypto.run(script, input: try JSONSerialization.data(withJSONObject: request))
        let answer = try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any])
        let keys = try #require(LineSeal.SessionKeys.derive(secret: "link-secret-for-the-test", child: "s990101001", parent: "d990101",
                                                            childNonce: "00112233445566778899aabbccddeeff", parentNonce: "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"))
        var sealer = LineSeal.Sealer(key: keys.childToParent)
        for _ in 0..<3 { _ = sealer.seal(Array("x".utf8)) }
        #expect(String(decoding: sealer.seal(Array(line.utf8) + [0x0A]), as: UTF8.self) == (answer["sealed"] as? String ?? "") + "\n")
        let theirs = try #require(answer["random"] as? [String])
        for (c, expected) in zip(randomCases, theirs) {
            let ours = ChaCha20Poly1305.seal(hex(c[2]), key: hex(c[0]), nonce: hex(c[1]), aad: hex(c[3]))
            #expect(Hex.encode(ours) == expected, "length \(c[2].count / 2), aad \(c[3].count / 2)")
        }
    }
}
