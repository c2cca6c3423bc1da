import CivicIO
import Foundation
import Glibc
import Testing

/// Real sockets on 127.0.0.1, port 0.
@Suite("TCPConnection")
struct TCPConnectionTests {
    /// A line-echo server: every complete line is written back, whatever the read boundaries were.
    static func startLineEchoServer(_ loop: EventLoop, accepted: Locked<Int>? = nil) async throws -> Int {
        try await loop.onLoop {
            try loop.listen(host: "127.0.0.1", port: 0) { connection in
                accepted?.update { $0 += 1 }
                nonisolated(unsafe) var splitter = LineSplitter()
                connection.onRead = { [unowned connection] bytes in
                    for line in splitter.feed(bytes) { connection.write(Array((line + "\n").utf8)) }
                }
            }.port
        }
    }

    @Test("echo of many lines split at arbitrary points across writes")
    func echoManyMessages() async throws {
        let loop = try startedLoop()
        defer { loop.shutdown() }
        let port = try await Self.startLineEchoServer(loop)
        let client = try BlockingSocket.connect(host: "127.0.0.1", port: port, timeout: 5)
        let lines = (0..<500).map { #"{"seq":\#($0),"text":"\#(String(repeating: "x", count: $0 % 97))"}"# }
        let stream = Array(lines.joined(separator: "\n").utf8) + [UInt8(ascii: "\n")]
        var offset = 0, step = 1
        while offset < stream.count {
            let end = min(stream.count, offset + step)
            try client.write(Array(stream[offset..<end]))
            offset = end
            step = step % 1500 + 37  // irregular sizes so lines straddle reads
        }
        for expected in lines {
            #expect(try client.readLine(timeout: 10) == expected)
        }
        client.close()
    }

    @Test("several MiB written at once arrive intact through partial writes")
    func largePayloadServerToClient() async throws {
        let loop = try startedLoop()
        defer { loop.shutdown() }
        let payload = patternBytes(6 << 20, seed: 7)
        let pendingWhileBlocked = Locked(0)
        let drained = Locked(0)
        let port = try await loop.onLoop {
            try loop.listen(host: "127.0.0.1", port: 0) { connection in
                connection.onWriteDrained = { drained.update { $0 += 1 } }
                connection.write(payload)
                // The client does not read yet: the kernel buffers are far smaller than 6 MiB.
                loop.scheduleTimer(after: 0.2) { pendingWhileBlocked.update { $0 = connection.pendingWriteBytes } }
            }.port
        }
        let client = try BlockingSocket.connect(host: "127.0.0.1", port: port, timeout: 5)
        #expect(await eventually { pendingWhileBlocked.value > 0 })
        var received: [UInt8] = []
        received.reserveCapacity(payload.count)
        while received.count < payload.count {
            let chunk = try client.read(upTo: 1 << 20, timeout: 10)
            if chunk.isEmpty { break }
            received += chunk
        }
        #expect(received.count == payload.count)
        #expect(received == payload)
        #expect(await eventually { drained.value == 1 })
        client.close()
    }

    @Test("several MiB from a client arrive intact and in order")
    func largePayloadClientToServer() async throws {
        let loop = try startedLoop()
        defer { loop.shutdown() }
        let received = Locked<[UInt8]>([])
        let port = try await loop.onLoop {
            try loop.listen(host: "127.0.0.1", port: 0) { connection in
                connection.onRead = { bytes in received.update { $0 += bytes } }
            }.port
        }
        let payload = patternBytes(4 << 20, seed: 3)
        let client = try BlockingSocket.connect(host: "127.0.0.1", port: port, timeout: 5)
        try client.write(payload)
        #expect(await eventually { received.value.count >= payload.count })
        #expect(received.value == payload)
        client.close()
    }

    @Test("a peer close calls onClose exactly once with nil")
    func peerCloseOnce() async throws {
        let loop = try startedLoop()
        defer { loop.shutdown() }
        let closes = Locked<[SocketError?]>([])
        let stillOpen = Locked<Bool?>(nil)
        let port = try await loop.onLoop {
            try loop.listen(host: "127.0.0.1", port: 0) { connection in
                connection.onClose = { [unowned connection] error in
                    closes.update { $0.append(error) }
                    stillOpen.update { $0 = connection.isOpen }
                    connection.close()  // closing again from inside the callback must not call it twice
                }
            }.port
        }
        let client = try BlockingSocket.connect(host: "127.0.0.1", port: port, timeout: 5)
        try client.write(Array("bye\n".utf8))
        client.close()
        #expect(await eventually { closes.value.count == 1 })
        try await Task.sleep(nanoseconds: 100_000_000)
        #expect(closes.value.count == 1)
        #expect(closes.value.first! == nil)
        #expect(stillOpen.value == false)
    }

    @Test("connecting to a closed port fails with ECONNREFUSED")
    func connectRefused() async throws {
        let loop = try startedLoop()
        defer { loop.shutdown() }
        // Reserve a free port, then close it so nothing listens there. Other suites run in parallel and bind
        // ephemeral ports on 127.0.0.1, which may take this one again: connect on 127.0.0.2, where none listens.
        let port = try await loop.onLoop {
            let listener = try loop.listen(host: "127.0.0.2", port: 0) { _ in }
            listener.close()
            return listener.port
        }
        let outcome = Locked<Result<Int, SocketError>?>(nil)
        try await loop.onLoop {
            loop.connect(host: "127.0.0.2", port: port, timeout: 5) { result in
                outcome.update { $0 = result.map(\.id) }
            }
        }
        #expect(await eventually { outcome.value != nil })
        guard case .failure(let error) = outcome.value else {
            Issue.record("expected a failure, got \(String(describing: outcome.value))")
            return
        }
        #expect(error.errno == ECONNREFUSED)
        #expect(error.isConnectionRefused)
        #expect(error.description.contains("connect"))
        #expect(throws: SocketError.self) { try BlockingSocket.connect(host: "127.0.0.2", port: port, timeout: 2) }
    }

    @Test("a connect that gets no answer fails with ETIMEDOUT after its timeout")
    func connectTimeout() async throws {
        // A raw listener with backlog 0 that never accepts: once its queue is full Linux drops new SYNs,
        // so further connects hang until the client gives up.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        #expect(bound && listen(fd, 0) == 0)
        let port = Int(UInt16(bigEndian: address.sin_port))
        var fillers: [BlockingSocket] = []
        defer { fillers.forEach { $0.close() } }
        while fillers.count < 16, let filler = try? BlockingSocket.connect(host: "127.0.0.1", port: port, timeout: 0.2) {
            fillers.append(filler)
        }
        #expect(fillers.count < 16, "the accept queue never filled up")

        let loop = try startedLoop()
        defer { loop.shutdown() }
        let outcome = Locked<SocketError?>(nil)
        try await loop.onLoop {
            loop.connect(host: "127.0.0.1", port: port, timeout: 0.2) { result in
                if case .failure(let error) = result { outcome.update { $0 = error } }
            }
        }
        #expect(await eventually { outcome.value != nil })
        #expect(outcome.value?.errno == ETIMEDOUT)
    }

    @Test("loop-side connect exchanges lines with a loop-side listener")
    func loopToLoop() async throws {
        let loop = try startedLoop()
        defer { loop.shutdown() }
        let port = try await Self.startLineEchoServer(loop)
        let replies = Locked<[String]>([])
        let peer = Locked("")
        try await loop.onLoop {
            loop.connect(host: "localhost", port: port, timeout: 5) { result in
                guard case .success(let connection) = result else { return }
                peer.update { $0 = connection.peerDescription }
                nonisolated(unsafe) var splitter = LineSplitter()
                connection.onRead = { bytes in replies.update { $0 += splitter.feed(bytes) } }
                for index in 0..<100 { connection.write(Array("ping \(index)\n".utf8)) }
            }
        }
        #expect(await eventually { replies.value.count == 100 })
        #expect(replies.value == (0..<100).map { "ping \($0)" })
        #expect(peer.value == "127.0.0.1:\(port)")
    }

    @Test("200 concurrent connections are served by the single loop thread")
    func manyConnections() async throws {
        let loop = try startedLoop()
        defer { loop.shutdown() }
        let accepted = Locked(0)
        let port = try await Self.startLineEchoServer(loop, accepted: accepted)
        var clients: [BlockingSocket] = []
        for _ in 0..<200 { clients.append(try BlockingSocket.connect(host: "127.0.0.1", port: port, timeout: 5)) }
        for (index, client) in clients.enumerated() { try client.write(Array("hello \(index)\n".utf8)) }
        for (index, client) in clients.enumerated() {
            #expect(try client.readLine(timeout: 10) == "hello \(index)")
        }
        #expect(accepted.value == 200)
        for client in clients { client.close() }
    }

    @Test("pauseReading holds data back; resumeReading re-drains what already arrived")
    func pauseAndResume() async throws {
        let loop = try startedLoop()
        defer { loop.shutdown() }
        let received = Locked(0)
        let server = Locked<TCPConnection?>(nil)
        let port = try await loop.onLoop {
            try loop.listen(host: "127.0.0.1", port: 0) { connection in
                server.update { $0 = connection }
                connection.onRead = { [unowned connection] bytes in
                    received.update { $0 += bytes.count }
                    connection.pauseReading()  // after the very first chunk
                }
            }.port
        }
        let client = try BlockingSocket.connect(host: "127.0.0.1", port: port, timeout: 5)
        try client.write(Array(repeating: 1, count: 1000))
        #expect(await eventually { received.value == 1000 })
        // Everything below arrives while paused: no read callback, and no new edge to rely on later.
        try client.write(Array(repeating: 2, count: 200_000))
        try await Task.sleep(nanoseconds: 200_000_000)
        #expect(received.value == 1000)
        let connection = try #require(server.value)
        var resumes = 0
        while received.value < 201_000 && resumes < 1000 {
            try await loop.onLoop { connection.resumeReading() }  // each resume yields one chunk, then pauses
            resumes += 1
            _ = await eventually(timeout: 1) { received.value > 1000 }
        }
        #expect(received.value == 201_000)
        #expect(resumes > 1)
        client.close()
    }

    @Test("closeAfterFlush delivers everything buffered, then EOF")
    func closeAfterFlush() async throws {
        let loop = try startedLoop()
        defer { loop.shutdown() }
        let payload = patternBytes(2 << 20, seed: 11)
        let closed = Locked(false)
        let port = try await loop.onLoop {
            try loop.listen(host: "127.0.0.1", port: 0) { connection in
                connection.onClose = { _ in closed.update { $0 = true } }
                connection.write(payload)
                connection.closeAfterFlush()
                connection.write([0xFF])  // ignored: the connection is closing
            }.port
        }
        let client = try BlockingSocket.connect(host: "127.0.0.1", port: port, timeout: 5)
        var received: [UInt8] = []
        while true {
            let chunk = try client.read(upTo: 1 << 20, timeout: 10)
            if chunk.isEmpty { break }
            received += chunk
        }
        #expect(received == payload)
        #expect(await eventually { closed.value })
    }

    @Test("BlockingSocket.readLine times out with ETIMEDOUT and reports EOF as nil")
    func blockingReadLine() async throws {
        let loop = try startedLoop()
        defer { loop.shutdown() }
        let server = Locked<TCPConnection?>(nil)
        let port = try await loop.onLoop {
            try loop.listen(host: "localhost", port: 0) { connection in server.update { $0 = connection } }.port
        }
        let client = try BlockingSocket.connect(host: "localhost", port: port, timeout: 5)
        do {
            _ = try client.readLine(timeout: 0.05)
            Issue.record("readLine should have timed out")
        } catch let error as SocketError {
            #expect(error.isTimeout)
        }
        #expect(await eventually { server.value != nil })
        let connection = try #require(server.value)
        try await loop.onLoop {
            connection.write(Array("one\ntwo\nrest".utf8))
            connection.closeAfterFlush()
        }
        #expect(try client.readLine(timeout: 5) == "one")
        #expect(try client.readLine(timeout: 5) == "two")
        #expect(try client.readLine(timeout: 5) == "rest")
        #expect(try client.readLine(timeout: 5) == nil)
    }

    @Test("bad addresses are rejected with a SocketError naming the operation")
    func badAddresses() async throws {
        let loop = try startedLoop()
        defer { loop.shutdown() }
        let error = try await loop.onLoop { () -> SocketError? in
            do {
                _ = try loop.listen(host: "127.0.0.1", port: 70000) { _ in }
                return nil
            } catch let error as SocketError {
                return error
            }
        }
        #expect(error?.errno == EINVAL)
        // A port already in use.
        let taken = try await loop.onLoop { try loop.listen(host: "127.0.0.1", port: 0) { _ in }.port }
        let inUse = try await loop.onLoop { () -> SocketError? in
            do {
                _ = try loop.listen(host: "127.0.0.1", port: taken) { _ in }
                return nil
            } catch let error as SocketError {
                return error
            }
        }
        #expect(inUse?.errno == EADDRINUSE)
    }
}
