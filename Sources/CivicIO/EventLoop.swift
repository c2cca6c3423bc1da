import CLinuxShims
import Dispatch
import Foundation
import Glibc
import Synchronization

/// One epoll thread that owns every socket of a node (edge-triggered, each fd registered once).
///
/// Invariant (why `@unchecked Sendable` is sound): `execute`, `stop`, `waitUntilStopped` and
/// `isInLoopThread` are thread-safe (they only touch the `inbox` mutex and atomics); every other
/// member, and every object the loop hands out, is touched only on the loop thread.
public final class EventLoop: @unchecked Sendable {
    /// Cross-thread state: the job queue and the lifecycle phase. The only lock in CivicIO.
    private struct Inbox {
        enum Phase { case idle, running, closed }
        var jobs: [@Sendable () -> Void] = []
        var phase: Phase = .idle
        var stopRequested = false
    }

    public let name: String
    let epollFD: Int32
    private let wakeFD: Int32
    private let inbox = Mutex(Inbox())
    private let loopThread = Atomic<UInt>(0)
    private let finished = DispatchGroup()

    // Loop-thread state.
    var timers = TimerQueue()
    var registrants: [UInt64: any LoopRegistrant] = [:]
    var nextToken: UInt64 = 1  // token 0 is the wake eventfd
    private var soon: [() -> Void] = []
    var pendingFlush: [TCPConnection] = []
    private(set) var isShuttingDown = false
    /// Scratch space for recv: one buffer for all connections, since reads never overlap on one thread.
    let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)

    public init(name: String = "civic-loop") throws {
        civic_ignore_sigpipe()
        self.name = name
        let epoll = civic_epoll_create()
        guard epoll >= 0 else { throw SocketError.last("epoll_create1") }
        let wake = civic_eventfd_create()
        guard wake >= 0 else {
            let error = SocketError.last("eventfd")
            RawSocket.close(epoll)
            throw error
        }
        // Level-triggered on purpose: the loop drains it explicitly, so no wakeup can be lost.
        guard civic_epoll_add(epoll, wake, civic_EPOLLIN, 0) == 0 else {
            let error = SocketError.last("epoll_ctl ADD eventfd")
            RawSocket.close(wake)
            RawSocket.close(epoll)
            throw error
        }
        epollFD = epoll
        wakeFD = wake
    }

    deinit {
        // The epoll fd is already closed after a run/stop cycle; the wake eventfd only ever here (see `execute`).
        let phase = inbox.withLock { $0.phase }
        if phase != .closed { RawSocket.close(epollFD) }
        RawSocket.close(wakeFD)
        readBuffer.deallocate()
    }

    public var isInLoopThread: Bool {
        loopThread.load(ordering: .acquiring) == UInt(pthread_self())
    }

    public func assertInLoop(file: StaticString = #fileID, line: UInt = #line) {
        assert(isInLoopThread, "EventLoop '\(name)': called off the loop thread", file: file, line: line)
    }

    /// Runs the loop on a new dedicated thread and returns at once.
    public func startThread() {
        finished.enter()
        let thread = Thread { [self] in
            runLoop()
            finished.leave()
        }
        thread.name = name
        thread.start()
    }

    /// Runs the loop on the calling thread until `stop()`.
    public func run() {
        finished.enter()
        runLoop()
        finished.leave()
    }

    /// Thread-safe and idempotent. Jobs already queued still run, then every fd is closed
    /// (connections get `onClose(nil)`) and the loop thread exits. Jobs queued later are dropped.
    public func stop() {
        let closeNow = inbox.withLock { inbox -> Bool in
            guard inbox.phase != .closed, !inbox.stopRequested else { return false }
            inbox.stopRequested = true
            if inbox.phase == .idle {
                inbox.phase = .closed  // never ran: nothing registered, just release the fds
                return true
            }
            _ = civic_eventfd_signal(wakeFD)
            return false
        }
        if closeNow { RawSocket.close(epollFD) }
    }

    /// Blocks until the loop has stopped (returns at once if it never started). Never call on the loop thread.
    @discardableResult
    public func waitUntilStopped(timeout: Double = .infinity) -> Bool {
        precondition(!isInLoopThread, "waitUntilStopped on the loop thread would deadlock")
        if timeout.isInfinite {
            finished.wait()
            return true
        }
        return finished.wait(timeout: .now() + timeout) == .success
    }

    /// Thread-safe, FIFO. The eventfd is written only on the empty → non-empty transition, after the lock is
    /// released: the loop, once woken, takes the lock at once, and would otherwise find it held by a thread inside
    /// a system call and wait (at 1,000 cases/s that wait was a tenth of a street loop's time). The fd cannot be
    /// closed, and its number reused, in between: it is closed only when the loop itself is released (`deinit`),
    /// which cannot happen while a caller holds it to call this.
    public func execute(_ job: @escaping @Sendable () -> Void) {
        let signal = inbox.withLock { inbox -> Bool in
            guard inbox.phase != .closed else { return false }
            let wasEmpty = inbox.jobs.isEmpty
            inbox.jobs.append(job)
            return wasEmpty
        }
        if signal { _ = civic_eventfd_signal(wakeFD) }
    }

    /// Runs `body` later in the current loop iteration (or the next one), never re-entrantly, without the
    /// mutex and eventfd that `execute` needs. Loop thread only.
    public func runSoon(_ body: @escaping () -> Void) {
        assertInLoop()
        soon.append(body)
    }

    private func runLoop() {
        let mayRun = inbox.withLock { inbox -> Bool in
            guard inbox.phase == .idle else { return false }
            inbox.phase = .running
            return true
        }
        guard mayRun else { return }
        loopThread.store(UInt(pthread_self()), ordering: .releasing)
        civic_set_thread_name(name)
        defer { loopThread.store(0, ordering: .releasing) }

        let maxEvents = 256
        var events = [UInt32](repeating: 0, count: maxEvents)
        var tokens = [UInt64](repeating: 0, count: maxEvents)
        var timeout: Int32 = 0
        while true {
            let count = civic_epoll_wait(epollFD, &events, &tokens, Int32(maxEvents), timeout)
            // epoll_wait(2): only EINTR is expected; EBADF/EFAULT/EINVAL mean the loop's own state is broken.
            if count < 0 && errno != EINTR { preconditionFailure("\(SocketError.last("epoll_wait"))") }
            var woken = false
            for index in 0..<Int(max(count, 0)) {
                if tokens[index] == 0 {
                    woken = true
                } else {
                    // A registrant closed earlier in this batch is gone: its stale event is dropped here.
                    registrants[tokens[index]]?.handle(events: events[index])
                }
            }
            if woken, runJobs() { break }
            runDueTimers()
            runSoonQueue()
            flushPendingWrites()
            timeout = soon.isEmpty && pendingFlush.isEmpty ? timers.timeoutMilliseconds() : 0
        }
        teardown()
    }

    /// Drains the eventfd, then runs the queued jobs. Returns true when stop was requested.
    private func runJobs() -> Bool {
        _ = civic_eventfd_drain(wakeFD)
        let (jobs, stop) = inbox.withLock { inbox in
            let taken = inbox.jobs
            inbox.jobs.removeAll(keepingCapacity: true)
            return (taken, inbox.stopRequested)
        }
        for job in jobs { job() }
        return stop
    }

    private func runSoonQueue() {
        guard !soon.isEmpty else { return }
        let batch = soon
        soon.removeAll(keepingCapacity: true)
        for body in batch { body() }
    }

    private func teardown() {
        isShuttingDown = true
        for registrant in Array(registrants.values) { registrant.loopDidStop() }
        registrants.removeAll()
        // Let deferred completions (e.g. failed connects) report; bounded in case they keep re-queueing.
        for _ in 0..<8 where !soon.isEmpty { runSoonQueue() }
        soon.removeAll()
        pendingFlush.removeAll()
        timers.removeAll()
        inbox.withLock { inbox in
            inbox.phase = .closed
            inbox.jobs.removeAll()
        }
        RawSocket.close(epollFD)
    }
}
