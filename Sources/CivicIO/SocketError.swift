import Glibc

/// The one error type of the transport layer: which operation failed, with which errno.
///
/// Conditions that are not syscall failures reuse the errno that describes them best
/// (ETIMEDOUT for timeouts, ECANCELED for "the loop stopped", EMSGSIZE for over-long lines),
/// so callers can always switch on `errno`.
public struct SocketError: Error, CustomStringConvertible, Sendable, Equatable {
    public var operation: String
    public var errno: Int32
    public var message: String

    public init(operation: String, errno: Int32, message: String? = nil) {
        self.operation = operation
        self.errno = errno
        self.message = message ?? SocketError.describe(errno)
    }

    /// Captures the current `errno` right after a failed call.
    public static func last(_ operation: String) -> SocketError {
        SocketError(operation: operation, errno: Glibc.errno)
    }

    public static func timedOut(_ operation: String) -> SocketError {
        SocketError(operation: operation, errno: ETIMEDOUT)
    }

    public static func loopStopped(_ operation: String) -> SocketError {
        SocketError(operation: operation, errno: ECANCELED, message: "event loop stopped")
    }

    /// The peer reset or closed the connection while we were still using it.
    public var isClosedByPeer: Bool { errno == ECONNRESET || errno == EPIPE }
    public var isTimeout: Bool { errno == ETIMEDOUT }
    public var isConnectionRefused: Bool { errno == ECONNREFUSED }

    public var description: String { "\(operation) failed: \(message) (errno \(errno))" }

    static func describe(_ code: Int32) -> String {
        guard code != 0, let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}
