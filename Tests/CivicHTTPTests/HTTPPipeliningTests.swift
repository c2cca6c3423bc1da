import CivicHTTP
import CivicIO
import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// Pipelined writes are handed to the handler together (so a client's intakes share a group commit) and answered
/// in request order; a read waits until nothing is in flight and holds everything behind it.
@Suite("HTTP pipelining")
struct HTTPPipeliningTests {
    /// Answers each request after `delay(path)` seconds from another thread; records how many requests the handler
    /// held at once, and how many were in flight when each path was handed on.
    final class Recorder: Sendable {
        let inFlight = Locked(0)
        let most = Locked(0)
        let seenInFlight = Locked<[String: Int]>([:])

        func handler(delay: @escaping @Sendable (String) -> Double) -> @Sendable (HTTPRequest, HTTPResponder) -> Void {
            { [self] request, responder in
                let before = inFlight.update { $0 += 1; return $0 - 1 }
                most.update { $0 = max($0, before + 1) }
                seenInFlight.update { $0[request.path] = before }
                DispatchQueue.global().asyncAfter(deadline: .now() + delay(request.path)) { [self] in
                    inFlight.update { $0 -= 1 }
                    responder.send(.text(200, "\(request.method) \(request.path)"))
                }
            }
        }
    }

    /// A server whose handler answers after `delay(path)`, a raw connection to it, and the recorder.
    static func withServer(delay: @escaping @Sendable (String) -> Double, limits: HTTPServerLimits? = nil,
                           _ body: (BlockingSocket, Recorder) throws -> Void) async throws {
        let recorder = Recorder()
        let fixture = try await ServerFixture.start(limits: limits, handler: recorder.handler(delay: delay))
        defer { fixture.shutdown() }
        let socket = try BlockingSocket.connect(host: "127.0.0.1", port: fixture.server.port, timeout: 5)
        defer { socket.close() }
        try body(socket, recorder)
    }

    static func post(_ path: String) -> String { "POST \(path) HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}" }

    @Test("pipelined writes run together and are answered in request order, the first finishing last")
    func writesOverlap() async throws {
        // /p0 takes longest, /p4 the least: the handler finishes them in reverse.
        try await Self.withServer(delay: { path in 0.05 * Double(5 - Int(path.dropFirst(2))!) }) { socket, recorder in
            try socket.write((0..<5).map { Self.post("/p\($0)") }.joined())
            for i in 0..<5 { #expect(try readRawResponse(socket).2 == "POST /p\(i)") }
            #expect(recorder.most.value > 1, "the five posts were in the handler together")
        }
    }

    @Test("at most 16 writes are in flight on one connection; the rest wait and are all answered")
    func pipelineIsBounded() async throws {
        try await Self.withServer(delay: { _ in 0.05 }) { socket, recorder in
            try socket.write((0..<40).map { Self.post("/p\($0)") }.joined())
            for i in 0..<40 { #expect(try readRawResponse(socket).2 == "POST /p\(i)") }
            #expect(recorder.most.value <= 16 && recorder.most.value > 1, "most in flight: \(recorder.most.value)")
        }
    }

    @Test("a read behind writes waits until they are answered, and the write behind it waits for the read")
    func readsGoAlone() async throws {
        try await Self.withServer(delay: { _ in 0.05 }) { socket, recorder in
            try socket.write(Self.post("/w1") + Self.post("/w2") + "GET /r HTTP/1.1\r\n\r\n" + Self.post("/w3"))
            for expected in ["POST /w1", "POST /w2", "GET /r", "POST /w3"] { #expect(try readRawResponse(socket).2 == expected) }
            let seen = recorder.seenInFlight.value
            #expect(seen["/w2"] == 1, "the second write went in beside the first")
            #expect(seen["/r"] == 0 && seen["/w3"] == 0, "\(seen)")
        }
    }

    @Test("a malformed request behind writes in flight: their answers first, then 400 and a close")
    func parseErrorBehindWrites() async throws {
        try await Self.withServer(delay: { _ in 0.1 }) { socket, _ in
            try socket.write(Self.post("/w1") + Self.post("/w2") + "BLAH\r\n\r\n")
            #expect(try readRawResponse(socket).2 == "POST /w1")
            #expect(try readRawResponse(socket).2 == "POST /w2")
            let error = try readRawResponse(socket)
            #expect(error.0 == "HTTP/1.1 400 Bad Request" && error.1["connection"] == "close")
            #expect(try socket.read(upTo: 1, timeout: 5) == [])
        }
    }

    @Test("\"Connection: close\" on a pipelined write: it and those before it are answered, nothing after it is run")
    func closeEndsThePipeline() async throws {
        try await Self.withServer(delay: { _ in 0.02 }) { socket, recorder in
            try socket.write(Self.post("/w1") + "POST /w2 HTTP/1.1\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}" + Self.post("/w3"))
            #expect(try readRawResponse(socket).2 == "POST /w1")
            let last = try readRawResponse(socket)
            #expect(last.2 == "POST /w2" && last.1["connection"] == "close")
            #expect(try socket.read(upTo: 1, timeout: 5) == [])
            #expect(recorder.seenInFlight.value["/w3"] == nil, "the write after the close was never run")
        }
    }

    @Test("a node too busy for more bytes behind a write in flight answers that write first, then 503 and a close")
    func busyBehindWrites() async throws {
        var limits = HTTPServerLimits()
        limits.maxUnfinishedBytes = 10_000
        try await Self.withServer(delay: { _ in 0.2 }, limits: limits) { socket, _ in
            try socket.write(Self.post("/w1"))
            usleep(50_000)  // /w1 is in the handler (for 0.2 s) when the bytes that pass the budget arrive
            try socket.write("POST /big HTTP/1.1\r\nContent-Length: 50000\r\n\r\n")
            try socket.write([UInt8](repeating: 0x61, count: 20_000))
            #expect(try readRawResponse(socket).2 == "POST /w1", "the write in flight is answered first")
            let busy = try readRawResponse(socket)
            #expect(busy.0 == "HTTP/1.1 503 Service Unavailable" && busy.1["connection"] == "close", "\(busy)")
            #expect(busy.2.contains("server_busy"))
        }
    }
}
