import CLinuxShims
import Glibc
import Synchronization

/// A non-blocking TCP stream driven by the event loop: buffered writes, read callbacks, backpressure.
///
/// Invariant (why `@unchecked Sendable` is sound): after creation every member is touched only on the
/// loop thread; the type is Sendable only so that loop jobs (`execute`) may capture it. Other threads
/// should refer to connections by `id` and hop onto the loop.
public final class TCPConnection: @unchecked Sendable, LoopRegistrant {
    private enum State { case open, closingAfterFlush, closed }

    private static let ids = Atomic<Int>(0)
    /// Reads per wakeup before yielding to other sockets (each read is up to 64 KiB).
    private static let readsPerTurn = 16

    public let id: Int
    public let peerDescription: String
    public let loop: EventLoop
    private let fd: Int32
    private var token: UInt64 = 0

    /// Each chunk read; reads continue until EAGAIN (edge-triggered) unless paused from inside the callback.
    public var onRead: (([UInt8]) -> Void)?
    /// Called exactly once: nil for a clean EOF or a close by us, the error otherwise.
    public var onClose: ((SocketError?) -> Void)?
    /// If set, a peer EOF (half-close) calls this instead of closing, so pending replies can still go out.
    public var onReadEOF: (() -> Void)?
    /// Called when buffered output has been fully written to the socket (a good moment to stream more).
    public var onWriteDrained: (() -> Void)?

    private var state = State.open
    private var output: [UInt8] = []
    private var outputOffset = 0
    private var flushScheduled = false
    private var readingPaused = false
    private var sawEndOfFile = false

    /// Wraps a connected non-blocking fd and registers it once for IN|OUT|RDHUP, edge-triggered.
    /// On failure the fd is closed.
    init(loop: EventLoop, fd: Int32, peer: SocketAddress) throws(SocketError) {
        self.loop = loop
        self.fd = fd
        self.id = TCPConnection.ids.add(1, ordering: .relaxed).newValue
        self.peerDescription = peer.description
        RawSocket.setNoDelay(fd)
        do {
            token = try loop.register(fd, events: civic_EPOLLIN | civic_EPOLLOUT | civic_EPOLLRDHUP | civic_EPOLLET, self)
        } catch {
            RawSocket.close(fd)
            throw error
        }
    }

    public var isOpen: Bool { state == .open }
    public var pendingWriteBytes: Int { output.count - outputOffset }
    public var isReadingPaused: Bool { readingPaused }

    /// Buffers `bytes`; they are sent at the end of the loop iteration and then as the socket allows.
    /// Ignored once the connection is closed or closing.
    public func write(_ bytes: [UInt8]) {
        loop.assertInLoop()
        guard state == .open, !bytes.isEmpty else { return }
        if pendingWriteBytes == 0 {
            output = bytes
            outputOffset = 0
        } else {
            output.append(contentsOf: bytes)
        }
        if !flushScheduled {
            flushScheduled = true
            loop.scheduleFlush(self)
        }
    }

    /// Closes now, dropping unsent output. `onClose(nil)` runs before this returns.
    public func close() {
        close(with: nil)
    }

    /// Stops reading, sends what is buffered, then closes.
    public func closeAfterFlush() {
        loop.assertInLoop()
        guard state == .open else { return }
        if pendingWriteBytes == 0 {
            close(with: nil)
        } else {
            state = .closingAfterFlush
            readingPaused = true
        }
    }

    public func pauseReading() {
        loop.assertInLoop()
        readingPaused = true
    }

    /// Resumes reading and re-drains the socket: with edge-triggered epoll no new event arrives
    /// for bytes that came in while paused.
    public func resumeReading() {
        loop.assertInLoop()
        guard state == .open, readingPaused else { return }
        readingPaused = false
        loop.runSoon { [weak self] in self?.readAvailable() }
    }

    // MARK: - Loop callbacks

    func handle(events: UInt32) {
        if events & civic_EPOLLERR != 0 {
            let code = RawSocket.pendingError(fd)
            close(with: SocketError(operation: "socket \(peerDescription)", errno: code == 0 ? ECONNRESET : code))
            return
        }
        if state == .closingAfterFlush, events & civic_EPOLLHUP != 0 {
            close(with: nil)  // the peer is gone: nobody left to flush to
            return
        }
        if events & civic_EPOLLOUT != 0, pendingWriteBytes > 0 { flushNow() }
        if events & (civic_EPOLLIN | civic_EPOLLRDHUP | civic_EPOLLHUP) != 0 { readAvailable() }
    }

    func loopDidStop() {
        // Best effort, one non-blocking attempt: the loop is going away.
        if pendingWriteBytes > 0 {
            _ = output.withUnsafeBytes { RawSocket.send(fd, UnsafeRawBufferPointer(rebasing: $0[outputOffset...])) }
        }
        close(with: nil)
    }

    func flushScheduledWrites() {
        flushScheduled = false
        flushNow()
    }

    // MARK: - Private

    private func readAvailable() {
        var reads = 0
        while state == .open, !readingPaused, !sawEndOfFile {
            switch RawSocket.receive(fd, into: loop.readBuffer) {
            case .transferred(let count):
                let chunk = [UInt8](UnsafeRawBufferPointer(rebasing: loop.readBuffer[0..<count]))
                onRead?(chunk)
                reads += 1
                if reads == TCPConnection.readsPerTurn {
                    // Fairness: finish later this iteration so one busy peer cannot starve the others.
                    loop.runSoon { [weak self] in self?.readAvailable() }
                    return
                }
            case .wouldBlock:
                return
            case .endOfFile:
                sawEndOfFile = true
                if let onReadEOF { onReadEOF() } else { close(with: nil) }
                return
            case .failed(let error):
                close(with: error)
                return
            }
        }
    }

    private func flushNow() {
        guard state != .closed, pendingWriteBytes > 0 else { return }
        while outputOffset < output.count {
            let result = output.withUnsafeBytes { RawSocket.send(fd, UnsafeRawBufferPointer(rebasing: $0[outputOffset...])) }
            switch result {
            case .transferred(let count):
                outputOffset += count
            case .wouldBlock:
                // Wait for the EPOLLOUT edge; drop the sent prefix so the buffer does not grow without bound.
                if outputOffset >= 1 << 20 || outputOffset * 2 >= output.count {
                    output.removeFirst(outputOffset)
                    outputOffset = 0
                }
                return
            case .endOfFile:
                return
            case .failed(let error):
                close(with: error)
                return
            }
        }
        output.removeAll(keepingCapacity: output.capacity <= 64 * 1024)
        outputOffset = 0
        if state == .closingAfterFlush {
            close(with: nil)
        } else {
            onWriteDrained?()
        }
    }

    private func close(with error: SocketError?) {
        loop.assertInLoop()
        guard state != .closed else { return }
        state = .closed
        loop.unregisterAndClose(fd, token: token)
        output = []
        outputOffset = 0
        let callback = onClose
        // Dropping the callbacks breaks the usual connection ↔ owner retain cycles.
        onRead = nil
        onClose = nil
        onReadEOF = nil
        onWriteDrained = nil
        callback?(error)
    }
}
