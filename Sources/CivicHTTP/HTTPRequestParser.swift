/// Incremental, sans-IO HTTP/1.x request parser: append bytes as they arrive, call `next()` until nil.
/// Handles pipelining (bytes after one request stay buffered for the next) and Content-Length bodies.
/// After an error the parser stays failed: the connection must be answered and closed.
public struct HTTPRequestParser {
    public let maxHeaderBytes: Int
    public let maxBodyBytes: Int

    private var buffer: [UInt8] = []
    private var offset = 0
    /// Where the search for the blank line resumes, so byte-at-a-time input stays linear.
    private var scanOffset = 0
    private var pendingHead: HTTPRequestHead?
    private var failure: HTTPParseError?
    private var continueRequested = false

    public init(maxHeaderBytes: Int = 16384, maxBodyBytes: Int = 1 << 20) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
    }

    /// Bytes received but not yet consumed by a returned request.
    public var bufferedByteCount: Int { buffer.count - offset }

    public mutating func append(_ bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
    }

    /// True once after a head with "Expect: 100-continue" whose body has not fully arrived:
    /// the server should send "100 Continue" so the client sends the body.
    public mutating func takeContinueRequest() -> Bool {
        defer { continueRequested = false }
        return continueRequested
    }

    /// The next complete request, nil if more bytes are needed.
    public mutating func next() throws(HTTPParseError) -> HTTPRequest? {
        if let failure { throw failure }
        do {
            return try parseNext()
        } catch {
            failure = error
            throw error
        }
    }

    private mutating func parseNext() throws(HTTPParseError) -> HTTPRequest? {
        if pendingHead == nil {
            skipLeadingBlankLines()
            guard let headEnd = findHeadEnd() else {
                if bufferedByteCount > maxHeaderBytes { throw tooLargeHead() }
                return nil
            }
            guard headEnd - offset <= maxHeaderBytes else { throw tooLargeHead() }
            let head = try HTTPRequestHead.parse(buffer[offset..<headEnd], maxBodyBytes: maxBodyBytes)
            offset = headEnd
            pendingHead = head
            if head.expectsContinue, bufferedByteCount < head.contentLength { continueRequested = true }
        }
        guard let head = pendingHead, bufferedByteCount >= head.contentLength else { return nil }
        let body = Array(buffer[offset..<offset + head.contentLength])
        offset += head.contentLength
        pendingHead = nil
        compact()
        return HTTPRequest(method: head.method, target: head.target, headers: head.headers, body: body,
                           version: head.version)
    }

    private func tooLargeHead() -> HTTPParseError {
        HTTPParseError(status: 431, message: "request header section exceeds \(maxHeaderBytes) bytes")
    }

    /// RFC 9112 §2.2: ignore at least one empty line received before the request-line.
    private mutating func skipLeadingBlankLines() {
        while offset < buffer.count, buffer[offset] == UInt8(ascii: "\r") || buffer[offset] == UInt8(ascii: "\n") {
            offset += 1
        }
        scanOffset = max(scanOffset, offset)
    }

    /// Index just past the blank line ending the head ("\n\n" or "\n\r\n"), or nil if not there yet.
    private mutating func findHeadEnd() -> Int? {
        let newline = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")
        var index = scanOffset
        while index < buffer.count {
            if buffer[index] == newline {
                let next = index + 1
                if next == buffer.count { break }
                if buffer[next] == newline { return next + 1 }
                if buffer[next] == carriageReturn {
                    if next + 1 == buffer.count { break }
                    if buffer[next + 1] == newline { return next + 2 }
                }
            }
            index += 1
        }
        scanOffset = index  // resume at the undecided newline, if any
        return nil
    }

    private mutating func compact() {
        if offset == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 64 * 1024)
            offset = 0
        } else if offset > 64 * 1024 {
            buffer.removeFirst(offset)
            offset = 0
        }
        scanOffset = offset
    }
}
