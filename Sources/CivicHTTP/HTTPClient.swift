import CivicIO

/// A response read by `HTTPClient`.
public struct HTTPClientResponse: Sendable {
    public var status: Int
    /// Lower-cased names; repeated fields are joined with ", ".
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// A malformed URL or response (transport failures are `SocketError`s).
public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "HTTP client: \(message)" }
}

/// A tiny blocking HTTP/1.1 client (one request per connection) for the CLI and tests.
public enum HTTPClient {
    public static func send(method: String, url: String, body: [UInt8]? = nil, headers: [String: String] = [:],
                            timeout: Double = 10) throws -> HTTPClientResponse {
        let parsed = try HTTPURL(url)
        let socket = try BlockingSocket.connect(host: parsed.host, port: parsed.port, timeout: timeout)
        defer { socket.close() }
        let deadline = MonotonicClock.now() + MonotonicClock.nanoseconds(timeout)
        try socket.write(requestBytes(method: method, url: parsed, body: body, headers: headers))
        var reader = HTTPResponseReader(socket: socket, deadline: deadline)
        return try reader.readResponse(method: method)
    }

    public static func get(_ url: String, timeout: Double = 10) throws -> HTTPClientResponse {
        try send(method: "GET", url: url, timeout: timeout)
    }

    public static func post(_ url: String, json: [UInt8], timeout: Double = 10) throws -> HTTPClientResponse {
        try send(method: "POST", url: url, body: json, headers: ["Content-Type": "application/json"], timeout: timeout)
    }

    static func requestBytes(method: String, url: HTTPURL, body: [UInt8]?, headers: [String: String]) -> [UInt8] {
        var head = "\(method) \(url.target) HTTP/1.1\r\n"
        let lowered = Set(headers.keys.map { $0.lowercased() })
        if !lowered.contains("host") { head += "Host: \(url.host):\(url.port)\r\n" }
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            let lower = name.lowercased()
            if lower == "content-length" || lower == "connection" { continue }
            head += "\(name): \(value)\r\n"
        }
        if let body { head += "Content-Length: \(body.count)\r\n" }
        head += "Connection: close\r\n\r\n"
        return Array(head.utf8) + (body ?? [])
    }
}

/// "http://host[:port][/path][?query]".
struct HTTPURL {
    var host: String
    var port: Int
    var target: String

    init(_ url: String) throws(HTTPClientError) {
        guard url.hasPrefix("http://") else { throw HTTPClientError("only http:// URLs are supported: \(url)") }
        let rest = url.dropFirst("http://".count)
        let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<slash]
        let path = rest[slash...]
        target = path.isEmpty ? "/" : (path.first == "?" ? "/" + path : String(path))
        if let colon = authority.lastIndex(of: ":") {
            guard let port = Int(authority[authority.index(after: colon)...]), (1...65535).contains(port) else {
                throw HTTPClientError("invalid port in \(url)")
            }
            host = String(authority[..<colon])
            self.port = port
        } else {
            host = String(authority)
            port = 80
        }
        guard !host.isEmpty else { throw HTTPClientError("missing host in \(url)") }
    }
}
