import CivicHTTP
import Testing

@Suite("HTTPRequestParser")
struct HTTPRequestParserTests {
    static let post = "POST /cases/new%20one?limit=5&q=a+b%26c&flag HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"ok\":true}\r\n"

    private func parseAll(_ text: String, parser: inout HTTPRequestParser) throws -> [HTTPRequest] {
        parser.append(Array(text.utf8))
        var requests: [HTTPRequest] = []
        while let request = try parser.next() { requests.append(request) }
        return requests
    }

    private func parseError(_ text: String, maxHeaderBytes: Int = 16384, maxBodyBytes: Int = 1 << 20) -> HTTPParseError? {
        var parser = HTTPRequestParser(maxHeaderBytes: maxHeaderBytes, maxBodyBytes: maxBodyBytes)
        parser.append(Array(text.utf8))
        do {
            _ = try parser.next()
            return nil
        } catch {
            // Once failed, the parser stays failed.
            #expect(throws: HTTPParseError.self) { try parser.next() }
            return error
        }
    }

    @Test("request line, decoded path and query, case-insensitive headers, body")
    func parsesFields() throws {
        var parser = HTTPRequestParser()
        let requests = try parseAll(Self.post, parser: &parser)
        let request = try #require(requests.first)
        #expect(requests.count == 1)
        #expect(request.method == "POST")
        #expect(request.target == "/cases/new%20one?limit=5&q=a+b%26c&flag")
        #expect(request.path == "/cases/new one")
        #expect(request.query == ["limit": "5", "q": "a b&c", "flag": ""])
        #expect(request.header("content-type") == "application/json")
        #expect(request.header("CONTENT-LENGTH") == "13")
        #expect(request.header("missing") == nil)
        #expect(request.bodyText == "{\"ok\":true}\r\n")
        #expect(request.version == "HTTP/1.1")
        #expect(parser.bufferedByteCount == 0)
    }

    @Test("fed one byte at a time, a request appears only when its last body byte arrives")
    func byteAtATime() throws {
        var parser = HTTPRequestParser()
        let bytes = Array(Self.post.utf8)
        var completedAt: [Int] = []
        for (index, byte) in bytes.enumerated() {
            parser.append([byte])
            if let request = try parser.next() {
                completedAt.append(index)
                #expect(request.body.count == 13)
                #expect(request.query["limit"] == "5")
            }
        }
        #expect(completedAt == [bytes.count - 1])
    }

    @Test("pipelined requests in one buffer come out one by one, in order")
    func pipelined() throws {
        var parser = HTTPRequestParser()
        let text = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n" + Self.post + "\r\nDELETE /c HTTP/1.1\r\nContent-Length: 0\r\n\r\nGET /partial HT"
        let requests = try parseAll(text, parser: &parser)
        #expect(requests.map(\.method) == ["GET", "POST", "DELETE"])
        #expect(requests.map(\.path) == ["/a", "/cases/new one", "/c"])
        #expect(parser.bufferedByteCount == "GET /partial HT".utf8.count)
        parser.append(Array("TP/1.1\r\n\r\n".utf8))
        #expect(try parser.next()?.path == "/partial")
    }

    @Test("bare LF line endings are accepted")
    func bareLineFeeds() throws {
        var parser = HTTPRequestParser()
        let requests = try parseAll("GET /lf HTTP/1.0\nX-A: 1\n\n", parser: &parser)
        #expect(requests.first?.header("x-a") == "1")
    }

    @Test("keep-alive rules of HTTP/1.1 and HTTP/1.0")
    func keepAlive() throws {
        var parser = HTTPRequestParser()
        let requests = try parseAll(
            "GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\nConnection: close\r\n\r\n"
                + "GET / HTTP/1.0\r\n\r\nGET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"
                + "GET / HTTP/1.1\r\nConnection: upgrade, close\r\n\r\n",
            parser: &parser)
        #expect(requests.map(\.keepAlive) == [true, false, false, true, false])
    }

    @Test("Expect: 100-continue is reported once while the body is missing")
    func expectContinue() throws {
        var parser = HTTPRequestParser()
        parser.append(Array("PUT /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n".utf8))
        #expect(try parser.next() == nil)
        let first = parser.takeContinueRequest()
        let second = parser.takeContinueRequest()
        #expect(first)
        #expect(!second)
        parser.append(Array("abc".utf8))
        #expect(try parser.next()?.bodyText == "abc")
    }

    @Test("oversized header section → 431, even before the blank line arrives")
    func headersTooLarge() {
        let huge = "GET / HTTP/1.1\r\nX-Big: " + String(repeating: "a", count: 2000) + "\r\n\r\n"
        #expect(parseError(huge, maxHeaderBytes: 1024)?.status == 431)
        let unfinished = "GET / HTTP/1.1\r\nX-Big: " + String(repeating: "a", count: 2000)
        #expect(parseError(unfinished, maxHeaderBytes: 1024)?.status == 431)
        #expect(parseError(huge, maxHeaderBytes: 4096) == nil)
    }

    @Test("oversized body → 413 from Content-Length alone")
    func bodyTooLarge() {
        #expect(parseError("POST / HTTP/1.1\r\nContent-Length: 2048\r\n\r\n", maxBodyBytes: 1024)?.status == 413)
        #expect(parseError("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n")?.status == 413)
    }

    @Test("chunked request bodies → 501")
    func chunked() {
        let error = parseError("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        #expect(error?.status == 501)
    }

    @Test("malformed input → 400, unsupported version → 505", arguments: [
        ("\u{1}\u{2}garbage\r\n\r\n", 400),
        ("GET /\r\n\r\n", 400),
        ("GET  / HTTP/1.1\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400),
        ("GET / HTTP/x.y\r\n\r\n", 400),
        ("GET / HTTP/2.0\r\n\r\n", 505),
        ("GET / HTTP/1.2\r\n\r\n", 505),
    ])
    func rejects(input: String, status: Int) {
        #expect(parseError(input)?.status == status)
    }

    @Test("agreeing duplicate Content-Length values are accepted")
    func duplicateContentLength() throws {
        var parser = HTTPRequestParser()
        let requests = try parseAll("POST / HTTP/1.1\r\nContent-Length: 2, 2\r\n\r\nhi", parser: &parser)
        #expect(requests.first?.bodyText == "hi")
    }
}

@Suite("HTTPResponse")
struct HTTPResponseTests {
    @Test("serialization always carries Content-Length and the Connection decision")
    func serialization() {
        var response = HTTPResponse.json(201, Array("{}".utf8))
        response.headers.append(("Content-Length", "999"))  // replaced, never duplicated
        let text = String(decoding: response.serialized(keepAlive: true), as: UTF8.self)
        #expect(text == "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n{}")
        let closing = String(decoding: HTTPResponse.text(404, "nope").serialized(keepAlive: false), as: UTF8.self)
        #expect(closing.hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        #expect(closing.contains("Connection: close\r\n"))
        #expect(closing.hasSuffix("\r\n\r\nnope"))
        let head = HTTPResponse.text(200, "body").serialized(keepAlive: true, includeBody: false)
        #expect(String(decoding: head, as: UTF8.self).hasSuffix("Content-Length: 4\r\nConnection: keep-alive\r\n\r\n"))
    }

    @Test("error bodies are valid JSON even with quotes and control characters")
    func errorBody() {
        let response = HTTPResponse.error(400, code: "bad_request", message: "bad \"x\"\n\u{1}")
        #expect(response.status == 400)
        #expect(String(decoding: response.body, as: UTF8.self)
            == #"{"error":{"code":"bad_request","message":"bad \"x\"\n\u0001"}}"#)
    }
}
