import CivicIO
import Dispatch
import Foundation
import Testing

@Suite("EventLoop")
struct EventLoopTests {
    @Test("jobs from one thread run in FIFO order on the loop thread")
    func fifoFromOneThread() async throws {
        let loop = try startedLoop()
        defer { loop.shutdown() }
        let seen = Locked<[Int]>([])
        let offLoop = Locked(0)
        for index in 0..<2000 {
            loop.execute {
                if !loop.isInLoopThread { offLoop.update { $0 += 1 } }
                seen.update { $0.append(index) }
            }
        }
        #expect(await eventually { seen.value.count == 2000 })
        #expect(seen.value == Array(0..<2000))
        #expect(offLoop.value == 0)
        #expect(!loop.isInLoopThread)
    }

    @Test("jobs from several threads keep each thread's order and none is lost")
    func manyProducers() async throws {
        let loop = try startedLoop()
        defer { loop.shutdown() }
        let seen = Locked<[[Int]]>(Array(repeating: [], count: 4))
        DispatchQueue.concurrentPerform(iterations: 4) { producer in
            for index in 0..<1000 {
                loop.execute { seen.update { $0[producer].append(index) } }
            }
        }
        #expect(await eventually { seen.value.map(\.count).reduce(0, +) == 4000 })
        for perProducer in seen.value {
            #expect(perProducer == Array(0..<1000))
        }
    }

    @Test("timers fire in deadline order; cancelled ones never fire")
    func timersOrderAndCancel() async throws {
        let loop = try startedLoop()
        defer { loop.shutdown() }
        let fired = Locked<[Int]>([])
        try await loop.onLoop {
            loop.scheduleTimer(after: 0.06) { fired.update { $0.append(60) } }
            loop.scheduleTimer(after: 0.01) { fired.update { $0.append(10) } }
            let doomed = loop.scheduleTimer(after: 0.02) { fired.update { $0.append(20) } }
            loop.scheduleTimer(after: 0.03) { fired.update { $0.append(30) } }
            loop.cancelTimer(doomed)
        }
        #expect(await eventually { fired.value.count == 3 })
        try await Task.sleep(nanoseconds: 100_000_000)
        #expect(fired.value == [10, 30, 60])
    }

    @Test("a repeating timer keeps firing until cancelled, and a timer can cancel itself")
    func repeatingTimer() async throws {
        let loop = try startedLoop()
        defer { loop.shutdown() }
        let ticks = Locked(0)
        let handle = Locked<TimerHandle?>(nil)
        try await loop.onLoop {
            let timer = loop.scheduleTimer(after: 0.005, repeating: 0.005) {
                let count = ticks.update { $0 += 1; return $0 }
                if count == 5, let own = handle.value { loop.cancelTimer(own) }
            }
            handle.update { $0 = timer }
        }
        #expect(await eventually { ticks.value >= 5 })
        try await Task.sleep(nanoseconds: 100_000_000)
        #expect(ticks.value == 5)
    }

    @Test("stop closes registered sockets (onClose(nil) once), is idempotent, then drops jobs")
    func stopClosesEverything() async throws {
        let loop = try startedLoop()
        let closes = Locked<[String]>([])
        let accepted = Locked(0)
        let port = try await loop.onLoop {
            try loop.listen(host: "127.0.0.1", port: 0) { connection in
                accepted.update { $0 += 1 }
                connection.onClose = { error in closes.update { $0.append(error.map { "\($0)" } ?? "clean") } }
            }.port
        }
        let client = try BlockingSocket.connect(host: "127.0.0.1", port: port, timeout: 5)
        #expect(await eventually { accepted.value == 1 })
        loop.stop()
        loop.stop()
        #expect(loop.waitUntilStopped(timeout: 10))
        #expect(closes.value == ["clean"])
        // The server side was closed by the loop: the client sees EOF.
        #expect(try client.read(upTo: 10, timeout: 5) == [])
        let ranAfterStop = Locked(false)
        loop.execute { ranAfterStop.update { $0 = true } }
        try await Task.sleep(nanoseconds: 50_000_000)
        #expect(!ranAfterStop.value)
    }

    /// The wake eventfd is closed when the loop is released (so `execute` may signal it outside the lock): a
    /// stopped loop must therefore be released, with nothing left holding it.
    @Test("a stopped loop is released, and jobs sent to it meanwhile neither run nor fail")
    func aStoppedLoopIsReleased() async throws {
        let released = WeakLoop()
        do {
            let loop = try startedLoop("released")
            released.loop = loop
            let ran = Locked(0)
            for _ in 0..<100 { loop.execute { ran.update { $0 += 1 } } }
            #expect(await eventually { ran.value == 100 })
            loop.stop()
            #expect(loop.waitUntilStopped(timeout: 10))
            loop.execute { ran.update { $0 += 1 } }
            #expect(ran.value == 100)
        }
        #expect(await eventually { released.loop == nil }, "the loop thread lets go of the loop when it ends")
    }

    @Test("a loop that never ran can be stopped and released")
    func stopWithoutRun() throws {
        let loop = try EventLoop(name: "idle")
        loop.stop()
        #expect(loop.waitUntilStopped(timeout: 1))
    }
}

/// A weak reference to a loop that a `@Sendable` check may read.
final class WeakLoop: @unchecked Sendable {
    weak var loop: EventLoop?
}

/// An actor pinned to the loop through its SerialExecutor conformance.
actor LoopPinnedCounter {
    let loop: EventLoop
    var count = 0
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }

    init(loop: EventLoop) { self.loop = loop }

    func increment() -> (Int, Bool) {
        count += 1
        return (count, loop.isInLoopThread)
    }
}

@Suite("EventLoop as executor")
struct EventLoopExecutorTests {
    @Test("awaiting a loop-pinned actor runs its methods on the loop thread")
    func pinnedActor() async throws {
        let loop = try startedLoop()
        defer { loop.shutdown() }
        let counter = LoopPinnedCounter(loop: loop)
        for expected in 1...3 {
            let (value, onLoop) = await counter.increment()
            #expect(value == expected)
            #expect(onLoop)
        }
        let direct = try await loop.onLoop { counter.assumeIsolated { $0.count } }
        #expect(direct == 3)
    }
}
