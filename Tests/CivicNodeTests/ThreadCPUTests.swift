@testable import CivicCLI
import CivicStore
import CLinuxShims
import Foundation
import Glibc
import Testing

/// The process bench's per-thread figures (`threadCPUSeconds`) read /proc by the kernel's thread names; the store
/// writer names its thread so that they can find it.
@Suite struct ThreadCPUTests {
    @Test func aNamedThreadsCPUTimeIsReadFromProc() throws {
        let started = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let thread = Thread {
            civic_set_thread_name("civic-test-burn")
            // A tenth of a second of this thread's own CPU time, however busy the machine is.
            var spin: UInt64 = 0
            var now = timespec()
            repeat {
                for _ in 0..<10_000 { spin &+= 1 }
                clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
            } while Double(now.tv_sec) + Double(now.tv_nsec) / 1e9 < 0.1
            started.signal()
            release.wait()
            _ = spin
        }
        thread.start()
        started.wait()
        let seconds = threadCPUSeconds(getpid())["civic-test-burn"]
        release.signal()
        #expect((seconds ?? 0) >= 0.08 && (seconds ?? 0) < 5, "\(String(describing: seconds))")
        #expect(threadCPUSeconds(-1).isEmpty, "a process that is not there has no threads")
    }

    @Test func theStoreWriterThreadIsNamedForTheKernel() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("threadcpu-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = try GroupCommitWriter(path: dir + "/w.sqlite") { _ in () }
        defer { writer.close() }
        _ = try writer.submitAndWait { _, db in try db.execute("CREATE TABLE t(x)") }
        #expect(threadCPUSeconds(getpid())[storeWriterThreadName] != nil, "\(threadCPUSeconds(getpid()).keys.sorted())")
    }
}
