import Testing
@testable import CivicWire

@Suite("SHA-256 (FIPS 180-4)")
struct SHA256Tests {
    /// FIPS 180-4 / NIST CSRC example vectors (cross-checked with python3 hashlib).
    static let nistVectors: [(message: String, digest: String)] = [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ]

    @Test("NIST example messages", arguments: 0..<4)
    func nistExample(index: Int) {
        let vector = Self.nistVectors[index]
        #expect(Hex.encode(SHA256.hash(vector.message)) == vector.digest)
        #expect(Hex.encode(SHA256.hash(Array(vector.message.utf8))) == vector.digest)
    }

    @Test("one million 'a'")
    func millionA() {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(Hex.encode(SHA256.hash(message)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Lengths around the padding boundaries (55/56 bytes need one or two padding blocks).
    @Test("padding boundaries", arguments: [
        (55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"),
        (56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"),
        (63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"),
        (64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"),
        (65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"),
        (119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"),
        (120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"),
        (128, "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e"),
    ])
    func paddingBoundary(length: Int, digest: String) {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: length)
        #expect(Hex.encode(SHA256.hash(message)) == digest)
    }

    @Test("splitting the input at every offset gives the same digest")
    func incrementalSplits() {
        let message = Array(Self.nistVectors[3].message.utf8) + Array(Self.nistVectors[2].message.utf8)  // 168 bytes
        let expected = SHA256.hash(message)
        for split in 0...message.count {
            var hasher = SHA256()
            hasher.update(Array(message[..<split]))
            hasher.update(Array(message[split...]))
            #expect(hasher.finalize() == expected, "split at \(split)")
        }
        for first in stride(from: 0, through: message.count, by: 7) {
            for second in stride(from: first, through: message.count, by: 13) {
                var hasher = SHA256()
                hasher.update(message[..<first])  // ArraySlice goes through the generic path
                hasher.update(message[first..<second])
                hasher.update(message[second...])
                #expect(hasher.finalize() == expected, "splits at \(first), \(second)")
            }
        }
    }

    @Test("byte-at-a-time and non-contiguous collections")
    func byteAtATime() {
        let message = Array(Self.nistVectors[3].message.utf8)
        var hasher = SHA256()
        for byte in message { hasher.update(CollectionOfOne(byte)) }
        #expect(Hex.encode(hasher.finalize()) == Self.nistVectors[3].digest)

        var lazy = SHA256()
        lazy.update(message.lazy.map { $0 })  // not contiguous: exercises the copying fallback
        #expect(Hex.encode(lazy.finalize()) == Self.nistVectors[3].digest)
    }

    @Test("finalize resets the hasher for reuse")
    func reuseAfterFinalize() {
        var hasher = SHA256()
        hasher.update(Array("abc".utf8))
        #expect(Hex.encode(hasher.finalize()) == Self.nistVectors[1].digest)
        #expect(Hex.encode(hasher.finalize()) == Self.nistVectors[0].digest)
        hasher.update(Array("abc".utf8))
        #expect(Hex.encode(hasher.finalize()) == Self.nistVectors[1].digest)
    }
}

@Suite("Hex")
struct HexTests {
    @Test("encodes lowercase")
    func encode() {
        #expect(Hex.encode([]) == "")
        #expect(Hex.encode([0x00, 0x0f, 0xa5, 0xff]) == "000fa5ff")
    }

    @Test("round trips every byte value")
    func roundTrip() throws {
        let all = (0...255).map { UInt8($0) }
        let encoded = Hex.encode(all)
        #expect(encoded.utf8.count == 512)
        #expect(try #require(Hex.decode(encoded)) == all)
        #expect(Hex.decode(encoded.uppercased()) == all)
    }

    @Test("rejects odd length and non-hex characters", arguments: ["0", "abc", "0g", "zz", " 00", "00 ", "0x00", "é0", "-1"])
    func rejectsInvalid(input: String) {
        #expect(Hex.decode(input) == nil)
    }

    @Test("decodes mixed case")
    func mixedCase() {
        #expect(Hex.decode("DeAdBeEf") == [0xde, 0xad, 0xbe, 0xef])
        #expect(Hex.decode("") == [])
    }
}
