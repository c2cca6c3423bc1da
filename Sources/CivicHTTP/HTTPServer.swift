import CivicIO

/// What one server lets its clients hold, so that no client (or a crowd of slow ones) can stop it serving others.
public struct HTTPServerLimits: Sendable {
    /// A keep-alive connection with nothing in progress is closed after this many seconds.
    public var idleTimeout: Double = 30
    /// A request's head and body must arrive within this many seconds of its first byte (else `408`): one byte
    /// every few seconds no longer keeps a connection forever.
    public var requestTimeout: Double = 15
    /// Open connections in all; more are answered `503` and closed. Keep it below the process's fd limit.
    public var maxConnections = 1024
    /// Open connections from one source address.
    public var maxConnectionsPerSource = 128
    /// Bytes held in all requests not yet complete; a request that would pass it is answered `503`.
    public var maxUnfinishedBytes = 64 << 20
    /// Bytes a streaming response (server-sent events) may have waiting for a slow client before it is dropped.
    public var maxStreamBuffered = 1 << 20
    public init() {}
}

/// HTTP/1.1 server on an event loop: keep-alive, pipelined writes in flight together and answered in order
/// (`HTTPServerConnection`), reads one at a time, idle and request deadlines, connection and buffer caps
/// (HTTPServerLimits).
///
/// Invariant (why `@unchecked Sendable` is sound): `port`, `loop` and `idleTimeout` are immutable;
/// everything else is touched only on the loop thread (`close()` hops there).
public final class HTTPServer: @unchecked Sendable {
    public let loop: EventLoop
    public let port: Int
    public let idleTimeout: Double
    public let limits: HTTPServerLimits
    /// Told (on the loop) when a limit turns a client away: the owner logs it, rate-limited.
    public var onLimit: ((String) -> Void)?
    let handler: (HTTPRequest, HTTPResponder) -> Void
    private let maxHeaderBytes: Int
    private let maxBodyBytes: Int
    private var listener: TCPListener?
    private var connections: [Int: HTTPServerConnection] = [:]
    private var perSource: [String: Int] = [:]
    /// Bytes buffered in requests not yet complete, over all connections.
    var unfinishedBytes = 0
    private var sweepTimer: TimerHandle?
    private(set) var isClosing = false

    /// Must be called on the loop thread; `handler` runs on the loop thread and must answer through the
    /// responder exactly once (from any thread, possibly later).
    public init(loop: EventLoop, host: String, port: Int, idleTimeout: Double = 30,
                maxHeaderBytes: Int = 16384, maxBodyBytes: Int = 1 << 20, limits: HTTPServerLimits? = nil,
                handler: @escaping (HTTPRequest, HTTPResponder) -> Void) throws {
        loop.assertInLoop()
        self.loop = loop
        var limits = limits ?? HTTPServerLimits()
        if limits.idleTimeout == HTTPServerLimits().idleTimeout { limits.idleTimeout = idleTimeout }
        self.limits = limits
        self.idleTimeout = limits.idleTimeout
        self.handler = handler
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
        var accepted: ((TCPConnection) -> Void)?
        let listener = try loop.listen(host: host, port: port) { connection in accepted?(connection) }
        self.listener = listener
        self.port = listener.port
        listener.onAcceptFailure = { [weak self] error in self?.onLimit?("cannot accept HTTP connections: \(error) (out of file descriptors?)") }
        // Strong on purpose: the server runs until close() or the loop stops, both of which drop this closure.
        accepted = { connection in self.accept(connection) }
        // One periodic sweep instead of a timer per connection.
        let interval = max(0.05, min(1.0, min(limits.idleTimeout, limits.requestTimeout) / 4))
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
        perSource.removeAll()
    }

    private func accept(_ connection: TCPConnection) {
        guard !isClosing else {
            connection.close()
            return
        }
        let source = Self.sourceHost(connection.peerDescription)
        if connections.count >= limits.maxConnections {
            return turnAway(connection, "\(connections.count) HTTP connections are open, the most this node takes (max_connections); refused \(connection.peerDescription)")
        }
        if perSource[source, default: 0] >= limits.maxConnectionsPerSource {
            return turnAway(connection, "\(source) already has \(limits.maxConnectionsPerSource) HTTP connections open (the most per source); refused another")
        }
        let serverConnection = HTTPServerConnection(connection: connection, server: self,
                                                    maxHeaderBytes: maxHeaderBytes, maxBodyBytes: maxBodyBytes)
        let id = connection.id
        connections[id] = serverConnection
        perSource[source, default: 0] += 1
        serverConnection.start { [weak self] in
            guard let self, let closed = self.connections.removeValue(forKey: id) else { return }
            self.unfinishedBytes -= closed.accountedBytes
            let left = (self.perSource[source] ?? 1) - 1
            self.perSource[source] = left > 0 ? left : nil
        }
    }

    private func turnAway(_ connection: TCPConnection, _ why: String) {
        onLimit?(why)
        let response = HTTPResponse.error(503, code: "too_many_connections", message: why)
        connection.write(response.serialized(keepAlive: false))
        connection.closeAfterFlush()
    }

    /// "1.2.3.4:5678" → "1.2.3.4", "[::1]:80" → "[::1]".
    static func sourceHost(_ peer: String) -> String {
        guard let colon = peer.lastIndex(of: ":") else { return peer }
        return String(peer[..<colon])
    }

    /// Connections waiting on the handler are exempt: the application owns that wait.
    private func closeIdleConnections() {
        let idleLimit = MonotonicClock.nanoseconds(limits.idleTimeout)
        let requestLimit = MonotonicClock.nanoseconds(limits.requestTimeout)
        let now = MonotonicClock.now()
        for connection in connections.values where !connection.inFlight {
            if let started = connection.requestStartedAt {
                if now - min(now, started) > requestLimit {
                    onLimit?("request from \(connection.connection.peerDescription) not complete after \(Int(limits.requestTimeout))s: 408, closed")
                    connection.timeOut()
                }
            } else if now - min(now, connection.lastActivity) > idleLimit {
                connection.connection.close()
            }
        }
    }
}
