import CivicIO
import CivicWire
import Foundation

/// A real headless Chromium driven over the Chrome DevTools Protocol: a WebSocket client just big enough for
/// it (RFC 6455 text frames, masked from the client, fragments joined), `Page.navigate`, `Runtime.evaluate`
/// and `Page.captureScreenshot`. For page tests: what the citizen's phone would run, not a mock of it.
public final class HeadlessBrowser {
    public struct Unavailable: Error, CustomStringConvertible { public var description: String }

    private let process: Process
    private let profile: URL
    private let socket: BlockingSocket
    private var nextId = 0
    private var buffered: [UInt8] = []

    /// The browser's path, if one is installed.
    public static func executable() -> String? {
        for path in ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable"]
            where FileManager.default.isExecutableFile(atPath: path) { return path }
        return nil
    }

    /// Starts the browser with a phone-sized window and connects to its page.
    public init(width: Int = 390, height: Int = 844) throws {
        guard let path = Self.executable() else { throw Unavailable(description: "no chromium (apt-get install -y chromium)") }
        profile = FileManager.default.temporaryDirectory.appendingPathComponent("civicmesh-chromium-\(UUID().uuidString)")
        process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
                             "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1", "--user-data-dir=\(profile.path)",
                             "--window-size=\(width),\(height)", "about:blank"]
        // stderr to a file, not a pipe: nothing here owns a descriptor another thread could see reused.
        let logPath = profile.path + ".log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Chromium announces its DevTools endpoint on stderr: "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/…".
        var port: Int?
        var seen = ""
        let deadline = Date().addingTimeInterval(30)
        while port == nil, Date() < deadline, process.isRunning {
            seen = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            if !seen.contains("ws://127.0.0.1:") { usleep(50_000); continue }
            if let range = seen.range(of: "ws://127.0.0.1:") {
                let digits = seen[range.upperBound...].prefix { $0.isNumber }
                if seen[range.upperBound...].dropFirst(digits.count).first == "/" { port = Int(digits) }
            }
        }
        guard let port else {
            process.terminate()
            throw Unavailable(description: "chromium did not open its DevTools port: \(seen.suffix(400))")
        }
        // The page target's own WebSocket.
        let list = try API.get("http://127.0.0.1:\(port)/json/list", token: "")
        let targets = (try? JSONSerialization.jsonObject(with: Data(list.text.utf8))) as? [[String: Any]] ?? []
        guard let page = targets.first(where: { $0["type"] as? String == "page" }), let ws = page["webSocketDebuggerUrl"] as? String,
              let pathStart = ws.range(of: "/devtools/") else {
            process.terminate()
            throw Unavailable(description: "no page target in \(list.text.prefix(300))")
        }
        socket = try BlockingSocket.connect(host: "127.0.0.1", port: port, timeout: 10)
        let key = Base64.encode(Array(UUID().uuidString.utf8.prefix(16)))
        try socket.write("GET \(ws[pathStart.lowerBound...]) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n\r\n")
        var head: [UInt8] = []
        while !head.ends(with: Array("\r\n\r\n".utf8)) {
            let byte = try socket.read(upTo: 1, timeout: 10)
            guard !byte.isEmpty else { throw Unavailable(description: "the DevTools socket closed during the upgrade") }
            head += byte
        }
        guard String(decoding: head, as: UTF8.self).hasPrefix("HTTP/1.1 101") else {
            throw Unavailable(description: "no WebSocket upgrade: \(String(decoding: head, as: UTF8.self).prefix(200))")
        }
        _ = try send("Emulation.setDeviceMetricsOverride", ["width": width, "height": height, "deviceScaleFactor": 2, "mobile": true])
    }

    deinit {
        socket.close()
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: profile)
        try? FileManager.default.removeItem(atPath: profile.path + ".log")
    }

    /// Sends one command and waits for its answer (events in between are skipped).
    @discardableResult
    public func send(_ method: String, _ params: [String: Any] = [:], timeout: Double = 20) throws -> [String: Any] {
        nextId += 1
        let id = nextId
        let message = try JSONSerialization.data(withJSONObject: ["id": id, "method": method, "params": params])
        try writeFrame([UInt8](message))
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let text = try readMessage(timeout: max(0.1, deadline.timeIntervalSinceNow))
            guard let object = (try? JSONSerialization.jsonObject(with: Data(text))) as? [String: Any], object["id"] as? Int == id else { continue }
            if let error = object["error"] as? [String: Any] { throw Unavailable(description: "\(method): \(error)") }
            return object["result"] as? [String: Any] ?? [:]
        }
        throw Unavailable(description: "\(method): no answer in \(timeout) s")
    }

    public func navigate(_ url: String) throws {
        try send("Page.navigate", ["url": url])
        guard waitFor("document.readyState === 'complete'") else { throw Unavailable(description: "\(url) did not load") }
    }

    /// The value of a JavaScript expression in the page (strings, numbers and booleans come back as themselves).
    public func evaluate(_ expression: String) throws -> Any? {
        let result = try send("Runtime.evaluate", ["expression": expression, "returnByValue": true])
        if let exception = result["exceptionDetails"] { throw Unavailable(description: "\(expression): \(exception)") }
        return (result["result"] as? [String: Any])?["value"]
    }

    /// Polls until the expression is true.
    public func waitFor(_ expression: String, timeout: Double = 15) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if (try? evaluate(expression)) as? Bool == true { return true }
            usleep(50_000)
        }
        return false
    }

    /// A PNG of what the page shows.
    public func screenshot() throws -> [UInt8] {
        let result = try send("Page.captureScreenshot", ["format": "png", "captureBeyondViewport": true])
        guard let data = result["data"] as? String, let bytes = Data(base64Encoded: data) else { throw Unavailable(description: "no screenshot data") }
        return [UInt8](bytes)
    }

    // MARK: - WebSocket frames (RFC 6455)

    private func writeFrame(_ payload: [UInt8]) throws {
        var frame: [UInt8] = [0x81]  // FIN, text
        if payload.count < 126 { frame.append(0x80 | UInt8(payload.count)) }
        else if payload.count < 65_536 { frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] }
        else { frame.append(0x80 | 127); for shift in stride(from: 56, through: 0, by: -8) { frame.append(UInt8((payload.count >> shift) & 0xFF)) } }
        let mask = (0..<4).map { _ in UInt8.random(in: 0...255) }
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        try socket.write(frame)
    }

    private func take(_ n: Int, timeout: Double) throws -> [UInt8] {
        let deadline = Date().addingTimeInterval(timeout)
        while buffered.count < n {
            guard Date() < deadline else { throw Unavailable(description: "the DevTools socket went quiet") }
            let chunk = try socket.read(upTo: 1 << 16, timeout: max(0.05, deadline.timeIntervalSinceNow))
            if chunk.isEmpty, !socket.isOpen { throw Unavailable(description: "the DevTools socket closed") }
            buffered += chunk
        }
        let out = Array(buffered.prefix(n))
        buffered.removeFirst(n)
        return out
    }

    private func readMessage(timeout: Double) throws -> [UInt8] {
        var message: [UInt8] = []
        while true {
            let head = try take(2, timeout: timeout)
            let fin = head[0] & 0x80 != 0, opcode = head[0] & 0x0F
            var length = Int(head[1] & 0x7F)
            if length == 126 { length = try take(2, timeout: timeout).reduce(0) { $0 << 8 | Int($1) } }
            else if length == 127 { length = try take(8, timeout: timeout).reduce(0) { $0 << 8 | Int($1) } }
            let payload = try take(length, timeout: timeout)
            if opcode == 0x8 { throw Unavailable(description: "the browser closed the DevTools socket") }
            if opcode == 0x9 || opcode == 0xA { continue }  // ping / pong
            message += payload
            if fin { return message }
        }
    }
}

extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
