/// The loop as a serial executor, so an actor can be pinned to the loop thread: I/O callbacks enter it
/// with `assumeIsolated` (no hop), other tasks `await` it and are hopped onto the loop via `execute`.
///
/// Caveat: a job enqueued after the loop stopped is dropped, and a task awaiting it never resumes.
/// Stop producers first, stop the loop last.
extension EventLoop: SerialExecutor {
    public func enqueue(_ job: consuming ExecutorJob) {
        let unownedJob = UnownedJob(job)
        execute { [self] in unownedJob.runSynchronously(on: asUnownedSerialExecutor()) }
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    public func checkIsolated() {
        precondition(isInLoopThread, "expected to run on event loop '\(name)'")
    }
}
