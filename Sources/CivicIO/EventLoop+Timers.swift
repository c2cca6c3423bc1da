import CivicSupport
import Glibc

/// CLOCK_MONOTONIC in nanoseconds: immune to wall-clock jumps, which matter for deadlines.
public enum MonotonicClock {
    public static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    /// Seconds → nanoseconds, negative and NaN clamped to zero.
    public static func nanoseconds(_ seconds: Double) -> UInt64 {
        guard seconds > 0 else { return 0 }
        return UInt64(min(seconds, 1e9) * 1e9)
    }
}

/// Identifies a scheduled timer so it can be cancelled. Unique per loop.
public struct TimerHandle: Hashable, Sendable {
    let id: UInt64
}

/// Loop-thread timers: a binary min-heap of deadlines with lazy deletion. Cancelling only drops the body;
/// the stale heap entry is skipped when it surfaces, which keeps cancel O(1).
struct TimerQueue {
    private struct Entry: Comparable {
        var deadline: UInt64
        var id: UInt64
        static func < (a: Entry, b: Entry) -> Bool { a.deadline < b.deadline }
    }

    private struct Timer {
        var interval: UInt64?
        var body: () -> Void
    }

    private var heap = MinHeap<Entry>()
    private var timers: [UInt64: Timer] = [:]
    private var nextID: UInt64 = 1

    var isEmpty: Bool { timers.isEmpty }

    mutating func schedule(at deadline: UInt64, interval: UInt64?, _ body: @escaping () -> Void) -> TimerHandle {
        let id = nextID
        nextID += 1
        timers[id] = Timer(interval: interval, body: body)
        heap.push(Entry(deadline: deadline, id: id))
        return TimerHandle(id: id)
    }

    mutating func cancel(_ handle: TimerHandle) {
        timers[handle.id] = nil
    }

    mutating func removeAll() {
        heap.removeAll()
        timers.removeAll()
    }

    /// The earliest live deadline, dropping cancelled entries on the way.
    mutating func nextDeadline() -> UInt64? {
        while let top = heap.top {
            if timers[top.id] != nil { return top.deadline }
            heap.pop()
        }
        return nil
    }

    /// Pops one due timer (re-arming repeating ones) and returns its body to run.
    /// Bodies run outside the queue so they may schedule or cancel timers freely.
    mutating func popDue(now: UInt64) -> (() -> Void)? {
        while let top = heap.top, top.deadline <= now {
            heap.pop()
            guard let timer = timers[top.id] else { continue }
            if let interval = timer.interval {
                // Re-arm from the old deadline to avoid drift, but never into the past (no catch-up bursts).
                // now + 1 keeps a slow body with a tiny interval from firing twice in one pass.
                let next = max(top.deadline + max(interval, 1), now + 1)
                heap.push(Entry(deadline: next, id: top.id))
            } else {
                timers[top.id] = nil
            }
            return timer.body
        }
        return nil
    }
}

extension EventLoop {
    /// Runs `body` on the loop thread after `seconds`, then every `interval` if given. Loop thread only.
    @discardableResult
    public func scheduleTimer(after seconds: Double, repeating interval: Double? = nil,
                              _ body: @escaping () -> Void) -> TimerHandle {
        assertInLoop()
        let deadline = MonotonicClock.now() + MonotonicClock.nanoseconds(seconds)
        return timers.schedule(at: deadline, interval: interval.map(MonotonicClock.nanoseconds), body)
    }

    /// Cancels a timer; harmless if it already fired or was cancelled. Loop thread only.
    public func cancelTimer(_ handle: TimerHandle) {
        assertInLoop()
        timers.cancel(handle)
    }

    /// Runs every timer body that is due now.
    func runDueTimers() {
        // One snapshot per pass: timers armed by the bodies wait for the next iteration, so a pass ends.
        let snapshot = MonotonicClock.now()
        while let body = timers.popDue(now: snapshot) {
            body()
        }
    }
}

extension TimerQueue {
    /// Milliseconds until the next deadline, rounded up; -1 when no timer is pending.
    mutating func timeoutMilliseconds() -> Int32 {
        guard let deadline = nextDeadline() else { return -1 }
        let now = MonotonicClock.now()
        let remaining = deadline > now ? deadline - now : 0
        // Round up: waking a hair early would just spin through another epoll_wait.
        return Int32(clamping: (remaining + 999_999) / 1_000_000)
    }
}
