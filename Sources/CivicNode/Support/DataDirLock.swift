import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on a node's data directory (`flock` on `node.lock`), held for as long as the node runs.
/// Two processes on one database would both believe they own its link ledger; `civicmesh restore` takes the same
/// lock, so it never writes under a running node. The kernel drops the lock when the process dies (kill -9 too).
public final class DataDirLock: @unchecked Sendable {
    // Invariant: `fd` is touched only by the owner's start and stop (never concurrently).
    public let path: String
    private var fd: Int32

    public struct Held: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var reason: String
        public var description: String { reason }
    }

    public init(dataDir: String) throws(Held) {
        path = dataDir + "/node.lock"
        fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Held(path: path, reason: "cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            let why = String(cString: strerror(errno))
            close(fd)
            fd = -1
            throw Held(path: path, reason: busy ? "another civicmesh process is using \(dataDir) (it holds \(path)): stop it first"
                                                : "cannot lock \(path): \(why)")
        }
    }

    public func release() {
        guard fd >= 0 else { return }
        close(fd)  // closing the descriptor drops the flock
        fd = -1
    }

    deinit { release() }
}
