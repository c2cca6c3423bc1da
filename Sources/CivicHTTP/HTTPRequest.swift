/// One parsed HTTP/1.x request, body fully read.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The request target as sent ("/cases?limit=5").
    public var target: String
    /// Percent-decoded path without the query ("/cases").
    public var path: String
    /// Decoded query parameters; for a repeated name the last one wins.
    public var query: [String: String]
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// "HTTP/1.1" or "HTTP/1.0".
    public var version: String
    /// The client's address without its port, as the server saw it (per-address limits); empty in sans-IO tests.
    public var source = ""

    public init(method: String, target: String, headers: [(name: String, value: String)] = [],
                body: [UInt8] = [], version: String = "HTTP/1.1") {
        self.method = method
        self.target = target
        let (path, query) = HTTPTarget.split(target)
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.version = version
    }

    /// The first header with this name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { HTTPTarget.equalsIgnoringCase($0.name, name) }?.value
    }

    /// HTTP/1.1 keeps the connection unless "Connection: close"; HTTP/1.0 closes unless "keep-alive".
    public var keepAlive: Bool {
        let tokens = (header("connection") ?? "").lowercased().split(separator: ",")
            .map { HTTPTarget.trimWhitespace($0) }
        if version == "HTTP/1.0" { return tokens.contains("keep-alive") }
        return !tokens.contains("close")
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// Request-target helpers: path/query split and percent-decoding.
enum HTTPTarget {
    static func split(_ target: String) -> (path: String, query: [String: String]) {
        var rawPath = Substring(target)
        // absolute-form ("http://host/path") as proxies send it: keep only the path.
        if rawPath.hasPrefix("http://") || rawPath.hasPrefix("https://") {
            let afterScheme = rawPath[rawPath.index(rawPath.firstIndex(of: ":")!, offsetBy: 3)...]
            rawPath = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }).map { afterScheme[$0...] } ?? "/"
        }
        var query: [String: String] = [:]
        if let mark = rawPath.firstIndex(of: "?") {
            for pair in rawPath[rawPath.index(after: mark)...].split(separator: "&") where !pair.isEmpty {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = percentDecode(parts[0], plusAsSpace: true)
                query[name] = parts.count > 1 ? percentDecode(parts[1], plusAsSpace: true) : ""
            }
            rawPath = rawPath[..<mark]
        }
        return (percentDecode(rawPath, plusAsSpace: false), query)
    }

    /// Decodes %XX escapes; malformed escapes are kept literally rather than rejected.
    static func percentDecode(_ text: Substring, plusAsSpace: Bool) -> String {
        let utf8 = Array(text.utf8)
        guard utf8.contains(UInt8(ascii: "%")) || (plusAsSpace && utf8.contains(UInt8(ascii: "+"))) else {
            return String(text)
        }
        var output: [UInt8] = []
        output.reserveCapacity(utf8.count)
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%"), index + 2 < utf8.count,
               let high = hexValue(utf8[index + 1]), let low = hexValue(utf8[index + 2]) {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(plusAsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Strips optional whitespace (SP / HTAB) around a header value or list element.
    static func trimWhitespace(_ text: Substring) -> String {
        var slice = text
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }

    static func equalsIgnoringCase(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.count == rhs.utf8.count && lhs.lowercased() == rhs.lowercased()
    }
}

/// `application/x-www-form-urlencoded` bodies (Open311's POST): the query grammar, `+` as a space.
public enum HTTPForm {
    public static func parse(_ body: [UInt8]) -> [String: String] {
        HTTPTarget.split("/?" + String(decoding: body, as: UTF8.self)).query
    }
}
