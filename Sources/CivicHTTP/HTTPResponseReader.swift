import CivicIO

/// Reads one response from a blocking socket: status line, headers, then a Content-Length, chunked or
/// read-until-close body. Skips interim 1xx responses.
struct HTTPResponseReader {
    let socket: BlockingSocket
    let deadline: UInt64
    private var buffer: [UInt8] = []

    init(socket: BlockingSocket, deadline: UInt64) {
        self.socket = socket
        self.deadline = deadline
    }

    mutating func readResponse(method: String) throws -> HTTPClientResponse {
        while true {
            let (status, headers) = try readHead()
            if (100...199).contains(status) { continue }
            if method == "HEAD" || status == 204 || status == 304 {
                return HTTPClientResponse(status: status, headers: headers, body: [])
            }
            let body: [UInt8]
            if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
                body = try readChunked()
            } else if let lengthText = headers["content-length"] {
                guard let length = Int(lengthText), length >= 0 else {
                    throw HTTPClientError("invalid Content-Length \(lengthText)")
                }
                body = try readExactly(length)
            } else {
                body = try readToEnd()
            }
            return HTTPClientResponse(status: status, headers: headers, body: body)
        }
    }

    private mutating func readHead() throws -> (Int, [String: String]) {
        let statusLine = try readLine()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw HTTPClientError("malformed status line: \(statusLine)")
        }
        var headers: [String: String] = [:]
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { throw HTTPClientError("malformed header: \(line)") }
            let name = line[..<colon].lowercased()
            let value = HTTPTarget.trimWhitespace(line[line.index(after: colon)...])
            headers[name] = headers[name].map { "\($0), \(value)" } ?? value
        }
        return (status, headers)
    }

    private mutating func readChunked() throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let sizeLine = try readLine()
            let sizeText = sizeLine.split(separator: ";").first.map { HTTPTarget.trimWhitespace($0) } ?? ""
            guard let size = Int(sizeText, radix: 16), size >= 0 else { throw HTTPClientError("bad chunk size \(sizeLine)") }
            if size == 0 {
                while try !readLine().isEmpty {}  // trailer section
                return body
            }
            body += try readExactly(size)
            guard try readLine().isEmpty else { throw HTTPClientError("missing CRLF after chunk") }
        }
    }

    /// One line without CRLF; throws at EOF.
    private mutating func readLine() throws -> String {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                var line = buffer[..<newline]
                if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
                let text = String(decoding: line, as: UTF8.self)
                buffer.removeFirst(newline + 1)
                return text
            }
            guard try fill() else { throw HTTPClientError("connection closed in the middle of the response head") }
        }
    }

    private mutating func readExactly(_ count: Int) throws -> [UInt8] {
        while buffer.count < count {
            guard try fill() else { throw HTTPClientError("connection closed after \(buffer.count) of \(count) body bytes") }
        }
        let bytes = Array(buffer[..<count])
        buffer.removeFirst(count)
        return bytes
    }

    private mutating func readToEnd() throws -> [UInt8] {
        while try fill() {}
        defer { buffer.removeAll() }
        return buffer
    }

    /// Appends received bytes; false at EOF.
    private mutating func fill() throws -> Bool {
        let now = MonotonicClock.now()
        guard deadline > now else { throw SocketError.timedOut("HTTP response from \(socket.peerDescription)") }
        let chunk = try socket.read(upTo: 64 * 1024, timeout: Double(deadline - now) / 1e9)
        buffer += chunk
        return !chunk.isEmpty
    }
}
