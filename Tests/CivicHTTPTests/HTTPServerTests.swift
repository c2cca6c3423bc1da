import CivicHTTP
import CivicIO
import Dispatch
import Foundation
import Testing

@Suite("HTTPServer and HTTPClient")
struct HTTPServerTests {
    /// Echoes method, path, query and body back as JSON-ish text; counts handler calls per connection.
    static let echo: @Sendable (HTTPRequest, HTTPResponder) -> Void = { request, responder in
        let query = request.query.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
        responder.send(.text(200, "\(request.method) \(request.path) \(query) \(request.bodyText)"))
    }

    @Test("GET and POST round trips through HTTPClient")
    func roundTrip() async throws {
        let fixture = try await ServerFixture.start(handler: Self.echo)
        defer { fixture.shutdown() }
        let get = try HTTPClient.send(method: "GET", url: fixture.base + "/status?x=1")
        #expect(get.status == 200)
        #expect(get.text == "GET /status x=1 ")
        #expect(get.headers["content-type"] == "text/plain; charset=utf-8")
        #expect(get.headers["connection"] == "close")
        let post = try HTTPClient.send(method: "POST", url: fixture.base + "/cases", body: Array(#"{"a":1}"#.utf8),
                                       headers: ["Content-Type": "application/json"])
        #expect(post.text == #"POST /cases  {"a":1}"#)
        let big = String(repeating: "z", count: 200_000)
        #expect(try HTTPClient.send(method: "PUT", url: fixture.base + "/big", body: Array(big.utf8)).text == "PUT /big  \(big)")
    }

    @Test("keep-alive: two sequential requests, then two pipelined ones, on one connection")
    func keepAlive() async throws {
        let fixture = try await ServerFixture.start(handler: Self.echo)
        defer { fixture.shutdown() }
        let socket = try BlockingSocket.connect(host: "127.0.0.1", port: fixture.server.port, timeout: 5)
        defer { socket.close() }
        try socket.write("GET /one HTTP/1.1\r\nHost: t\r\n\r\n")
        let first = try readRawResponse(socket)
        #expect(first.0 == "HTTP/1.1 200 OK")
        #expect(first.1["connection"] == "keep-alive")
        #expect(first.2 == "GET /one  ")
        try socket.write("POST /two HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc")
        #expect(try readRawResponse(socket).2 == "POST /two  abc")
        try socket.write("GET /three HTTP/1.1\r\n\r\nGET /four HTTP/1.1\r\nConnection: close\r\n\r\n")
        #expect(try readRawResponse(socket).2 == "GET /three  ")
        let last = try readRawResponse(socket)
        #expect(last.2 == "GET /four  ")
        #expect(last.1["connection"] == "close")
        #expect(try socket.read(upTo: 1, timeout: 5) == [])  // server closed after "Connection: close"
    }

    @Test("a response sent later from another thread reaches the client; one request at a time")
    func responseFromAnotherThread() async throws {
        let concurrent = Locked(0)
        let maxConcurrent = Locked(0)
        let fixture = try await ServerFixture.start { request, responder in
            let now = concurrent.update { $0 += 1; return $0 }
            maxConcurrent.update { $0 = max($0, now) }
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.03) {
                concurrent.update { $0 -= 1 }
                responder.send(.json(202, Array(#"{"path":"\#(request.path)"}"#.utf8)))
                responder.send(.text(500, "second send is ignored"))
            }
        }
        defer { fixture.shutdown() }
        let socket = try BlockingSocket.connect(host: "127.0.0.1", port: fixture.server.port, timeout: 5)
        defer { socket.close() }
        try socket.write("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\nGET /c HTTP/1.1\r\n\r\n")
        for path in ["/a", "/b", "/c"] {
            let response = try readRawResponse(socket)
            #expect(response.0 == "HTTP/1.1 202 Accepted")
            #expect(response.2 == #"{"path":"\#(path)"}"#)
        }
        #expect(maxConcurrent.value == 1)
    }

    @Test("a parse error gets its status, a JSON error body, and a close", arguments: [
        ("BLAH\r\n\r\n", 400),
        ("GET / HTTP/3.0\r\n\r\n", 505),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
        ("POST / HTTP/1.1\r\nContent-Length: 5000\r\n\r\n", 413),
    ])
    func parseErrors(input: String, status: Int) async throws {
        let handled = Locked(0)
        let fixture = try await ServerFixture.start(maxBodyBytes: 1000) { _, responder in
            handled.update { $0 += 1 }
            responder.send(.text(200, "unexpected"))
        }
        defer { fixture.shutdown() }
        let socket = try BlockingSocket.connect(host: "127.0.0.1", port: fixture.server.port, timeout: 5)
        defer { socket.close() }
        try socket.write(input)
        let response = try readRawResponse(socket)
        #expect(response.0.hasPrefix("HTTP/1.1 \(status) "))
        #expect(response.1["connection"] == "close")
        #expect(response.2.hasPrefix(#"{"error":{"code":"bad_request","message":""#))
        #expect(try socket.read(upTo: 1, timeout: 5) == [])
        #expect(handled.value == 0)
    }

    @Test("an oversized header section gets 431")
    func headersTooLarge() async throws {
        let fixture = try await ServerFixture.start(handler: Self.echo)
        defer { fixture.shutdown() }
        let socket = try BlockingSocket.connect(host: "127.0.0.1", port: fixture.server.port, timeout: 5)
        defer { socket.close() }
        try socket.write("GET / HTTP/1.1\r\nX-Big: " + String(repeating: "b", count: 20_000) + "\r\n\r\n")
        #expect(try readRawResponse(socket).0 == "HTTP/1.1 431 Request Header Fields Too Large")
    }

    @Test("HTTP/1.0 without keep-alive is closed after the response; HEAD has no body")
    func http10AndHead() async throws {
        let fixture = try await ServerFixture.start(handler: Self.echo)
        defer { fixture.shutdown() }
        let socket = try BlockingSocket.connect(host: "127.0.0.1", port: fixture.server.port, timeout: 5)
        defer { socket.close() }
        try socket.write("HEAD /h HTTP/1.0\r\n\r\n")
        let head = try requireLine(socket)
        #expect(head == "HTTP/1.1 200 OK")
        var lines: [String] = []
        while let line = try socket.readLine(timeout: 5) { lines.append(line) }
        #expect(lines.contains("Content-Length: 9\r"))  // the length of "HEAD /h  ", whose bytes are omitted
        #expect(lines.last == "\r")  // nothing after the blank line
    }

    @Test("idle keep-alive connections are closed by the sweep")
    func idleTimeout() async throws {
        let fixture = try await ServerFixture.start(idleTimeout: 0.2, handler: Self.echo)
        defer { fixture.shutdown() }
        let socket = try BlockingSocket.connect(host: "127.0.0.1", port: fixture.server.port, timeout: 5)
        defer { socket.close() }
        try socket.write("GET / HTTP/1.1\r\n\r\n")
        _ = try readRawResponse(socket)
        #expect(try socket.read(upTo: 1, timeout: 10) == [])  // EOF from the server, not a timeout error
        let open = try await fixture.loop.onLoop { fixture.server.connectionCount }
        #expect(open == 0)
    }

    @Test("a client half-close after the request still gets the response")
    func halfClose() async throws {
        let fixture = try await ServerFixture.start(handler: Self.echo)
        defer { fixture.shutdown() }
        let socket = try BlockingSocket.connect(host: "127.0.0.1", port: fixture.server.port, timeout: 5)
        defer { socket.close() }
        try socket.write("GET /bye HTTP/1.1\r\n\r\n")
        socket.shutdownWrite()
        #expect(try readRawResponse(socket).2 == "GET /bye  ")
        #expect(try socket.read(upTo: 1, timeout: 5) == [])
    }

    @Test("HTTPClient decodes chunked responses and reports bad URLs and refused connections")
    func clientEdgeCases() async throws {
        let loop = try EventLoop(name: "raw-server")
        loop.startThread()
        defer {
            loop.stop()
            _ = loop.waitUntilStopped(timeout: 10)
        }
        let port = try await loop.onLoop {
            try loop.listen(host: "127.0.0.1", port: 0) { connection in
                connection.onRead = { [unowned connection] _ in
                    connection.write(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Multi: a\r\nx-multi: b\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n".utf8))
                    connection.closeAfterFlush()
                }
            }.port
        }
        let response = try HTTPClient.send(method: "GET", url: "http://127.0.0.1:\(port)/")
        #expect(response.text == "hello, world")
        #expect(response.headers["x-multi"] == "a, b")
        #expect(throws: HTTPClientError.self) { try HTTPClient.send(method: "GET", url: "https://example.com/") }
        let closedPort = try await loop.onLoop { () -> Int in
            let listener = try loop.listen(host: "127.0.0.1", port: 0) { _ in }
            listener.close()
            return listener.port
        }
        #expect(throws: SocketError.self) { try HTTPClient.send(method: "GET", url: "http://127.0.0.1:\(closedPort)/") }
    }

    @Test("a stream holds its connection past the idle timeout: the sweep closes idle connections, not streams")
    func aStreamOutlivesTheIdleSweep() async throws {
        let loop = Locked<EventLoop?>(nil)
        let fixture = try await ServerFixture.start(idleTimeout: 0.2) { _, responder in
            responder.send(HTTPResponse(status: 200, headers: [("Content-Type", "text/event-stream")], streaming: { stream in
                _ = stream.write(Array(": first\n\n".utf8))
                let later = loop.value
                later?.scheduleTimer(after: 0.8) { _ = stream.write(Array("data: late\n\n".utf8)); stream.close() }
            }))
        }
        loop.update { $0 = fixture.loop }
        defer { fixture.shutdown() }
        let socket = try BlockingSocket.connect(host: "127.0.0.1", port: fixture.server.port, timeout: 5)
        defer { socket.close() }
        try socket.write("GET /events HTTP/1.1\r\n\r\n")
        var received: [UInt8] = []
        while let chunk = try? socket.read(upTo: 4096, timeout: 3), !chunk.isEmpty { received += chunk }
        let text = String(decoding: received, as: UTF8.self)
        #expect(text.contains(": first") && text.contains("data: late"), "the stream was still open after 0.8 s: \(text)")
    }
}
