import CLinuxShims

/// An object with an fd registered in the loop's epoll set. Loop thread only.
protocol LoopRegistrant: AnyObject {
    func handle(events: UInt32)
    /// The loop is shutting down: release the fd and notify the owner.
    func loopDidStop()
}

extension EventLoop {
    /// Registers `fd` once for `events` and returns its token. Loop thread only.
    func register(_ fd: Int32, events: UInt32, _ registrant: any LoopRegistrant) throws(SocketError) -> UInt64 {
        assertInLoop()
        guard !isShuttingDown else { throw SocketError.loopStopped("register fd \(fd)") }
        let token = nextToken
        nextToken += 1
        guard civic_epoll_add(epollFD, fd, events, token) == 0 else { throw SocketError.last("epoll_ctl ADD fd \(fd)") }
        registrants[token] = registrant
        return token
    }

    /// EPOLL_CTL_DEL before close, as the epoll discipline requires. Loop thread only.
    func unregisterAndClose(_ fd: Int32, token: UInt64) {
        assertInLoop()
        registrants[token] = nil
        _ = civic_epoll_delete(epollFD, fd)
        RawSocket.close(fd)
    }

    /// Drops a registration whose fd lives on under a new owner (EPOLL_CTL_DEL done by the caller).
    func forget(token: UInt64) {
        registrants[token] = nil
    }

    /// Queues a connection for the end-of-iteration flush, coalescing its writes into one send.
    func scheduleFlush(_ connection: TCPConnection) {
        pendingFlush.append(connection)
    }

    func flushPendingWrites() {
        // Flushing can queue more (a drained callback writes again): those go out next iteration, timeout 0.
        guard !pendingFlush.isEmpty else { return }
        let batch = pendingFlush
        pendingFlush.removeAll(keepingCapacity: true)
        for connection in batch { connection.flushScheduledWrites() }
    }
}
