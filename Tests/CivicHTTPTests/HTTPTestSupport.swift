import CivicHTTP
import CivicIO
import Foundation
import Synchronization

/// A value shared between the loop thread and the test.
final class Locked<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    init(_ value: Value) { storage = Mutex(value) }
    var value: Value { storage.withLock { $0 } }
    func update<R: Sendable>(_ body: @Sendable (inout Value) -> R) -> R { storage.withLock { body(&$0) } }
}

extension EventLoop {
    func onLoop<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            execute { continuation.resume(with: Result { try body() }) }
        }
    }
}

/// A loop on its own thread with an HTTP server on 127.0.0.1:0.
struct ServerFixture {
    let loop: EventLoop
    let server: HTTPServer
    var base: String { "http://127.0.0.1:\(server.port)" }

    static func start(idleTimeout: Double = 30, maxBodyBytes: Int = 1 << 20, limits: HTTPServerLimits? = nil,
                      onLimit: (@Sendable (String) -> Void)? = nil,
                      handler: @escaping @Sendable (HTTPRequest, HTTPResponder) -> Void) async throws -> ServerFixture {
        let loop = try EventLoop(name: "http-test")
        loop.startThread()
        let server = try await loop.onLoop {
            let server = try HTTPServer(loop: loop, host: "127.0.0.1", port: 0, idleTimeout: idleTimeout,
                                        maxBodyBytes: maxBodyBytes, limits: limits, handler: handler)
            server.onLimit = onLimit
            return server
        }
        return ServerFixture(loop: loop, server: server)
    }

    func shutdown() {
        server.close()
        loop.stop()
        _ = loop.waitUntilStopped(timeout: 10)
    }
}

/// Reads one Content-Length framed response off a raw socket: (status line, headers, body).
func readRawResponse(_ socket: BlockingSocket) throws -> (String, [String: String], String) {
    let statusLine = try requireLine(socket)
    var headers: [String: String] = [:]
    while true {
        let line = try requireLine(socket)
        if line.isEmpty { break }
        let parts = line.split(separator: ":", maxSplits: 1)
        headers[parts[0].lowercased()] = parts[1].trimmingCharacters(in: .whitespaces)
    }
    let length = Int(headers["content-length"] ?? "0") ?? 0
    var body: [UInt8] = []
    while body.count < length {
        let chunk = try socket.read(upTo: length - body.count, timeout: 5)
        if chunk.isEmpty { break }
        body += chunk
    }
    return (statusLine, headers, String(decoding: body, as: UTF8.self))
}

struct UnexpectedEOF: Error {}

/// One CRLF-terminated line, or an error at EOF.
func requireLine(_ socket: BlockingSocket) throws -> String {
    guard var line = try socket.readLine(timeout: 5) else { throw UnexpectedEOF() }
    if line.hasSuffix("\r") { line.removeLast() }
    return line
}
