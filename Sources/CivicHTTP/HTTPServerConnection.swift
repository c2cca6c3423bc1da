import CivicIO

/// One HTTP connection: parses requests one at a time and writes responses in order.
///
/// Invariant (why `@unchecked Sendable` is sound): touched only on the loop thread. Responders capture
/// it, but `HTTPResponder` hops onto the loop before calling `respond`.
final class HTTPServerConnection: @unchecked Sendable {
    let connection: TCPConnection
    private weak var server: HTTPServer?
    private var parser: HTTPRequestParser
    /// A request was handed to the handler and its response is not written yet.
    private(set) var inFlight = false
    private(set) var lastActivity = MonotonicClock.now()
    /// When the first byte of the request now being read arrived; nil between requests.
    private(set) var requestStartedAt: UInt64?
    /// This connection's share of the server's `unfinishedBytes`.
    private(set) var accountedBytes = 0
    private var peerFinishedSending = false
    /// False after a parse error or a response that ends the connection: nothing more is parsed.
    private var acceptsRequests = true

    init(connection: TCPConnection, server: HTTPServer, maxHeaderBytes: Int, maxBodyBytes: Int) {
        self.connection = connection
        self.server = server
        self.parser = HTTPRequestParser(maxHeaderBytes: maxHeaderBytes, maxBodyBytes: maxBodyBytes)
    }

    /// The streaming response this connection now serves, if any.
    private var stream: HTTPStream?

    func start(onClose: @escaping () -> Void) {
        connection.onRead = { [weak self] bytes in self?.received(bytes) }
        connection.onReadEOF = { [weak self] in self?.peerClosedWriting() }
        connection.onClose = { [weak self] _ in
            self?.stream?.ended()
            onClose()
        }
    }

    private func received(_ bytes: [UInt8]) {
        lastActivity = MonotonicClock.now()
        if requestStartedAt == nil, !inFlight, !bytes.isEmpty { requestStartedAt = lastActivity }
        if let server, server.unfinishedBytes + bytes.count > server.limits.maxUnfinishedBytes {
            server.onLimit?("unfinished HTTP requests hold \(server.unfinishedBytes) bytes, the most this node keeps; refused \(connection.peerDescription)")
            acceptsRequests = false
            connection.write(HTTPResponse.error(503, code: "server_busy", message: "the node holds too many unfinished requests; retry shortly").serialized(keepAlive: false))
            connection.closeAfterFlush()
            return
        }
        parser.append(bytes)
        processNext()
        account()
    }

    /// Keeps the server's total of buffered, unfinished request bytes up to date.
    private func account() {
        guard let server else { return }
        let now = parser.bufferedByteCount
        server.unfinishedBytes += now - accountedBytes
        accountedBytes = now
    }

    /// The request deadline passed: answer 408 and close.
    func timeOut() {
        acceptsRequests = false
        requestStartedAt = nil
        connection.write(HTTPResponse.error(408, code: "request_timeout", message: "the request did not arrive in time").serialized(keepAlive: false))
        connection.closeAfterFlush()
    }

    /// A half-close after the request is legal: answer what is complete, then close.
    private func peerClosedWriting() {
        peerFinishedSending = true
        processNext()
    }

    private func processNext() {
        guard acceptsRequests, !inFlight, connection.isOpen, let server else { return }
        let request: HTTPRequest?
        do {
            request = try parser.next()
        } catch {
            fail(error)
            return
        }
        if parser.takeContinueRequest() {
            connection.write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
        }
        guard var request else {
            if peerFinishedSending { connection.closeAfterFlush() }
            return
        }
        request.source = HTTPServer.sourceHost(connection.peerDescription)
        inFlight = true
        requestStartedAt = nil
        account()
        // One request at a time: further pipelined bytes wait in the kernel until this one is answered.
        connection.pauseReading()
        let keepAlive = request.keepAlive && !server.isClosing
        let includeBody = request.method != "HEAD"
        let responder = HTTPResponder(loop: connection.loop) { [weak self] response in
            self?.respond(response, keepAlive: keepAlive, includeBody: includeBody)
        }
        server.handler(request, responder)
    }

    private func respond(_ response: HTTPResponse, keepAlive: Bool, includeBody: Bool) {
        guard inFlight, connection.isOpen else { return }
        if let streaming = response.streaming {
            // Stays in flight (the idle sweep leaves it alone) and takes no further request.
            acceptsRequests = false
            lastActivity = MonotonicClock.now()
            connection.write(response.streamingHead())
            let stream = HTTPStream(connection: connection, maxBuffered: server?.limits.maxStreamBuffered ?? 1 << 20)
            self.stream = stream
            streaming(stream)
            return
        }
        inFlight = false
        lastActivity = MonotonicClock.now()
        connection.write(response.serialized(keepAlive: keepAlive, includeBody: includeBody))
        if !keepAlive || (peerFinishedSending && parser.bufferedByteCount == 0) {
            acceptsRequests = false
            connection.closeAfterFlush()
            return
        }
        if parser.bufferedByteCount > 0 { requestStartedAt = lastActivity }
        connection.resumeReading()
        // Requests already buffered (pipelined) produce no new read event: parse them explicitly.
        connection.loop.runSoon { [weak self] in self?.processNext() }
    }

    private func fail(_ error: HTTPParseError) {
        acceptsRequests = false
        let response = HTTPResponse.error(error.status, code: "bad_request", message: error.message)
        connection.write(response.serialized(keepAlive: false))
        connection.closeAfterFlush()
    }
}
