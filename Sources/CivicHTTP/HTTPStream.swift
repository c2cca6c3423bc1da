import CivicIO

/// The body of a streaming response (server-sent events): written piece by piece after the head, until either
/// side closes. Loop-confined: the server hands it to the response's `streaming` closure on the loop, and every
/// call must come from there. Memory is bounded: a client that does not read while `maxBuffered` bytes wait for
/// it is dropped (`write` answers false), never the node.
public final class HTTPStream: @unchecked Sendable {
    // Invariant: used on `connection.loop` only.
    private let connection: TCPConnection
    public let maxBuffered: Int
    /// Runs once when the stream ends (the client went away, or `close`).
    public var onClose: (() -> Void)?
    private var closed = false

    init(connection: TCPConnection, maxBuffered: Int) {
        self.connection = connection
        self.maxBuffered = maxBuffered
    }

    public var isOpen: Bool { !closed && connection.isOpen }
    public var peer: String { connection.peerDescription }

    /// Queues `bytes`; false (and the stream closed) when the client is too far behind or gone.
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        guard isOpen else { return false }
        guard connection.pendingWriteBytes + bytes.count <= maxBuffered else {
            close()
            return false
        }
        connection.write(bytes)
        return true
    }

    /// Ends the stream after what is queued has been written.
    public func close() {
        guard !closed else { return }
        closed = true
        connection.closeAfterFlush()
        ended()
    }

    func ended() {
        closed = true
        let hook = onClose
        onClose = nil
        hook?()
    }
}
