import CivicNode
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `civicmesh node --config FILE`: run one node until SIGTERM or SIGINT, then stop cleanly.
enum NodeCommand {
    static func run(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, command: "node")
        let path = try a.required("config")
        // Listen for SIGTERM/SIGINT before anything starts, so a stop request during start-up is not lost.
        let termination = TerminationSignal()
        let config = try NodeConfig.load(path: path)
        try config.checkSecretsArePrivate(configPath: path)
        let node: MeshNode
        do {
            node = try MeshNode(config: config, clock: config.caseClock)
        } catch var error as ConfigError {
            if error.file == "-" { error.file = path }
            throw error
        } catch {
            printError("civicmesh: node \(config.id) cannot start: \(error)")
            return 1
        }
        // Machine-readable line for supervisors (`civicmesh up`, tests).
        let ready = "ready \(config.id) http=\(node.httpAddress)\(node.meshAddress.map { " mesh=\($0)" } ?? "")"
        let format = Logger(label: config.id)
        // In JSON, the ready line is a log object like the rest (a shipper reads stdout and stderr alike).
        if format.format == .json {
            print(format.line(.info, ready, ["event": "ready", "http": node.httpAddress].merging(node.meshAddress.map { ["mesh": $0] } ?? [:]) { a, _ in a }), terminator: "")
        } else {
            print(ready)
        }
        fflush(nil)
        termination.wait()
        // A graceful stop: new work refused, the outbox given `drain_grace` seconds, a bye on every link.
        _ = node.drain(grace: config.drainGrace)
        return 0
    }
}

/// SIGTERM and SIGINT delivered through Dispatch (not an async-signal handler), from the moment this is made.
final class TerminationSignal: @unchecked Sendable {
    // Invariant: `sources` is written once in init and only read afterwards.
    private let done = DispatchSemaphore(value: 0)
    private var sources: [any DispatchSourceSignal] = []
    private let fired = NSLock()
    private var firedFlag = false

    init() {
        let queue = DispatchQueue(label: "signals")
        for sig in [SIGTERM, SIGINT] {
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler { [weak self] in self?.fire() }
            // libdispatch installs its own handler on resume; setting SIG_IGN afterwards would silence it.
            source.resume()
            sources.append(source)
        }
    }

    /// Whether a stop was asked for (a signal, or `fire()`), without waiting.
    var isFired: Bool { fired.withLock { firedFlag } }

    /// Asks for a stop as a signal would (e.g. a supervisor that must give up).
    func fire() {
        let first = fired.withLock { () -> Bool in defer { firedFlag = true }; return !firedFlag }
        if first { done.signal() }
    }

    /// Blocks until one of the signals arrives.
    func wait() {
        done.wait()
        for s in sources { s.cancel() }
    }
}
