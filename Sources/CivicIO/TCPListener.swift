import CLinuxShims
import Glibc

/// A listening socket on the loop; accepts until EAGAIN on every edge.
///
/// Invariant (why `@unchecked Sendable` is sound): `port` is immutable; everything else is touched
/// only on the loop thread.
public final class TCPListener: @unchecked Sendable, LoopRegistrant {
    public let port: Int
    public let host: String
    public let loop: EventLoop
    private let fd: Int32
    private var token: UInt64 = 0
    private var onAccept: ((TCPConnection) -> Void)?
    private var retryTimer: TimerHandle?
    /// Told when accepting fails for want of resources (EMFILE, ENFILE, ENOBUFS): the owner logs it.
    public var onAcceptFailure: ((SocketError) -> Void)?

    init(loop: EventLoop, host: String, port: Int, backlog: Int32, onAccept: @escaping (TCPConnection) -> Void) throws(SocketError) {
        let address = try SocketAddress.resolve(host: host, port: port)
        let fd = try RawSocket.makeTCP(nonblocking: true)
        do {
            try RawSocket.setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR")
            try RawSocket.bind(fd, address)
            try RawSocket.listen(fd, backlog: backlog, address)
            self.port = Int(try RawSocket.localAddress(fd).port)
        } catch {
            RawSocket.close(fd)
            throw error
        }
        self.host = host
        self.loop = loop
        self.fd = fd
        self.onAccept = onAccept
        do {
            token = try loop.register(fd, events: civic_EPOLLIN | civic_EPOLLET, self)
        } catch {
            RawSocket.close(fd)
            throw error
        }
    }

    public var isOpen: Bool { onAccept != nil }

    /// Stops listening; connections already accepted stay open. Idempotent. Loop thread only.
    public func close() {
        loop.assertInLoop()
        guard onAccept != nil else { return }
        onAccept = nil
        if let retryTimer { loop.cancelTimer(retryTimer) }
        loop.unregisterAndClose(fd, token: token)
    }

    func handle(events: UInt32) {
        acceptAvailable()
    }

    func loopDidStop() {
        close()
    }

    private func acceptAvailable() {
        while let onAccept {
            switch RawSocket.accept(fd) {
            case .accepted(let client, let peer):
                guard let connection = try? TCPConnection(loop: loop, fd: client, peer: peer) else { continue }
                onAccept(connection)
            case .transient:
                continue
            case .wouldBlock:
                return
            case .failed(let error):
                onAcceptFailure?(error)
                // EMFILE/ENFILE/ENOBUFS: the pending connections stay queued but no new edge will come
                // for them (edge-triggered), so poll again shortly instead of waiting for the next client.
                guard retryTimer == nil else { return }
                retryTimer = loop.scheduleTimer(after: 0.1) { [weak self] in
                    self?.retryTimer = nil
                    self?.acceptAvailable()
                }
                return
            }
        }
    }
}

extension EventLoop {
    /// Listens on host:port (port 0 picks a free port, see `TCPListener.port`). Loop thread only.
    public func listen(host: String, port: Int, backlog: Int32 = 512,
                       onAccept: @escaping (TCPConnection) -> Void) throws -> TCPListener {
        assertInLoop()
        return try TCPListener(loop: self, host: host, port: port, backlog: backlog, onAccept: onAccept)
    }
}
