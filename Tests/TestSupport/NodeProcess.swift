import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The `civicmesh` binary built next to the test bundle.
public enum CivicMeshBinary {
    public static var path: String? {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["CIVICMESH_BINARY"] { candidates.append(env) }
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = runner.deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(dir.appendingPathComponent("civicmesh").path)
            dir = dir.deletingLastPathComponent()
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/civicmesh").path)
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) && !$0.hasSuffix(".xctest") }
    }
}

/// A `civicmesh` child process (a node or another command), killable with SIGKILL for crash tests.
public final class CivicProcess: @unchecked Sendable {
    public let process = Process()
    public let logPath: String

    public init(_ arguments: [String], log: String, environment: [String: String] = [:]) throws {
        guard let binary = CivicMeshBinary.path else { throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "civicmesh binary"]) }
        logPath = log
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = FileHandle(forWritingAtPath: log)!
        handle.seekToEndOfFile()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        try process.run()
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    public func kill9() {
        kill(pid, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, then SIGKILL if the process has not exited within `grace` seconds.
    public func terminate(grace: Double = 10) {
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
    }

    /// Waits for the process to exit and returns its status.
    public func wait() -> Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }

    public var output: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}

/// A TCP port nobody listens on right now (bind to port 0, read it, close).
/// A port for a node process to listen on, from 61000–65535: above the kernel's ephemeral range
/// (`ip_local_port_range`, 32768–60999 here), so the suite's own client connections — whose source ports the kernel
/// draws from that range — cannot take it between this call and the node's bind. (A port the kernel picked with
/// `bind(0)` came from that very range, and a busy parallel suite once lost a node start to "Address already in
/// use".) Handed out in turn, never twice in one run, each checked free first.
public func freePort() -> Int {
    PortAllocator.shared.next()
}

/// The first of `count` consecutive free ports from the same range, for a command that numbers its nodes' ports
/// from one base (`civicmesh bench --base-port`). None of them is handed out again in this run.
public func freePortBlock(_ count: Int) -> Int {
    PortAllocator.shared.block(count)
}

final class PortAllocator: @unchecked Sendable {
    // Invariant: `cursor` is read and written under `lock`.
    static let shared = PortAllocator()
    private let lock = NSLock()
    private static let range = 61000...65535
    private var cursor = Int.random(in: PortAllocator.range)

    func next() -> Int {
        lock.withLock {
            for _ in Self.range {
                let port = cursor
                cursor = cursor == Self.range.upperBound ? Self.range.lowerBound : cursor + 1
                if Self.isFree(port) { return port }
            }
            return Self.kernelPort()
        }
    }

    func block(_ count: Int) -> Int {
        lock.withLock {
            for _ in Self.range {
                if cursor + count - 1 > Self.range.upperBound { cursor = Self.range.lowerBound }
                let base = cursor
                cursor += count
                if (base..<(base + count)).allSatisfy(Self.isFree) { return base }
            }
            return Self.range.lowerBound
        }
    }

    private static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = loopback(port: port)
        return withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        return addr
    }

    /// The kernel's choice, should the whole range be taken.
    private static func kernelPort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = loopback(port: 0)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
