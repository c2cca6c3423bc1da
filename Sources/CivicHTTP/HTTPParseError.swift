/// A request the server refuses; `status` is the HTTP status to answer with before closing
/// (400 malformed, 413 body too large, 431 headers too large, 501 unsupported transfer coding,
/// 505 unsupported version).
public struct HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var message: String

    public init(status: Int, message: String) {
        self.status = status
        self.message = message
    }

    static func badRequest(_ message: String) -> HTTPParseError { HTTPParseError(status: 400, message: message) }

    public var description: String { "HTTP \(status): \(message)" }
}
