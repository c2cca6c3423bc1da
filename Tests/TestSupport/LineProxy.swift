import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A man in the middle for mesh links: forwards a child's connection to its parent byte for byte, except
/// that `mutate` may rewrite the child's lines (by their index on the connection) on the first connection
/// only — every later connection passes untouched, as a link that reconnects around an attacker would.
public final class LineProxy: @unchecked Sendable {
    // Invariant: `connections` and `fds` are guarded by `lock`; each forwarding thread owns its two fds.
    public let port: Int
    private let listener: Int32
    private let upstream: (host: String, port: Int)
    /// (line index on the first connection, the line) → lines to send instead (empty drops it).
    private let mutate: @Sendable (Int, [UInt8]) -> [[UInt8]]
    private let lock = NSLock()
    private var connections = 0
    private var fds: [Int32] = []
    private var closed = false

    public var connectionCount: Int { lock.withLock { connections } }

    public init(upstream: String, mutate: @escaping @Sendable (Int, [UInt8]) -> [[UInt8]]) throws {
        let parts = upstream.split(separator: ":")
        self.upstream = (String(parts[0]), Int(parts[1])!)
        self.mutate = mutate
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, len) } }
        Glibc.listen(listener, 16)
        var bound = addr
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &len) } }
        port = Int(UInt16(bigEndian: bound.sin_port))
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    public var address: String { "127.0.0.1:\(port)" }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            guard let server = connectUpstream() else { Glibc.close(client); continue }
            let first = lock.withLock { () -> Bool in
                connections += 1
                fds += [client, server]
                return connections == 1
            }
            Thread.detachNewThread { [self] in forward(from: client, to: server, lines: first ? mutate : nil) }
            Thread.detachNewThread { [self] in forward(from: server, to: client, lines: nil) }
        }
    }

    private func connectUpstream() -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr(upstream.host)
        addr.sin_port = in_port_t(UInt16(upstream.port).bigEndian)
        let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        if ok != 0 { Glibc.close(fd); return nil }
        return fd
    }

    private func forward(from: Int32, to: Int32, lines mutate: (@Sendable (Int, [UInt8]) -> [[UInt8]])?) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        var pending: [UInt8] = []
        var index = 0
        func sendAll(_ bytes: [UInt8]) -> Bool {
            var offset = 0
            while offset < bytes.count {
                let n = bytes[offset...].withUnsafeBytes { Glibc.send(to, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(from, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            guard let mutate else {
                if !sendAll(Array(buffer[0..<n])) { break }
                continue
            }
            pending += buffer[0..<n]
            while let nl = pending.firstIndex(of: 0x0A) {
                let line = Array(pending[...nl])
                pending.removeFirst(nl + 1)
                for out in mutate(index, line) where !sendAll(out) { break }
                index += 1
            }
        }
        shutdown(to, Int32(SHUT_WR))
        shutdown(from, Int32(SHUT_RD))
    }

    public func close() {
        let all = lock.withLock { () -> [Int32] in
            guard !closed else { return [] }
            closed = true
            return fds
        }
        shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
        for fd in all { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    deinit { close() }
}
