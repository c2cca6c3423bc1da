import Glibc

/// A plain blocking TCP client socket for CLIs, tests and benchmarks; never used on the event loop.
/// Not Sendable: one thread at a time.
public final class BlockingSocket {
    private var fd: Int32
    private let peer: SocketAddress
    /// Bytes received but not yet returned by readLine/read.
    private var buffer: [UInt8] = []
    private var bufferOffset = 0

    private init(fd: Int32, peer: SocketAddress) {
        self.fd = fd
        self.peer = peer
    }

    deinit { close() }

    /// Connects within `timeout` seconds (non-blocking connect + poll), then switches to blocking mode.
    public static func connect(host: String, port: Int, timeout: Double) throws -> BlockingSocket {
        let address = try SocketAddress.resolve(host: host, port: port)
        let fd = try RawSocket.makeTCP(nonblocking: true)
        do {
            switch RawSocket.connect(fd, address) {
            case .connected:
                break
            case .failed(let error):
                throw error
            case .inProgress:
                guard try RawSocket.wait(fd, events: Int16(POLLOUT), timeout: timeout, "connect") else {
                    throw SocketError.timedOut("connect \(address)")
                }
                let code = RawSocket.pendingError(fd)
                guard code == 0 else { throw SocketError(operation: "connect \(address)", errno: code) }
            }
            try RawSocket.setBlocking(fd, true)
        } catch {
            RawSocket.close(fd)
            throw error
        }
        RawSocket.setNoDelay(fd)
        return BlockingSocket(fd: fd, peer: address)
    }

    public var isOpen: Bool { fd >= 0 }
    public var peerDescription: String { peer.description }

    /// Writes every byte (MSG_NOSIGNAL: a closed peer throws EPIPE rather than killing the process).
    public func write(_ bytes: [UInt8]) throws {
        let fd = try openFD()
        var offset = 0
        while offset < bytes.count {
            let result = bytes.withUnsafeBytes { RawSocket.send(fd, UnsafeRawBufferPointer(rebasing: $0[offset...])) }
            switch result {
            case .transferred(let count): offset += count
            case .failed(let error): throw error
            case .wouldBlock, .endOfFile: throw SocketError(operation: "send \(peer)", errno: EAGAIN)
            }
        }
    }

    public func write(_ text: String) throws {
        try write(Array(text.utf8))
    }

    /// One line without its "\n"; nil at EOF. Bytes after the last newline are returned as a final line.
    /// Throws ETIMEDOUT if no full line arrives in time, EMSGSIZE past `maxBytes`.
    public func readLine(timeout: Double, maxBytes: Int = 1 << 20) throws -> String? {
        let deadline = MonotonicClock.now() + MonotonicClock.nanoseconds(timeout)
        var scanned = bufferOffset
        while true {
            if let newline = buffer[scanned...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[bufferOffset..<newline], as: UTF8.self)
                consume(upTo: newline + 1)
                return line
            }
            scanned = buffer.count
            guard buffer.count - bufferOffset <= maxBytes else {
                throw SocketError(operation: "readLine \(peer)", errno: EMSGSIZE, message: "line longer than \(maxBytes) bytes")
            }
            if try fill(deadline: deadline, "readLine") == 0 {
                guard bufferOffset < buffer.count else { return nil }
                let rest = String(decoding: buffer[bufferOffset...], as: UTF8.self)
                consume(upTo: buffer.count)
                return rest
            }
        }
    }

    /// Up to `n` bytes, waiting at most `timeout` for the first ones; [] at EOF.
    public func read(upTo n: Int, timeout: Double) throws -> [UInt8] {
        if bufferOffset == buffer.count {
            let deadline = MonotonicClock.now() + MonotonicClock.nanoseconds(timeout)
            if try fill(deadline: deadline, "read") == 0 { return [] }
        }
        let end = min(buffer.count, bufferOffset + n)
        let bytes = Array(buffer[bufferOffset..<end])
        consume(upTo: end)
        return bytes
    }

    /// Half-close: the peer sees EOF but can still answer.
    public func shutdownWrite() {
        if fd >= 0 { _ = shutdown(fd, Int32(SHUT_WR)) }
    }

    public func close() {
        guard fd >= 0 else { return }
        RawSocket.close(fd)
        fd = -1
    }

    private func openFD() throws -> Int32 {
        guard fd >= 0 else { throw SocketError(operation: "use of closed socket \(peer)", errno: EBADF) }
        return fd
    }

    /// Receives once into the buffer; returns the byte count (0 = EOF).
    private func fill(deadline: UInt64, _ operation: String) throws -> Int {
        let fd = try openFD()
        let now = MonotonicClock.now()
        let remaining = deadline > now ? Double(deadline - now) / 1e9 : 0
        guard try RawSocket.wait(fd, events: Int16(POLLIN), timeout: remaining, operation) else {
            throw SocketError.timedOut("\(operation) \(peer)")
        }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let result = chunk.withUnsafeMutableBytes { RawSocket.receive(fd, into: $0) }
        switch result {
        case .transferred(let count):
            buffer.append(contentsOf: chunk[0..<count])
            return count
        case .endOfFile: return 0
        case .wouldBlock: return try fill(deadline: deadline, operation)
        case .failed(let error): throw error
        }
    }

    private func consume(upTo index: Int) {
        bufferOffset = index
        if bufferOffset == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            bufferOffset = 0
        } else if bufferOffset > 64 * 1024 {
            buffer.removeFirst(bufferOffset)
            bufferOffset = 0
        }
    }
}
