import CLinuxShims
import Glibc

/// Every raw socket syscall of CivicIO, in one place. Functions take and return plain fds; ownership
/// (who closes) is decided by the callers (TCPConnection, TCPListener, BlockingSocket).
enum RawSocket {
    /// Outcome of one non-blocking read or write.
    enum IOResult {
        case transferred(Int)
        case wouldBlock
        case endOfFile
        case failed(SocketError)
    }

    enum AcceptResult {
        case accepted(fd: Int32, peer: SocketAddress)
        case wouldBlock
        /// Per-connection failures (ECONNABORTED, EPROTO…): skip this one, keep accepting.
        case transient
        case failed(SocketError)
    }

    enum ConnectResult {
        case connected
        case inProgress
        case failed(SocketError)
    }

    static func makeTCP(nonblocking: Bool) throws(SocketError) -> Int32 {
        let fd = civic_tcp_socket(nonblocking ? 1 : 0)
        guard fd >= 0 else { throw SocketError.last("socket") }
        return fd
    }

    static func close(_ fd: Int32) {
        // close(2): never retry on EINTR on Linux, the fd is released either way.
        _ = Glibc.close(fd)
    }

    static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32, _ label: String) throws(SocketError) {
        var value = value
        guard setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw SocketError.last("setsockopt \(label) fd \(fd)")
        }
    }

    static func setNoDelay(_ fd: Int32) {
        // Best effort: a failure only costs latency, never correctness.
        try? setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1, "TCP_NODELAY")
    }

    static func setBlocking(_ fd: Int32, _ blocking: Bool) throws(SocketError) {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0 else { throw SocketError.last("fcntl F_GETFL fd \(fd)") }
        let updated = blocking ? flags & ~O_NONBLOCK : flags | O_NONBLOCK
        guard fcntl(fd, F_SETFL, updated) == 0 else { throw SocketError.last("fcntl F_SETFL fd \(fd)") }
    }

    static func bind(_ fd: Int32, _ address: SocketAddress) throws(SocketError) {
        var raw = address.sockaddr
        let status = withUnsafePointer(to: &raw) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard status == 0 else { throw SocketError.last("bind \(address)") }
    }

    static func listen(_ fd: Int32, backlog: Int32, _ address: SocketAddress) throws(SocketError) {
        guard Glibc.listen(fd, backlog) == 0 else { throw SocketError.last("listen \(address)") }
    }

    static func localAddress(_ fd: Int32) throws(SocketError) -> SocketAddress {
        var raw = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let status = withUnsafeMutablePointer(to: &raw) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard status == 0 else { throw SocketError.last("getsockname fd \(fd)") }
        return SocketAddress(raw)
    }

    static func connect(_ fd: Int32, _ address: SocketAddress) -> ConnectResult {
        var raw = address.sockaddr
        let status = withUnsafePointer(to: &raw) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if status == 0 { return .connected }
        // connect(2): EINPROGRESS for a non-blocking socket; EINTR means it continues asynchronously.
        if errno == EINPROGRESS || errno == EINTR { return .inProgress }
        return .failed(SocketError.last("connect \(address)"))
    }

    /// SO_ERROR: the deferred result of a non-blocking connect, or an asynchronous socket error.
    static func pendingError(_ fd: Int32) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &value, &length) == 0 else { return errno }
        return value
    }

    static func accept(_ fd: Int32) -> AcceptResult {
        var raw = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let client = withUnsafeMutablePointer(to: &raw) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { civic_accept_nonblocking(fd, $0, &length) }
        }
        if client >= 0 { return .accepted(fd: client, peer: SocketAddress(raw)) }
        switch errno {
        case EAGAIN, EWOULDBLOCK: return .wouldBlock
        // accept(2): network errors of the new connection are reported here; treat them like EAGAIN-and-retry.
        case EINTR, ECONNABORTED, EPROTO, ENETDOWN, ENOPROTOOPT, EHOSTDOWN, ENONET, EHOSTUNREACH,
            EOPNOTSUPP, ENETUNREACH, EPERM:
            return .transient
        default: return .failed(SocketError.last("accept fd \(fd)"))
        }
    }

    static func receive(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        while true {
            let n = recv(fd, buffer.baseAddress, buffer.count, 0)
            if n > 0 { return .transferred(n) }
            if n == 0 { return .endOfFile }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: return .failed(SocketError.last("recv fd \(fd)"))
            }
        }
    }

    static func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> IOResult {
        while true {
            let n = civic_send(fd, bytes.baseAddress, bytes.count)
            if n >= 0 { return .transferred(n) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: return .failed(SocketError.last("send fd \(fd)"))
            }
        }
    }

    /// poll(2) for one fd; true when one of `events` (or an error/hangup) is ready before the timeout.
    static func wait(_ fd: Int32, events: Int16, timeout: Double, _ operation: String) throws(SocketError) -> Bool {
        let deadline = MonotonicClock.now() + MonotonicClock.nanoseconds(timeout)
        while true {
            let remaining = deadline > MonotonicClock.now() ? deadline - MonotonicClock.now() : 0
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let milliseconds = Int32(clamping: (remaining + 999_999) / 1_000_000)
            let n = poll(&entry, 1, milliseconds)
            if n > 0 { return true }
            if n == 0 { return false }
            if errno != EINTR { throw SocketError.last("poll \(operation) fd \(fd)") }
        }
    }
}
