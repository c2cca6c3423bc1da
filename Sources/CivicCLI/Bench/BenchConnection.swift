import CivicIO
import Foundation

/// One keep-alive HTTP/1.1 connection for the benchmarks: requests are built once as bytes and may be
/// pipelined (several written before the first answer is read). Responses are parsed only as far as a
/// benchmark needs: the status, and the body when asked for. Not Sendable: one thread at a time.
final class BenchConnection {
    private let socket: BlockingSocket
    private var buffer: [UInt8] = []
    private var offset = 0

    init(host: String, port: Int) throws {
        socket = try BlockingSocket.connect(host: host, port: port, timeout: 10)
    }

    /// `POST path` with a JSON body, as bytes ready to write.
    static func post(_ path: String, host: String, port: Int, token: String, json: [UInt8]) -> [UInt8] {
        Array("POST \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/json\r\nContent-Length: \(json.count)\r\n\r\n".utf8) + json
    }

    func write(_ bytes: [UInt8]) throws { try socket.write(bytes) }

    /// Reads one response: its status and body. Only Content-Length bodies (what the node sends).
    func readResponse() throws -> (status: Int, body: ArraySlice<UInt8>) {
        let headEnd = try waitFor { self.find([13, 10, 13, 10], from: self.offset) }
        let head = buffer[offset..<headEnd]
        guard head.count > 12, let status = Int(String(decoding: head[(offset + 9)..<(offset + 12)], as: UTF8.self)) else {
            throw BenchError("malformed response head: \(String(decoding: head.prefix(80), as: UTF8.self))")
        }
        let lower = String(decoding: head, as: UTF8.self).lowercased()
        guard let range = lower.range(of: "content-length:") else { throw BenchError("response without Content-Length") }
        let digits = lower[range.upperBound...].drop { $0 == " " }.prefix { $0.isNumber }
        guard let length = Int(digits) else { throw BenchError("bad Content-Length") }
        let bodyStart = headEnd + 4
        _ = try waitFor { self.buffer.count >= bodyStart + length ? bodyStart : nil }
        let body = buffer[bodyStart..<(bodyStart + length)]
        offset = bodyStart + length
        if offset > 1 << 16 { buffer.removeFirst(offset); offset = 0; return (status, ArraySlice(Array(body))) }
        return (status, body)
    }

    private func waitFor(_ ready: () -> Int?) throws -> Int {
        while true {
            if let at = ready() { return at }
            let more = try socket.read(upTo: 1 << 16, timeout: 60)  // a node that has not answered in a minute is stuck
            guard !more.isEmpty else { throw BenchError("the node closed the connection") }
            buffer += more
        }
    }

    private func find(_ pattern: [UInt8], from start: Int) -> Int? {
        guard buffer.count - start >= pattern.count else { return nil }
        var i = start
        while i <= buffer.count - pattern.count {
            if buffer[i] == pattern[0] && buffer[i + 1] == pattern[1] && buffer[i + 2] == pattern[2] && buffer[i + 3] == pattern[3] { return i }
            i += 1
        }
        return nil
    }

    func close() { socket.close() }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The value of `"key":"…"` in a JSON body, found by scanning (enough for an id in a node's answer).
func jsonStringField(_ key: String, in body: ArraySlice<UInt8>) -> String? {
    let needle = Array("\"\(key)\":\"".utf8)
    guard body.count >= needle.count else { return nil }
    var i = body.startIndex
    while i <= body.endIndex - needle.count {
        if body[i..<(i + needle.count)].elementsEqual(needle) {
            let start = i + needle.count
            guard let end = body[start...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
            return String(decoding: body[start..<end], as: UTF8.self)
        }
        i += 1
    }
    return nil
}

/// CPU time a process has used in user and kernel mode, in seconds, from /proc/<pid>/stat; nil when it is gone.
func processCPUSeconds(_ pid: Int32) -> (user: Double, kernel: Double)? {
    statCPU("/proc/\(pid)/stat").map { ($0.user, $0.kernel) }
}

/// CPU seconds (user + kernel) of each live thread of a process by the kernel's name for the thread
/// (/proc/<pid>/task/<tid>/stat), summed over threads of the same name; empty when the process is gone.
/// A thread that ended in between is no longer listed: compare a thread that lives as long as the process
/// (a node's writer, its event loop) and take the rest from the process's own total.
func threadCPUSeconds(_ pid: Int32) -> [String: Double] {
    guard let tids = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return [:] }
    var byName: [String: Double] = [:]
    for tid in tids {
        if let thread = statCPU("/proc/\(pid)/task/\(tid)/stat") { byName[thread.name, default: 0] += thread.user + thread.kernel }
    }
    return byName
}

/// The name and the user and kernel CPU seconds of a /proc `stat` file (a process's or a thread's).
private func statCPU(_ path: String) -> (name: String, user: Double, kernel: Double)? {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8),
          let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")") else { return nil }
    let fields = text[text.index(after: close)...].split(separator: " ")
    // After the command name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    let tick = Double(sysconf(Int32(_SC_CLK_TCK)))
    return (String(text[text.index(after: open)..<close]), user / tick, system / tick)
}
