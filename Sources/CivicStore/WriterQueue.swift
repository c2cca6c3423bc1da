import Dispatch
import Synchronization

/// The hand-off between submitting threads and the writer thread: a locked FIFO plus a
/// semaphore that is signalled when the queue goes from empty to non-empty (and on close).
///
/// A stale signal only costs the writer one extra empty look at the queue, so the writer may
/// take items without consuming the signal their submit produced.
final class WriterQueue<Context>: Sendable {
    struct State {
        var pending: [PendingOperation<Context>] = []
        var accepting = true
        var afterCommit: AfterCommitHook<Context>?
    }

    enum Take {
        case batch([PendingOperation<Context>], AfterCommitHook<Context>?)
        case wait
        case finished
    }

    enum Enqueue {
        case queued
        case rejected
    }

    private let state = Mutex(State())
    private let wakeup = DispatchSemaphore(value: 0)
    let stats = Mutex(WriterStats())

    func enqueue(_ operation: PendingOperation<Context>) -> Enqueue {
        let (outcome, wasEmpty): (Enqueue, Bool) = state.withLock { state in
            guard state.accepting else { return (.rejected, false) }
            state.pending.append(operation)
            return (.queued, state.pending.count == 1)
        }
        if wasEmpty { wakeup.signal() }
        if case .rejected = outcome { stats.withLock { $0.rejectedSubmits += 1 } }
        return outcome
    }

    /// Takes up to `limit` operations in submission order; everything queued when below the
    /// limit, so the batch size follows the load: what arrives during one commit is the next batch.
    func take(limit: Int) -> Take {
        state.withLock { state in
            if state.pending.isEmpty { return state.accepting ? .wait : .finished }
            let batch: [PendingOperation<Context>]
            if state.pending.count <= limit {
                batch = state.pending
                state.pending.removeAll(keepingCapacity: true)
            } else {
                batch = Array(state.pending.prefix(limit))
                state.pending.removeFirst(limit)
            }
            return .batch(batch, state.afterCommit)
        }
    }

    func waitForWork() {
        wakeup.wait()
    }

    /// Stops accepting; returns false when already stopped.
    func stopAccepting() -> Bool {
        let wasAccepting = state.withLock { state in
            defer { state.accepting = false }
            return state.accepting
        }
        if wasAccepting { wakeup.signal() }
        return wasAccepting
    }

    func setAfterCommit(_ hook: AfterCommitHook<Context>) {
        state.withLock { $0.afterCommit = hook }
    }

    var isAccepting: Bool {
        state.withLock { $0.accepting }
    }

    var depth: Int {
        state.withLock { $0.pending.count }
    }
}
