import CivicIO
import Foundation
import Synchronization

/// A value shared between the loop thread and the test.
final class Locked<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    init(_ value: Value) { storage = Mutex(value) }
    var value: Value { storage.withLock { $0 } }
    func update<R: Sendable>(_ body: @Sendable (inout Value) -> R) -> R { storage.withLock { body(&$0) } }
}

/// Starts a loop on its own thread; `shutdown()` stops it and waits for the thread to exit.
func startedLoop(_ name: String = "test-loop") throws -> EventLoop {
    let loop = try EventLoop(name: name)
    loop.startThread()
    return loop
}

extension EventLoop {
    /// Runs `body` on the loop thread and returns its result to the (async) test.
    func onLoop<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            execute { continuation.resume(with: Result { try body() }) }
        }
    }

    func shutdown() {
        stop()
        _ = waitUntilStopped(timeout: 10)
    }
}

/// Polls `condition` until it holds or `timeout` passes; returns the final value. Used for waiting,
/// never for asserting speed.
func eventually(timeout: Double = 10, _ condition: @Sendable () -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        try? await Task.sleep(nanoseconds: 5_000_000)
    }
    return condition()
}

/// Deterministic payload so corruption or reordering is detectable.
func patternBytes(_ count: Int, seed: Int = 0) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: ($0 &* 31 &+ seed) % 251) }
}

/// Accumulates bytes and splits them into "\n"-terminated lines (the mesh NDJSON framing, minimal).
struct LineSplitter {
    private var pending: [UInt8] = []
    mutating func feed(_ bytes: [UInt8]) -> [String] {
        pending += bytes
        var lines: [String] = []
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            lines.append(String(decoding: pending[..<newline], as: UTF8.self))
            pending.removeFirst(newline + 1)
        }
        return lines
    }
}
