import Testing
@testable import CivicWire

@Suite("HMAC-SHA256 (RFC 4231)")
struct HMACTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        let name: String
        let key: [UInt8]
        let data: [UInt8]
        let mac: String  // case 5 is truncated to 128 bits
        var testDescription: String { name }
    }

    static let vectors: [Vector] = [
        Vector(name: "case 1", key: .init(repeating: 0x0b, count: 20), data: Array("Hi There".utf8),
               mac: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        Vector(name: "case 2", key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8),
               mac: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        Vector(name: "case 3", key: .init(repeating: 0xaa, count: 20), data: .init(repeating: 0xdd, count: 50),
               mac: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
        Vector(name: "case 4", key: (1...25).map { UInt8($0) }, data: .init(repeating: 0xcd, count: 50),
               mac: "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
        Vector(name: "case 5", key: .init(repeating: 0x0c, count: 20), data: Array("Test With Truncation".utf8),
               mac: "a3b6167473100ee06e0c796c2955552b"),
        Vector(name: "case 6", key: .init(repeating: 0xaa, count: 131),
               data: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
               mac: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        Vector(name: "case 7", key: .init(repeating: 0xaa, count: 131),
               data: Array(("This is a test using a larger than block-size key and a larger than block-size data. "
                   + "The key needs to be hashed before being used by the HMAC algorithm.").utf8),
               mac: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
    ]

    @Test("RFC 4231 test cases", arguments: vectors)
    func rfc4231(vector: Vector) throws {
        let mac = HMACSHA256.authenticate(key: vector.key, message: vector.data)
        #expect(mac.count == 32)
        let expected = try #require(Hex.decode(vector.mac))
        #expect(Array(mac.prefix(expected.count)) == expected)
    }

    @Test("verify accepts the right MAC and rejects a tampered one")
    func verify() {
        let key = Array("district-secret".utf8), message = Array("HELLO node-7 nonce".utf8)
        var mac = HMACSHA256.authenticate(key: key, message: message)
        #expect(HMACSHA256.verify(mac: mac, key: key, message: message))
        #expect(!HMACSHA256.verify(mac: mac, key: Array("district-secreT".utf8), message: message))
        #expect(!HMACSHA256.verify(mac: mac, key: key, message: message + [0]))
        #expect(!HMACSHA256.verify(mac: Array(mac.dropLast()), key: key, message: message))
        mac[31] ^= 0x01
        #expect(!HMACSHA256.verify(mac: mac, key: key, message: message))
    }

    @Test("constantTimeEquals")
    func constantTimeEqualsCompares() {
        #expect(constantTimeEquals([], []))
        #expect(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEquals([0, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(!constantTimeEquals([], [0]))
    }
}

@Suite("SecureRandom")
struct SecureRandomTests {
    @Test("returns the requested count, including odd sizes", arguments: [0, 1, 7, 8, 9, 32, 1000])
    func count(n: Int) {
        #expect(SecureRandom.bytes(n).count == n)
    }

    @Test("successive draws differ and are not constant")
    func differs() {
        let draws = (0..<8).map { _ in SecureRandom.bytes(32) }
        #expect(Set(draws.map(Hex.encode)).count == draws.count)
        // 4096 random bytes hit almost every byte value; a stuck generator would not.
        let large = SecureRandom.bytes(4096)
        #expect(Set(large).count > 200)
    }
}
