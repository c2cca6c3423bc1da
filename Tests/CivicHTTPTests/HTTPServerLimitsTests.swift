import CivicHTTP
import CivicIO
import Foundation
import Testing

/// Slow, greedy or numerous clients are turned away with a status and a log line; everyone else is served.
@Suite("HTTP server limits")
struct HTTPServerLimitsTests {
    static let ok: @Sendable (HTTPRequest, HTTPResponder) -> Void = { _, responder in responder.send(.text(200, "ok")) }

    func connect(_ fixture: ServerFixture) throws -> BlockingSocket {
        try BlockingSocket.connect(host: "127.0.0.1", port: fixture.server.port, timeout: 5)
    }

    @Test("a request trickled one byte at a time gets 408 at its deadline, though every byte resets the idle timer")
    func slowloris() async throws {
        var limits = HTTPServerLimits()
        limits.requestTimeout = 1
        limits.idleTimeout = 30
        let told = Locked<[String]>([])
        let fixture = try await ServerFixture.start(limits: limits, onLimit: { why in told.update { $0.append(why) } }, handler: Self.ok)
        defer { fixture.shutdown() }
        let slow = try connect(fixture)
        defer { slow.close() }
        let started = Date()
        for byte in Array("GET / HTTP/1.1\r\nHost: slow\r\nX-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaa".utf8) {
            guard (try? slow.write([byte])) != nil, Date().timeIntervalSince(started) < 1.6 else { break }
            usleep(100_000)
        }
        let response = try readRawResponse(slow)
        #expect(response.0.hasPrefix("HTTP/1.1 408"), "\(response)")
        #expect(told.value.contains { $0.contains("not complete after 1s") })
        // Others are served meanwhile.
        #expect(try HTTPClient.send(method: "GET", url: fixture.base + "/").status == 200)
    }

    @Test("connections per source and in total are capped with a 503 that says why")
    func connectionCaps() async throws {
        var limits = HTTPServerLimits()
        limits.maxConnectionsPerSource = 3
        limits.maxConnections = 5
        let told = Locked<[String]>([])
        let fixture = try await ServerFixture.start(limits: limits, onLimit: { why in told.update { $0.append(why) } }, handler: Self.ok)
        defer { fixture.shutdown() }
        let held = try (0..<3).map { _ in try connect(fixture) }
        defer { held.forEach { $0.close() } }
        usleep(UInt32(0.2 * 1_000_000))
        let extra = try connect(fixture)
        defer { extra.close() }
        let refused = try readRawResponse(extra)
        #expect(refused.0.hasPrefix("HTTP/1.1 503") && refused.2.contains("too_many_connections"), "\(refused)")
        #expect(told.value.contains { $0.contains("127.0.0.1 already has 3") })
        // A held connection still works, and closing one makes room again.
        try held[0].write("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try readRawResponse(held[0]).0 == "HTTP/1.1 200 OK")
        held[1].close()
        usleep(UInt32(0.2 * 1_000_000))
        #expect(try HTTPClient.send(method: "GET", url: fixture.base + "/").status == 200)
    }

    @Test("the bytes held by unfinished requests are bounded in total")
    func unfinishedBytes() async throws {
        var limits = HTTPServerLimits()
        limits.maxUnfinishedBytes = 150_000
        let fixture = try await ServerFixture.start(limits: limits, handler: Self.ok)
        defer { fixture.shutdown() }
        var open: [BlockingSocket] = []
        defer { open.forEach { $0.close() } }
        var refusedOne = false
        for _ in 0..<4 {
            let s = try connect(fixture)
            open.append(s)
            try s.write("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\n")
            try? s.write([UInt8](repeating: 0x61, count: 60_000))
            usleep(UInt32(0.2 * 1_000_000))
            if let line = try? s.readLine(timeout: 0.3), line.hasPrefix("HTTP/1.1 503") { refusedOne = true }
        }
        #expect(refusedOne, "a request that would pass the budget is answered 503")
        #expect(try HTTPClient.send(method: "GET", url: fixture.base + "/").status == 200, "small requests are still served")
    }
}
