/// The request-line and header fields of one request, validated (RFC 9112 §3, §5, §6).
struct HTTPRequestHead {
    var method: String
    var target: String
    var version: String
    var headers: [(name: String, value: String)]
    var contentLength: Int
    var expectsContinue: Bool

    static func parse(_ bytes: ArraySlice<UInt8>, maxBodyBytes: Int) throws(HTTPParseError) -> HTTPRequestHead {
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line in
            line.last == UInt8(ascii: "\r") ? line.dropLast() : line
        }
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        guard let requestLine = lines.first else { throw .badRequest("empty request") }
        var head = try parseRequestLine(requestLine)
        for line in lines.dropFirst() {
            head.headers.append(try parseField(line))
        }
        if head.headers.contains(where: { HTTPTarget.equalsIgnoringCase($0.name, "transfer-encoding") }) {
            throw HTTPParseError(status: 501, message: "Transfer-Encoding (chunked request bodies) is not supported")
        }
        head.contentLength = try contentLength(head.headers, maxBodyBytes: maxBodyBytes)
        head.expectsContinue = head.headers.contains {
            HTTPTarget.equalsIgnoringCase($0.name, "expect") && $0.value.lowercased() == "100-continue"
        }
        return head
    }

    private static func parseRequestLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> HTTPRequestHead {
        let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy(isTokenByte) else {
            throw .badRequest("malformed request line")
        }
        guard !parts[1].isEmpty, parts[1].allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else {
            throw .badRequest("malformed request target")
        }
        let version = String(decoding: parts[2], as: UTF8.self)
        let digits = Array(version.utf8.dropFirst(5))
        guard version.hasPrefix("HTTP/"), digits.count == 3, digits[1] == UInt8(ascii: "."),
              isDigit(digits[0]), isDigit(digits[2]) else {
            throw .badRequest("malformed HTTP version")
        }
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else {
            throw HTTPParseError(status: 505, message: "\(version) is not supported")
        }
        return HTTPRequestHead(method: String(decoding: parts[0], as: UTF8.self),
                               target: String(decoding: parts[1], as: UTF8.self),
                               version: version, headers: [], contentLength: 0, expectsContinue: false)
    }

    private static func parseField(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> (name: String, value: String) {
        guard let first = line.first, first != UInt8(ascii: " "), first != UInt8(ascii: "\t") else {
            throw .badRequest("obsolete line folding in header section")  // RFC 9112 §5.2
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { throw .badRequest("header line without ':'") }
        let name = line[line.startIndex..<colon]
        // No whitespace between name and colon (RFC 9112 §5.1): reject, it smuggles requests.
        guard !name.isEmpty, name.allSatisfy(isTokenByte) else { throw .badRequest("malformed header name") }
        let value = line[(colon + 1)...]
        guard value.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else {
            throw .badRequest("control character in header value")
        }
        return (String(decoding: name, as: UTF8.self),
                HTTPTarget.trimWhitespace(Substring(String(decoding: value, as: UTF8.self))))
    }

    /// Every Content-Length (and list element) must agree (RFC 9110 §8.6); no sign, digits only.
    private static func contentLength(_ headers: [(name: String, value: String)],
                                      maxBodyBytes: Int) throws(HTTPParseError) -> Int {
        var length: Int?
        for field in headers where HTTPTarget.equalsIgnoringCase(field.name, "content-length") {
            for element in field.value.split(separator: ",", omittingEmptySubsequences: false) {
                let text = HTTPTarget.trimWhitespace(element)
                guard !text.isEmpty, text.utf8.allSatisfy(isDigit) else { throw .badRequest("invalid Content-Length") }
                guard text.count <= 18, let value = Int(text), value <= maxBodyBytes else {
                    throw HTTPParseError(status: 413, message: "request body exceeds \(maxBodyBytes) bytes")
                }
                if let length, length != value { throw .badRequest("conflicting Content-Length values") }
                length = value
            }
        }
        return length ?? 0
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// tchar of RFC 9110 §5.6.2.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
