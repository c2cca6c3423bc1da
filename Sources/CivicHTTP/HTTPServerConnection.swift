import CivicIO

/// One HTTP connection: parses requests and writes their responses in the order the requests came.
///
/// Pipelined writes (POST, PUT, PATCH, DELETE) are handed to the handler together, up to `maxPipelined` at once,
/// so a client's pipelined intakes reach the store's group commit in one batch instead of one per round trip;
/// each answer waits in `pending` until those before it are written. A read (GET, HEAD, anything else) is handed
/// on only when nothing is in flight and takes nothing after it until it is answered: a read may turn into a
/// stream (server-sent events), which takes the connection for good. The handler is called in request order,
/// and the store's writer runs operations in the order they are handed to it.
///
/// Invariant (why `@unchecked Sendable` is sound): touched only on the loop thread. Responders capture
/// it, but `HTTPResponder` hops onto the loop before calling `respond`.
final class HTTPServerConnection: @unchecked Sendable {
    let connection: TCPConnection
    private weak var server: HTTPServer?
    private var parser: HTTPRequestParser
    /// Writes handed to the handler at once on one connection, at most.
    static let maxPipelined = 16

    /// A request handed to the handler, in request order, with its response once the handler has sent it.
    private struct Pending {
        let id: Int
        let keepAlive: Bool
        let includeBody: Bool
        /// Whether requests after it may be handed on before it is answered (a write, not a read).
        let overlaps: Bool
        var response: HTTPResponse?
    }
    private var pending: [Pending] = []
    private var nextPendingId = 0
    /// A read parsed while writes were in flight: handed on when they are all answered.
    private var held: HTTPRequest?
    /// After a request that ends the connection ("Connection: close", or a drain), nothing more is handed on.
    private var handsOnRequests = true
    private var readingPaused = false
    /// Requests were handed to the handler and not all their responses are written yet, or a stream holds the
    /// connection (the idle sweep leaves both alone).
    var inFlight: Bool { !pending.isEmpty || stream != nil }
    /// Nothing more can be handed on now: a read is in flight or held, or the pipeline holds its most.
    private var pipelineFull: Bool {
        held != nil || (pending.last.map { !$0.overlaps || pending.count >= Self.maxPipelined } ?? false)
    }
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
            end(with: HTTPResponse.error(503, code: "server_busy", message: "the node holds too many unfinished requests; retry shortly"))
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
        while acceptsRequests, handsOnRequests, connection.isOpen, let server {
            if let last = pending.last, !last.overlaps || pending.count >= Self.maxPipelined { break }
            let request: HTTPRequest
            if let waiting = held {
                guard pending.isEmpty else { break }
                request = waiting
                held = nil
            } else {
                let parsed: HTTPRequest?
                do {
                    parsed = try parser.next()
                } catch {
                    // Answers already due go out first; the error answer then ends the connection.
                    end(with: HTTPResponse.error(error.status, code: "bad_request", message: error.message))
                    return
                }
                // "100 Continue" is an interim answer: only while no earlier answer is still to come.
                if pending.isEmpty, parser.takeContinueRequest() {
                    connection.write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
                }
                guard var next = parsed else {
                    if peerFinishedSending, pending.isEmpty { connection.closeAfterFlush() }
                    break
                }
                next.source = HTTPServer.sourceHost(connection.peerDescription)
                requestStartedAt = nil
                account()
                if !pending.isEmpty, !Self.overlaps(next) {
                    held = next
                    break
                }
                request = next
            }
            hand(request, to: server)
        }
        pauseOrResumeReading()
    }

    /// Writes may overlap in flight; reads (which may become a stream) go one at a time.
    private static func overlaps(_ request: HTTPRequest) -> Bool {
        switch request.method {
        case "POST", "PUT", "PATCH", "DELETE": return true
        default: return false
        }
    }

    private func hand(_ request: HTTPRequest, to server: HTTPServer) {
        let keepAlive = request.keepAlive && !server.isClosing
        let id = nextPendingId
        nextPendingId += 1
        pending.append(Pending(id: id, keepAlive: keepAlive, includeBody: request.method != "HEAD", overlaps: Self.overlaps(request)))
        if !keepAlive { handsOnRequests = false }
        let responder = HTTPResponder(loop: connection.loop) { [weak self] response in self?.respond(response, to: id) }
        server.handler(request, responder)
    }

    /// Further pipelined bytes wait in the kernel while nothing more can be handed on.
    private func pauseOrResumeReading() {
        if pipelineFull, !readingPaused {
            connection.pauseReading()
            readingPaused = true
        } else if !pipelineFull, readingPaused {
            connection.resumeReading()
            readingPaused = false
        }
    }

    /// An answer that ends the connection (a parse error, the node too busy), held while answers due before it
    /// are still to come: it goes out after them, never ahead of them.
    private var lastAnswer: HTTPResponse?

    private func end(with response: HTTPResponse) {
        acceptsRequests = false
        guard pending.isEmpty else {
            lastAnswer = response
            return
        }
        connection.write(response.serialized(keepAlive: false))
        connection.closeAfterFlush()
    }

    private func respond(_ response: HTTPResponse, to id: Int) {
        guard connection.isOpen, let index = pending.firstIndex(where: { $0.id == id }), pending[index].response == nil else { return }
        pending[index].response = response
        lastActivity = MonotonicClock.now()
        while let head = pending.first, let ready = head.response {
            pending.removeFirst()
            if let streaming = ready.streaming {
                // Takes no further request. Only a read streams, and nothing is handed on behind a read.
                acceptsRequests = false
                connection.write(ready.streamingHead())
                let stream = HTTPStream(connection: connection, maxBuffered: server?.limits.maxStreamBuffered ?? 1 << 20)
                self.stream = stream
                streaming(stream)
                return
            }
            connection.write(ready.serialized(keepAlive: head.keepAlive, includeBody: head.includeBody))
            if !head.keepAlive {
                acceptsRequests = false
                pending.removeAll()
                connection.closeAfterFlush()
                return
            }
        }
        if pending.isEmpty {
            if let last = lastAnswer {
                lastAnswer = nil
                end(with: last)
                return
            }
            if peerFinishedSending && parser.bufferedByteCount == 0 && held == nil {
                acceptsRequests = false
                connection.closeAfterFlush()
                return
            }
            if parser.bufferedByteCount > 0 || held != nil { requestStartedAt = lastActivity }
        }
        // Room in the pipeline again, or a held read may go: requests already buffered produce no new read
        // event, so parse them explicitly.
        connection.loop.runSoon { [weak self] in self?.processNext() }
    }
}
