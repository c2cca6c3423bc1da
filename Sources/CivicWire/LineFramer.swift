/// Splits a peer's byte stream into newline-delimited lines for the mesh protocol.
///
/// Sans-IO: feed whatever `read` returned with `append`, then drain with `nextLine`
/// until it returns nil. Consumed bytes are skipped with a read index and only
/// compacted away occasionally, and the newline search resumes where the last one
/// stopped, so framing is amortized O(n) in the bytes received.
///
/// The limit applies to a line without its terminator ("\n" or "\r\n"). Once a line is
/// too long the framer stays failed: every later `nextLine` throws again and further
/// input is discarded, because the stream can no longer be resynchronised safely.
public struct LineFramer: Sendable {
    public let maxLineBytes: Int

    private var buffer: [UInt8] = []
    /// Start of the first unconsumed byte in `buffer`.
    private var readIndex = 0
    /// Bytes in `readIndex..<scanIndex` are known to contain no "\n".
    private var scanIndex = 0
    private var failed = false

    /// Below this many consumed bytes, compaction is not worth a memmove.
    private static let compactionThreshold = 4096
    private static let newline: UInt8 = 0x0A
    private static let carriageReturn: UInt8 = 0x0D

    public init(maxLineBytes: Int = 1 << 20) {
        precondition(maxLineBytes > 0, "LineFramer: maxLineBytes must be positive, got \(maxLineBytes)")
        self.maxLineBytes = maxLineBytes
    }

    /// The same stream position under another limit: the bytes not yet returned carry over. A handshake reads
    /// with a small limit (an unauthenticated peer must not make us hold a megabyte), the link with the full one.
    public func withLimit(_ maxLineBytes: Int) -> LineFramer {
        var next = LineFramer(maxLineBytes: maxLineBytes)
        next.buffer = Array(buffer[readIndex...])
        next.failed = failed
        return next
    }

    /// Bytes received but not yet returned as lines.
    public var bufferedBytes: Int { buffer.count - readIndex }

    public mutating func append(_ bytes: [UInt8]) {
        guard !failed else { return }
        compactIfWorthwhile()
        buffer.append(contentsOf: bytes)
    }

    /// Returns the next non-empty line without its terminator, or nil when no complete line
    /// is buffered. Throws `lineTooLong` as soon as the unfinished line exceeds the limit.
    public mutating func nextLine() throws(FrameError) -> [UInt8]? {
        if failed { throw .lineTooLong(limit: maxLineBytes) }
        while let newlineIndex = buffer[scanIndex...].firstIndex(of: Self.newline) {
            let start = readIndex
            var end = newlineIndex
            if end > start && buffer[end - 1] == Self.carriageReturn { end -= 1 }
            readIndex = newlineIndex + 1
            scanIndex = readIndex
            if end - start > maxLineBytes { throw overflow() }
            if end > start { return Array(buffer[start..<end]) }
        }
        scanIndex = buffer.count
        let partial = buffer.count - readIndex
        // One byte of slack when the partial line ends in "\r": it may be the start of "\r\n".
        let allowed = buffer.last == Self.carriageReturn ? maxLineBytes + 1 : maxLineBytes
        if partial > allowed { throw overflow() }
        return nil
    }

    /// Like `nextLine`, but decodes the line as UTF-8, throwing `invalidUTF8` for malformed input.
    public mutating func nextLineString() throws(FrameError) -> String? {
        guard let line = try nextLine() else { return nil }
        guard let text = String(validating: line, as: UTF8.self) else { throw .invalidUTF8 }
        return text
    }

    /// Enters the failed state, releasing the buffered bytes, and returns the error to throw.
    private mutating func overflow() -> FrameError {
        failed = true
        buffer = []
        readIndex = 0
        scanIndex = 0
        return .lineTooLong(limit: maxLineBytes)
    }

    /// Drops consumed bytes once they are at least half the buffer, so each byte is moved
    /// at most a constant number of times on average.
    private mutating func compactIfWorthwhile() {
        guard readIndex > 0 else { return }
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
        } else if readIndex >= Self.compactionThreshold && readIndex * 2 >= buffer.count {
            buffer.removeSubrange(0..<readIndex)
        } else {
            return
        }
        scanIndex -= readIndex
        readIndex = 0
    }
}
