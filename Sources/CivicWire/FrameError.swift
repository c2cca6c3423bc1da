/// Why a newline-delimited frame could not be produced from the peer's byte stream.
public enum FrameError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The peer sent more than `limit` bytes without ending the line; the connection should be dropped.
    case lineTooLong(limit: Int)
    /// A complete line was not valid UTF-8.
    case invalidUTF8

    public var description: String {
        switch self {
        case .lineTooLong(let limit): "line exceeds the \(limit)-byte limit"
        case .invalidUTF8: "line is not valid UTF-8"
        }
    }
}
