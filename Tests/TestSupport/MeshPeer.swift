import CivicIO
import CivicNode
import CivicWire
import Foundation

/// A child written from docs/protocol.md: it says hello, proves the link secret with the documented HMAC
/// string, and then seals and opens every line as §2.4 describes — with our own LineSeal, or, when
/// `independent`, with Python's `cryptography` package in a helper process (an implementation we did not write).
public final class MeshPeer {
    public let socket: BlockingSocket
    public let challenge: [String: Any]
    public let welcome: [String: Any]
    private var seal: any PeerSealing

    /// Joins the parent at `mesh` as `child`. `resume` is the last seq this peer says it applied.
    public init(mesh: String, child: String, tier: String, parent: String, secret: String, resume: Int = 0,
                features: [String]? = nil, independent: Bool = false) throws {
        let address = HostPort.parse(mesh)!
        socket = try BlockingSocket.connect(host: address.host, port: address.port, timeout: 5)
        let nonce = Hex.encode(SecureRandom.bytes(16))
        var hello: [String: Any] = ["type": "hello", "v": 2, "node": child, "tier": tier, "nonce": nonce, "seal": "chacha20-poly1305"]
        if let features { hello["features"] = features }
        try Self.writePlain(socket, hello)
        challenge = try Self.readPlain(socket)
        guard challenge["type"] as? String == "challenge", let parentNonce = challenge["nonce"] as? String else {
            throw PeerError("expected a challenge, got \(challenge)")
        }
        func hmac(_ text: String) -> String { Hex.encode(HMACSHA256.authenticate(key: Array(secret.utf8), message: Array(text.utf8))) }
        guard challenge["proof"] as? String == hmac("civicmesh/2 parent|\(child)|\(parent)|\(nonce)|\(parentNonce)") else { throw PeerError("the parent's proof is wrong") }
        try Self.writePlain(socket, ["type": "auth", "proof": hmac("civicmesh/2 child|\(child)|\(parent)|\(nonce)|\(parentNonce)"), "resume": resume])
        welcome = try Self.readPlain(socket)
        guard welcome["type"] as? String == "welcome" else { throw PeerError("expected welcome, got \(welcome)") }
        let inputs = SealInputs(secret: secret, child: child, parent: parent, childNonce: nonce, parentNonce: parentNonce)
        seal = independent ? try PythonSealing(inputs) : OwnSealing(inputs)
    }

    deinit { close() }

    public func close() { socket.close(); seal.close() }

    /// Seals `obj` as the next line.
    public func send(_ obj: [String: Any]) throws { try sendLine(String(decoding: try JSONSerialization.data(withJSONObject: obj), as: UTF8.self)) }
    public func sendLine(_ text: String) throws { try socket.write(Array(try seal.seal(text).utf8) + [0x0A]) }
    /// The sealed bytes of the next line without sending them (the counter moves on as if sent).
    public func sealed(_ obj: [String: Any]) throws -> String { try seal.seal(String(decoding: try JSONSerialization.data(withJSONObject: obj), as: UTF8.self)) }
    /// Bytes as they are, unsealed (for injection and tampering).
    public func writeRaw(_ text: String) throws { try socket.write(Array((text + "\n").utf8)) }

    /// The next line, opened; nil when the connection closed. A line that does not open is an error.
    public func readLine(timeout: Double = 10) throws -> [String: Any]? {
        guard let line = try socket.readLine(timeout: timeout) else { return nil }
        let plain = try seal.open(line)
        guard let obj = try JSONSerialization.jsonObject(with: Data(plain.utf8)) as? [String: Any] else { throw PeerError("not an object: \(plain)") }
        return obj
    }

    /// The next message of `type`, answering pings (and acknowledging durable lines when `ack`) on the way.
    public func read(type: String, ack: Bool = true, timeout: Double = 10) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            guard let obj = try readLine(timeout: max(0.1, deadline.timeIntervalSinceNow)) else { throw PeerError("connection closed while waiting for \(type)") }
            if obj["type"] as? String == type { return obj }
            if obj["type"] as? String == "ping" { try send(["type": "pong"]) }
            if ack, ["dispatch", "update"].contains(obj["type"] as? String ?? ""), let seq = obj["seq"] as? Int { try send(["type": "ack", "seq": seq]) }
        }
        throw PeerError("no \(type) within \(timeout) s")
    }

    static func writePlain(_ s: BlockingSocket, _ obj: [String: Any]) throws { try s.write(Array(try JSONSerialization.data(withJSONObject: obj)) + [0x0A]) }
    static func readPlain(_ s: BlockingSocket) throws -> [String: Any] {
        guard let line = try s.readLine(timeout: 10) else { throw PeerError("connection closed during the handshake") }
        return (try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]) ?? [:]
    }
}

public struct PeerError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

struct SealInputs { let secret, child, parent, childNonce, parentNonce: String }

protocol PeerSealing {
    mutating func seal(_ line: String) throws -> String
    mutating func open(_ line: String) throws -> String
    func close()
}

struct OwnSealing: PeerSealing {
    var sealer: LineSeal.Sealer
    var opener: LineSeal.Opener
    init(_ i: SealInputs) {
        let keys = LineSeal.SessionKeys.derive(secret: i.secret, child: i.child, parent: i.parent, childNonce: i.childNonce, parentNonce: i.parentNonce)!
        sealer = LineSeal.Sealer(key: keys.childToParent)
        opener = LineSeal.Opener(key: keys.parentToChild)
    }
    mutating func seal(_ line: String) throws -> String { String(decoding: sealer.seal(Array(line.utf8)).dropLast(), as: UTF8.self) }
    mutating func open(_ line: String) throws -> String { String(decoding: try opener.open(Array(line.utf8)), as: UTF8.self) }
    func close() {}
}

/// Keys and seals computed by Python's `cryptography` from the document's recipe (HKDF-SHA256, then
/// ChaCha20-Poly1305 with a counter nonce), one request per line over a pipe.
final class PythonSealing: PeerSealing {
    static let script = #"""
    import sys, json, base64
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    from cryptography.hazmat.primitives import hashes
    a = json.loads(sys.stdin.readline())
    salt = bytes.fromhex(a["child_nonce"]) + bytes.fromhex(a["parent_nonce"])
    def key(direction):
        info = ("civicmesh/2 %s|%s|%s" % (direction, a["child"], a["parent"])).encode()
        return ChaCha20Poly1305(HKDF(hashes.SHA256(), 32, salt, info).derive(a["secret"].encode()))
    up, down = key("child->parent"), key("parent->child")
    sent = received = 0
    for line in sys.stdin:
        op, text = line.rstrip("\n").split(" ", 1)
        if op == "seal":
            out = '{"sealed":"' + base64.b64encode(up.encrypt(bytes(4) + sent.to_bytes(8, "little"), text.encode(), None)).decode() + '"}'
            sent += 1
        else:
            try:
                out = "ok " + down.decrypt(bytes(4) + received.to_bytes(8, "little"), base64.b64decode(json.loads(text)["sealed"]), None).decode()
                received += 1
            except Exception as e:
                out = "error " + type(e).__name__
        print(out, flush=True)
    """#
    let process = Process()
    let input = Pipe(), output = Pipe()
    var buffered: [UInt8] = []

    init(_ i: SealInputs) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.script]
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let args: [String: String] = ["secret": i.secret, "child": i.child, "parent": i.parent, "child_nonce": i.childNonce, "parent_nonce": i.parentNonce]
        input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: args) + Data([0x0A]))
    }

    private func ask(_ op: String, _ text: String) throws -> String {
        input.fileHandleForWriting.write(Data("\(op) \(text)\n".utf8))
        while true {
            if let nl = buffered.firstIndex(of: 0x0A) {
                let line = String(decoding: buffered[..<nl], as: UTF8.self)
                buffered.removeFirst(nl + 1)
                return line
            }
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw PeerError("the python sealing helper exited") }
            buffered += chunk
        }
    }

    func seal(_ line: String) throws -> String { try ask("seal", line) }
    func open(_ line: String) throws -> String {
        let answer = try ask("open", line)
        guard answer.hasPrefix("ok ") else { throw PeerError("a line from the node did not open in Python: \(answer)") }
        return String(answer.dropFirst(3))
    }
    func close() {
        try? input.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
    }
}

/// Python 3 with the `cryptography` package, as an independent implementation to check ours against.
/// Absent on a user's machine such tests skip with one line; CI installs it and sets CIVICMESH_REQUIRE_PYTHON_CRYPTO=1.
public enum PythonCrypto {
    public static var required: Bool { ProcessInfo.processInfo.environment["CIVICMESH_REQUIRE_PYTHON_CRYPTO"] == "1" }
    public static var available: Bool { required || (try? run("import cryptography", input: Data())) != nil }
    public static let missing = "needs python3 with the cryptography package (pip install cryptography)"

    public static func run(_ script: String, input: Data) throws -> Data {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script]
        let stdin = Pipe(), stdout = Pipe()
        p.standardInput = stdin
        p.standardOutput = stdout
        p.standardError = FileHandle.nullDevice
        try p.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "python3 exited with \(p.terminationStatus)"]) }
        return data
    }
}
