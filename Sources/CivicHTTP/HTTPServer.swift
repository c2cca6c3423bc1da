import CivicIO

/// HTTP/1.1 server on an event loop: keep-alive, one request at a time per connection, idle timeout.
///
/// Invariant (why `@unchecked Sendable` is sound): `port`, `loop` and `idleTimeout` are immutable;
/// everything else is touched only on the loop thread (`close()` hops there).
public final class HTTPServer: @unchecked Sendable {
    public let loop: EventLoop
    public let port: Int
    public let idleTimeout: Double
    let handler: (HTTPRequest, HTTPResponder) -> Void
    private let maxHeaderBytes: Int
    private let maxBodyBytes: Int
    private var listener: TCPListener?
    private var connections: [Int: HTTPServerConnection] = [:]
    private var sweepTimer: TimerHandle?
    private(set) var isClosing = false

    /// Must be called on the loop thread; `handler` runs on the loop thread and must answer through the
    /// responder exactly once (from any thread, possibly later).
    public init(loop: EventLoop, host: String, port: Int, idleTimeout: Double = 30,
                maxHeaderBytes: Int = 16384, maxBodyBytes: Int = 1 << 20,
                handler: @escaping (HTTPRequest, HTTPResponder) -> Void) throws {
        loop.assertInLoop()
        self.loop = loop
        self.idleTimeout = idleTimeout
        self.handler = handler
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
        var accepted: ((TCPConnection) -> Void)?
        let listener = try loop.listen(host: host, port: port) { connection in accepted?(connection) }
        self.listener = listener
        self.port = listener.port
        // Strong on purpose: the server runs until close() or the loop stops, both of which drop this closure.
        accepted = { connection in self.accept(connection) }
        // One periodic sweep instead of a timer per connection.
        let interval = max(0.05, min(1.0, idleTimeout / 4))
        sweepTimer = loop.scheduleTimer(after: interval, repeating: interval) { [weak self] in self?.closeIdleConnections() }
    }

    /// Open connections. Loop thread only.
    public var connectionCount: Int { connections.count }

    /// Stops listening and closes every connection (in-flight responses are dropped). Thread-safe, idempotent.
    public func close() {
        guard loop.isInLoopThread else {
            loop.execute { [self] in close() }
            return
        }
        guard !isClosing else { return }
        isClosing = true
        listener?.close()
        listener = nil
        if let sweepTimer { loop.cancelTimer(sweepTimer) }
        for connection in connections.values { connection.connection.close() }
        connections.removeAll()
    }

    private func accept(_ connection: TCPConnection) {
        guard !isClosing else {
            connection.close()
            return
        }
        let serverConnection = HTTPServerConnection(connection: connection, server: self,
                                                    maxHeaderBytes: maxHeaderBytes, maxBodyBytes: maxBodyBytes)
        let id = connection.id
        connections[id] = serverConnection
        serverConnection.start { [weak self] in self?.connections[id] = nil }
    }

    /// Connections waiting on the handler are exempt: the application owns that wait.
    private func closeIdleConnections() {
        let limit = MonotonicClock.nanoseconds(idleTimeout)
        let now = MonotonicClock.now()
        let idle = connections.values.filter { !$0.inFlight && now - min(now, $0.lastActivity) > limit }
        for connection in idle { connection.connection.close() }
    }
}
